"""What the warehouse address aspect's drifts say, in English and in Chinese.

Kept apart from the aspect so its diff reads as rules. The field words are Seller Center's own
仓库地址 form's, and the report renderers use the same table for their column of fields.
"""

from __future__ import annotations

from erpsync.core.models import Texts

__all__ = ["FIELD_WORDS", "duplicate_binding", "field_mismatch", "missing_in_erp", "unknown_warehouse"]

#: warehouse address fields (``Address`` field names) as Seller Center's 仓库地址 form names them
FIELD_WORDS: dict[str, Texts] = {
    "contact_person": Texts("contact person", "联系人"),
    "phone": Texts("phone", "电话"),
    "region_code": Texts("country/region", "国家/地区"),
    "state": Texts("province", "省份"),
    "city": Texts("city", "城市"),
    "district": Texts("district", "区县"),
    "street": Texts("street address", "详细地址"),
    "postal_code": Texts("postal code", "邮编"),
}
#: how the English message names a field (kept as the messages always said it)
_EN = {"contact_person": "contact person", "postal_code": "postal code", "region_code": "region code"}


def _shown(value: str, lang: str) -> str:
    if value.strip():
        return value
    return "(空)" if lang == "zh" else "(empty)"


def field_mismatch(seller_id: str, erp_id: str, name: str, seller: str, erp: str) -> Texts:
    zh = FIELD_WORDS[name].zh if name in FIELD_WORDS else name
    return Texts(
        f"warehouse {seller_id}: {_EN.get(name, name)} differs: Seller Center {_shown(seller, 'en')}, "
        f"ERP {_shown(erp, 'en')} (ERP warehouse {erp_id})",
        f"仓库 {seller_id} 的{zh}不一致：商家后台为 {_shown(seller, 'zh')}，ERP 为 {_shown(erp, 'zh')}"
        f"（ERP 仓库 {erp_id}）",
    )


def missing_in_erp(seller_id: str, name: str) -> Texts:
    return Texts(
        f"warehouse {seller_id} ({name}) is in Seller Center but no ERP warehouse "
        "is bound to it (none matches by id, name or address; or bind one in the shop's bindings)",
        f"商家后台仓库 {seller_id}（{name}）没有绑定的 ERP 仓库（按编号、名称和地址都没有匹配的；"
        "也可在店铺的 bindings 中绑定）",
    )


def unknown_warehouse(erp_id: str, seller_id: str | None) -> Texts:
    return Texts(
        f"ERP warehouse {erp_id} is bound to Seller Center warehouse {seller_id}, which does not exist "
        "(deleted or re-created?)",
        f"ERP 仓库 {erp_id} 绑定的商家后台仓库 {seller_id} 不存在（已删除或重建？）",
    )


def duplicate_binding(seller_id: str, compared: str, ignored: str) -> Texts:
    return Texts(
        f"warehouse {seller_id}: several ERP warehouses are bound to it; compared {compared}, ignored {ignored}",
        f"仓库 {seller_id}：有多个 ERP 仓库绑定到它；已比较 {compared}，忽略 {ignored}",
    )
