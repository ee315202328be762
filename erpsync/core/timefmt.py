"""Times as operators read them: Beijing time (UTC+8), the clock the sellers and providers keep.

The platform's notices and the providers' hours are in Beijing time, so reports and drift texts
are too; stored values and JSON stay ISO 8601 with their offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

__all__ = ["BEIJING", "beijing_time"]

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def beijing_time(when: datetime, lang: str = "en") -> str:
    """``2023-09-19 00:00 北京时间`` / ``2023-09-19 00:00 Beijing time``; naive datetimes are UTC."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    text = aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return f"{text} 北京时间" if lang == "zh" else f"{text} Beijing time"
