"""Drift kinds in words, in English and Chinese: what the problem is, as an ops team says it.

The reports (``render_text``), ``erpsync drifts``, ``erpsync alerts pending`` and the email
alert's report name a drift's problem with these words. They sit in the core, below both the
report renderers and the alert sinks, so every one of them says a kind the same way. The Chinese
uses the platform's and the providers' own terms (``docs/domain.md``): 商家后台, 上门揽收 / 自寄,
运单号, 最晚发货时间. A kind not listed (a plugin's) is shown as it is.
"""

from __future__ import annotations

from erpsync.core.models import Texts

__all__ = ["KINDS", "kind_words"]

#: drift kinds as operators name the problem (the address aspect's ``field_mismatch`` rows show
#: the field instead); every kind a built-in aspect declares (``Aspect.drift_kinds``) is here
KINDS: dict[str, Texts] = {
    "missing_in_erp": Texts("no ERP warehouse bound", "ERP 中无对应仓库"),
    "unknown_warehouse": Texts("bound to a warehouse Seller Center lacks", "绑定的商家后台仓库不存在"),
    "duplicate_binding": Texts("several ERP warehouses bound", "多个 ERP 仓库绑定同一仓库"),
    "mode_mismatch": Texts("handover mode differs", "交接方式不一致"),
    "pickup_unconfirmed": Texts("pickup status unconfirmed", "揽收状态未确认"),
    "review_pending": Texts("pickup review pending", "揽收审核中"),
    "review_stuck": Texts("pickup review overdue", "揽收审核超时"),
    "label_mode_mismatch": Texts("labels contradict the subscription", "面单交接方式与订阅不符"),
    "pickup_out_of_coverage": Texts("PICK UP outside pickup coverage", "不在揽收范围却为上门揽收"),
    "waybill_provider_mismatch": Texts("waybill from the wrong provider", "面单揽收服务商不符"),
    "ship_by_near": Texts("latest ship time near", "即将超过最晚发货时间"),
    "ship_by_overdue": Texts("latest ship time missed", "已超过最晚发货时间"),
    "tracking_not_pushed": Texts("tracking number not pushed yet", "运单号尚未推送到商家后台"),
    "tracking_differs": Texts("tracking number differs", "运单号不一致"),
    "package_cancelled": Texts("package cancelled, the ERP still ships it", "包裹已取消，ERP 仍要发货"),
    "package_unknown": Texts("package not found in this shop", "本店铺没有这个包裹"),
    "package_not_shippable": Texts("package cannot be shipped now", "包裹暂时无法发货"),
    "shipped_by_platform": Texts("shipped by TikTok: nothing to push", "由 TikTok 发货：无需推送"),
    "not_listed": Texts("not listed in Seller Center yet", "商品尚未在商家后台创建"),
    "content_changed": Texts("listing content to update", "商品信息待更新"),
    "price_changed": Texts("price to update", "价格待更新"),
    "inventory_changed": Texts("stock to update", "库存待更新"),
    "audit_failed": Texts("listing failed the platform's audit", "商品未通过平台审核"),
    "sku_not_in_erp": Texts("SKU gone from the ERP, still on sale", "SKU 已不在 ERP 中，仍在售"),
    "status_not_mirrored": Texts("order status not recorded in the ERP", "ERP 未记录订单状态"),
    "cancellation_not_mirrored": Texts("order cancellation not recorded in the ERP", "ERP 未记录订单取消"),
}


def kind_words(kind: str, lang: str) -> str | None:
    """The kind in ``lang``'s words; None for a kind without words."""
    words = KINDS.get(kind)
    return words.get(lang) if words is not None else None
