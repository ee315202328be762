"""Alert events for the chat-sink tests: plain data, both languages, and a secret to look for."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from erpsync.plugins.alerts.base import AlertEvent

#: 2026-11-26 02:30 UTC is 10:30 Beijing time
AT = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
FIRST_SEEN = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)

STEPS = (
    {"en": "Open Seller Center > Warehouses and correct the phone", "zh": "打开商家后台 > 仓库管理，改正联系电话"},
    {"en": "Call Wanse on 4008206207", "zh": "致电万色 4008206207"},
)


def event(lang: str = "en", what: str = "opened", **changes: Any) -> AlertEvent:
    """A phone drift on warehouse WH-SZ of shop-a, in ``lang``."""
    message = {
        "en": "warehouse WH-SZ: phone differs: Seller Center 0755-1234, ERP 0755-9999",
        "zh": "仓库 WH-SZ：联系电话不一致：商家后台 0755-1234，ERP 0755-9999",
    }[lang]
    base = AlertEvent(
        event=what,  # type: ignore[arg-type]
        shop="shop-a",
        aspect="warehouse_address",
        kind="field_mismatch",
        subject="WH-SZ",
        field="phone",
        seller_value="0755-1234",
        erp_value="0755-9999",
        severity="critical",
        message=message,
        fingerprint="fp-phone",
        at=AT,
        run_id="run-1",
        steps=STEPS,
        lang=lang,  # type: ignore[arg-type]
    )
    return replace(base, **changes)


def burst(n: int, lang: str = "en") -> list[AlertEvent]:
    """``n`` drifts over three shops, warehouses WH-0 … WH-(n-1)."""
    kinds = ("opened", "resolved", "reminder")
    return [
        event(
            lang, kinds[i % 3], shop=f"shop-{i % 3}", subject=f"WH-{i}", severity=("critical", "warning", "info")[i % 3]
        )
        for i in range(n)
    ]
