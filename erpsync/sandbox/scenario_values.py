"""Reading scenario values: times, durations, required fields, each error naming its JSON location.

Every scenario loader reads through these, so a typo fails at start-up with its location
(``shops[0].warehouses[1]: ...``) rather than as a puzzling API answer later.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_RELATIVE = re.compile(r"^([+-])((?:\d+[dhms])+)$")
_DURATION = re.compile(r"^(?:\d+[dhms])+$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class ScenarioError(ValueError):
    """The scenario is invalid; the message names the location and the reason."""


def _seconds(span: str) -> int:
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([dhms])", span))


def parse_time(value: Any, now: float, where: str) -> int:
    """Scenario time (int, ISO-8601 with offset, ``"now"``, ``"-2d"``, ``"+1h30m"``) → Unix seconds."""
    if isinstance(value, bool):
        raise ScenarioError(f"{where}: expected a time, got {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        if value == "now":
            return int(now)
        match = _RELATIVE.match(value)
        if match:
            seconds = _seconds(match.group(2))
            return int(now + seconds if match.group(1) == "+" else now - seconds)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                raise ScenarioError(f"{where}: ISO time {value!r} needs an offset such as +08:00")
            return int(parsed.timestamp())
    raise ScenarioError(f"{where}: {value!r} is not a time (use Unix seconds, ISO-8601, 'now' or '-2d')")


def parse_duration(value: Any, where: str) -> int:
    """Seconds from an int or a span such as ``"7d"`` / ``"1h30m"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DURATION.match(value):
        return _seconds(value)
    raise ScenarioError(f"{where}: {value!r} is not a duration (seconds, or '7d', '12h30m')")


def required(obj: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    """``obj[key]``, which must be present and of ``kind`` (a bool never passes for a number)."""
    if key not in obj:
        raise ScenarioError(f"{where}: missing '{key}'")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ScenarioError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def review_delay(value: Any, where: str) -> float | None:
    """A review delay in hours: a number >= 0, or None for reviews that never complete."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"{where}: review_delay_hours must be a number >= 0 or null")
    return float(value)


def list_at(data: dict[str, Any], key: str) -> list[Any]:
    """An optional top-level list (absent or null = empty)."""
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ScenarioError(f"{key}: expected a list")
    return value
