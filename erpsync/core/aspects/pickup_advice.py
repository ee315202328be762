"""What pickup drifts tell the operator beyond the guided steps, in English and Chinese (pure).

The guided steps (``erpsync/core/pickup_guides.py``) say what to do in Seller Center; these say
what a drift means for the ERP and for erpsync's own reading, which depends on the state that
holds: whether the ERP's mode can still end a review, or only an operator's record can
(``erpsync pickup confirm``, weighed in ``pickup_confirm.py``).
"""

from __future__ import annotations

from erpsync.core.models import HandoverMode, Texts, Warehouse

__all__ = [
    "LEFT_AS_IS",
    "NO_DRIVER",
    "NO_PARCELS",
    "SET_DROP_OFF",
    "erp_disagrees",
    "record_declined",
]

NO_DRIVER = Texts(
    "PICK UP labels while pickup is not in effect: no driver comes for those parcels",
    "揽收未生效却打印上门揽收（PICK UP）面单：不会有司机来揽收这些包裹",
)
NO_PARCELS = Texts(
    "DROP OFF labels while pickup is in effect: the driver finds no parcels to collect",
    "揽收生效中却打印自寄（DROP OFF）面单：司机上门时没有可揽收的包裹",
)
#: a review while the ERP says PICK UP, or keeps no mode: nothing to change yet
LEFT_AS_IS = Texts("The ERP is left as is: the review should make pickup active", "ERP 设置不变：审核通过后揽收将生效")
#: how a declined call ends a review resting on a save while the ERP says PICK UP: a switch to
#: DROP OFF after the save reads as a cancellation
SET_DROP_OFF = Texts(
    "if the seller declined the provider's call to cancel pickup, set the ERP to DROP OFF: erpsync then "
    "reads it as cancelled",
    "如商家已在服务商来电时拒绝（取消揽收），请将 ERP 设为自寄（DROP OFF）：erpsync 会据此判断为已取消",
)


def _not_subscribed_command(shop: str, warehouse: str) -> str:
    return f"erpsync pickup confirm --shop {shop} --warehouse {warehouse} --status not_subscribed"


#: a record of a declined call made after a save answers that save for good: erpsync remembers it
#: once the record expires (``pickup_record`` in ``pickup_evidence.py``); a newer save is a new review
_KEPT = Texts(
    " (erpsync keeps this answer for the save after the record expires; a new save starts a new review)",
    "（记录过期后 erpsync 仍按此处理本次保存；再次保存地址则重新审核）",
)


def erp_disagrees(shop: str, warehouse: str, erp: Warehouse | None) -> Texts:
    """A review while the ERP says DROP OFF (since before the save): the ERP disagrees with the save."""
    erp_id, command = erp.id if erp else "?", _not_subscribed_command(shop, warehouse)
    return Texts(
        f"The ERP (warehouse {erp_id}) says DROP OFF, though the save asks for pickup: once pickup is in effect, "
        f"set it to PICK UP; if the seller does not want pickup, decline the provider's call and record it: "
        f"{command}{_KEPT.en}",
        f"ERP（仓库 {erp_id}）设为自寄（DROP OFF），但保存即申请揽收：揽收生效后请改为上门揽收（PICK UP）；"
        f"如商家不需要揽收，请在服务商来电时拒绝，并记录：{command}{_KEPT.zh}",
    )


def record_declined(shop: str, warehouse: str, erp_mode: HandoverMode | None, *, recorded: bool) -> Texts:
    """How a declined call ends a review that the ERP's mode cannot end: the operator records it.

    ``recorded``: the review is an operator's record (no save is known), which a newer record replaces.
    """
    command = _not_subscribed_command(shop, warehouse)
    if recorded:
        return Texts(
            "this review is an operator's record, which the ERP's mode does not change: if the seller declined "
            f"the provider's call to cancel pickup, record that instead: {command}",
            "此审核状态来自操作员的记录，修改 ERP 设置不会改变它：如商家已在服务商来电时拒绝（取消揽收），"
            f"请重新记录：{command}",
        )
    if erp_mode is HandoverMode.DROP_OFF:
        return Texts(
            "the ERP already says DROP OFF, so it cannot tell erpsync the call was declined: if the seller "
            f"declined the provider's call to cancel pickup, record it: {command}{_KEPT.en}",
            "ERP 已设为自寄（DROP OFF），无法据此判断是否已拒绝：如商家已在服务商来电时拒绝（取消揽收），"
            f"请记录：{command}{_KEPT.zh}",
        )
    return Texts(
        f"if the seller declined the provider's call to cancel pickup, record it: {command}{_KEPT.en}",
        f"如商家已在服务商来电时拒绝（取消揽收），请记录：{command}{_KEPT.zh}",
    )
