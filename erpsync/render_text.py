"""The words reports use, in each language erpsync speaks: the terms an ops team already uses.

Operators read Seller Center (商家后台) in Chinese and waybills in English, so the Chinese texts
use the platform's and the providers' own terms (``docs/domain.md``): 上门揽收 / 自寄 beside the
waybill's PICK UP / DROP OFF, 审核中, 生效中. English stays the default. A drift kind or value
this table does not know (a plugin's) is shown as it is, never dropped. The drift kinds' words
(``KINDS``) live in the core (``core/drift_words.py``), so the email alert's report uses them too.
"""

from __future__ import annotations

from erpsync.core.aspects.warehouse_texts import FIELD_WORDS
from erpsync.core.drift_words import KINDS
from erpsync.core.models import HandoverMode, Texts

__all__ = [
    "ASPECTS",
    "COLUMNS",
    "KINDS",
    "SEVERITIES",
    "STATUSES",
    "T",
    "action_text",
    "handover_label",
    "kind_label",
    "status_label",
    "value_label",
]

#: the drift table's columns: warehouse, what is wrong, each side's value, how bad, what happens
COLUMNS: tuple[Texts, ...] = (
    Texts("warehouse", "仓库"),
    Texts("problem", "问题"),
    Texts("Seller Center", "商家后台"),
    Texts("ERP", "ERP"),
    Texts("severity", "严重程度"),
    Texts("action", "处理"),
)


#: warehouse address fields (``Address`` field names) as Seller Center's 仓库地址 form names them
FIELDS: dict[str, Texts] = FIELD_WORDS

#: subscription statuses (``SubscriptionStatus`` values) as operators say them
STATUSES: dict[str, Texts] = {
    "active": Texts("active", "生效中"),
    "pending_review": Texts("pending review", "审核中"),
    "not_subscribed": Texts("not subscribed", "未订阅"),
    "cancelled": Texts("cancelled", "已取消"),
    "out_of_coverage": Texts("out of coverage", "不在揽收范围"),
    "unknown": Texts("unconfirmed", "未确认"),
}

SEVERITIES: dict[str, Texts] = {
    "critical": Texts("critical", "严重"),
    "warning": Texts("warning", "警告"),
    "info": Texts("info", "提示"),
}

#: every built-in aspect's name: its id in English (what ``--aspect`` takes), in Chinese the term
#: its drifts use (最晚发货时间, 运单号 and 商品 as in ``core/drift_words.py``)
ASPECTS: dict[str, Texts] = {
    "warehouse_address": Texts("warehouse_address", "仓库地址"),
    "pickup": Texts("pickup", "揽收"),
    "ship_by": Texts("ship_by", "最晚发货时间"),
    "order_status": Texts("order_status", "订单状态"),
    "tracking": Texts("tracking", "运单号"),
    "listings": Texts("listings", "商品"),
}

#: Chinese puts a space between Chinese and Latin words, none between Chinese ones
_TARGETS = {"erp": Texts("ERP", " ERP "), "seller": Texts("Seller Center", "商家后台")}
_HANDOVER_ZH = {HandoverMode.PICKUP: "上门揽收", HandoverMode.DROP_OFF: "自寄"}

#: the report's sentences; ``{}`` fields are filled with ``str.format``
T: dict[str, Texts] = {
    "after_apply": Texts(" (after --apply)", "（--apply 之后）"),
    "seen": Texts("What erpsync saw, and why:", "erpsync 看到的情况及原因："),
    "steps": Texts("What to do:", "处理步骤："),
    "group": Texts("For {names} ({kinds}):", "{names}（{kinds}）："),
    "note": Texts("note", "说明"),
    "error": Texts("error", "错误"),
    "at": Texts("[{}]", "[{}]"),
    "in_sync": Texts("In sync: {shops} shop(s), no drift.", "一致：{shops} 个店铺，没有差异。"),
    "nothing_checked": Texts(
        "Nothing checked: {count} aspect(s) not run on {shops} shop(s), nothing configured or enabled "
        "for them: see the notes.",
        "未检查任何内容：{shops} 个店铺的 {count} 项检查均未运行（未配置或未启用），见说明。",
    ),
    "not_run": Texts(
        "{count} aspect(s) not run, nothing configured or enabled for them: see the notes.",
        "{count} 项检查未运行（未配置或未启用），见说明。",
    ),
    "found_applied": Texts(
        "{drifts} drift(s) found on {shops} shop(s); {fixed} fixed, {outstanding} still open.",
        "在 {shops} 个店铺发现 {drifts} 处差异；已修正 {fixed} 处，仍有 {outstanding} 处未解决。",
    ),
    "found_planned": Texts(
        "{drifts} drift(s) found on {shops} shop(s); {planned} correction(s) planned.",
        "在 {shops} 个店铺发现 {drifts} 处差异；计划修正 {planned} 处。",
    ),
    "unconfirmed": Texts(
        "{count} warehouse(s) unconfirmed: erpsync could not tell their pickup status; see {where}.",
        "{count} 个仓库揽收状态未确认：erpsync 无法判断其揽收状态，请看{where}。",
    ),
    "where_steps": Texts("the steps above", "上方的处理步骤"),
    "where_table": Texts("the table above", "上方的表格"),
    "report_only": Texts(
        "{count} correction(s) the target cannot make: report only.",
        "{count} 处修正目标系统无法执行：仅报告。",
    ),
    "run_apply": Texts("Run again with --apply to make them.", "加 --apply 再运行一次即可执行修正。"),
    "errors": Texts("{count} error(s): see above.", "{count} 个错误：见上方。"),
}

_ACTIONS: dict[str, Texts] = {
    "none": Texts("alert only", "仅提醒"),
    "planned": Texts("fix {target}", "修正{target}"),
    "applied": Texts("fixed in {target}", "已在{target}修正"),
    "unverified": Texts("written to {target}, not verified", "{target}已写入，未经验证"),
    "skipped": Texts("already fixed in {target}", "{target}已是正确值"),
    "failed": Texts("FAILED: {detail}", "失败：{detail}"),
    "unsupported": Texts("report only: {detail}", "仅报告：{detail}"),
}


def handover_label(mode: HandoverMode, lang: str) -> str:
    """``PICK UP`` as the waybill prints it; in Chinese with the ops term: ``PICK UP（上门揽收）``."""
    return f"{mode.label}（{_HANDOVER_ZH[mode]}）" if lang == "zh" else mode.label


def status_label(status: str, lang: str) -> str:
    """A subscription status value (``pending_review``) as operators say it (``审核中``)."""
    words = STATUSES.get(status)
    return words.get(lang) if words is not None else status


def kind_label(kind: str, lang: str) -> str:
    words = KINDS.get(kind)
    return words.get(lang) if words is not None else kind


def value_label(value: str, lang: str, *, statuses: bool) -> str:
    """A drift's value as operators spell it: handover modes by their waybill label (either
    spelling, ``DROP_OFF`` or ``DROP OFF``), subscription statuses in words when ``statuses``
    (pickup values only: an address is never mistaken for a status), anything else unchanged."""
    for mode in HandoverMode:
        if value in (mode.value, mode.label):
            return handover_label(mode, lang)
    if statuses and value in STATUSES:
        return status_label(value, lang)
    return value


def action_text(
    status: str | None, target: str | None, detail: str | None, lang: str, *, unverified: bool = False
) -> str:
    """What happens to a drift: ``status`` is an ActionResult status, None when nothing is planned.
    An ``unverified`` write (``ActionResult.unverified``) is said to be written, never fixed."""
    words = _ACTIONS["unverified" if unverified else "none" if status is None else status]
    where = _TARGETS[target].get(lang) if target in _TARGETS else (target or "")
    return words.get(lang).format(target=where, detail=detail or "").strip()
