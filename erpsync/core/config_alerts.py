"""The ``[[alerts]]`` tables and the ``[alerting]`` table of the config.

The host, not the sink, handles the keys every sink has: ``name`` (to tell two sinks of one type
apart in the outbox and on the command line), ``language``, the filters (``min_severity``,
``shops``, ``aspects``) and ``timeout_seconds`` (how long one send may take before the run moves
on); the remaining keys go to the sink's own ``Options`` schema. A sink's ``secret_options``
(robot tokens, webhook keys, SMTP passwords) join the redaction list whether they come from
``${ENV}`` or are written in the file: a literal secret is still a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from erpsync.core.lang import LANGS, Lang
from erpsync.core.models import Severity

#: how long one ``send`` may take before the run gives up on the sink for this run
DEFAULT_SINK_TIMEOUT_SECONDS = 30.0
SEVERITIES = tuple(s.value for s in Severity)  # info < warning < critical
#: marshmallow's nested messages → (key, reason) pairs (``config._flatten``)
Flatten = Callable[[Any, list[str | int]], list[tuple[str, str]]]
HOST_KEYS = ("type", "name", "language", "min_severity", "shops", "aspects", "timeout_seconds")


@dataclass(frozen=True)
class AlertSettings:
    """One configured sink: its plugin ``type``, unique ``name``, the sink's own ``options``, and
    what the host decides for it (language, filters, timeout)."""

    type: str
    name: str
    options: dict[str, Any]
    language: Lang = "en"
    min_severity: str = "info"
    shops: tuple[str, ...] | None = None  # None: every shop
    aspects: tuple[str, ...] | None = None  # None: every aspect (and "auth", token trouble)
    timeout_seconds: float = DEFAULT_SINK_TIMEOUT_SECONDS

    def wants(self, *, shop: str, aspect: str, severity: str) -> bool:
        """Whether an alert about ``shop``/``aspect`` at ``severity`` passes this sink's filters."""
        if self.shops is not None and shop not in self.shops:
            return False
        if self.aspects is not None and aspect not in self.aspects:
            return False
        rank = SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
        return rank >= SEVERITIES.index(self.min_severity)


@dataclass(frozen=True)
class AlertingSettings:
    """The ``[alerting]`` table: the lifecycle every sink shares."""

    #: hours an open drift waits after its last alert before a reminder; 0: never remind
    remind_after_hours: float = 24.0
    #: hours an undelivered alert is retried before it expires (and is reported)
    max_age_hours: float = 72.0


class _Common(Schema):
    type = fields.String(required=True)
    name = fields.String(
        load_default=None,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_.-]+$", error="use ASCII letters, digits, - _ . (typed on command lines)"
        ),
    )
    language = fields.String(
        load_default=None, validate=validate.OneOf(LANGS, error='use "en" (English) or "zh" (中文), not {input!r}')
    )
    min_severity = fields.String(
        load_default="info",
        validate=validate.OneOf(SEVERITIES, error=f"use one of {', '.join(SEVERITIES)}, not {{input!r}}"),
    )
    shops = fields.List(fields.String(), load_default=None)
    aspects = fields.List(fields.String(), load_default=None)
    timeout_seconds = fields.Float(
        load_default=DEFAULT_SINK_TIMEOUT_SECONDS, validate=validate.Range(min=0, min_inclusive=False)
    )


class AlertingSchema(Schema):
    remind_after_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0))
    max_age_hours = fields.Float(load_default=72.0, validate=validate.Range(min=0, min_inclusive=False))


def load_alerts(
    tables: list[Mapping[str, Any]],
    sinks: Mapping[str, Any],
    *,
    lang: Lang,
    shops: Collection[str],
    aspects: Collection[str],
    errors: list[tuple[str, str]],
    secrets: set[str],
    min_secret_length: int,
    flatten: Flatten,
) -> tuple[AlertSettings, ...]:
    """Each ``[[alerts]]`` table → ``AlertSettings``; problems go to ``errors`` as (key, reason)."""
    out: list[AlertSettings] = []
    names: dict[str, int] = {}
    known_aspects = {*aspects, "auth"}  # "auth": token trouble, raised by the host itself
    for i, table in enumerate(tables):
        key = f"alerts[{i}]"
        kind = table.get("type")
        cls = sinks.get(kind) if isinstance(kind, str) else None
        if cls is None or not isinstance(kind, str):
            errors.append((key, f"unknown alert sink {kind!r} (known: {', '.join(sorted(sinks))})"))
            continue
        try:
            common = _Common().load({k: v for k, v in table.items() if k in HOST_KEYS})
        except ValidationError as exc:
            errors.extend((f"{key}.{k}", r) for k, r in flatten(exc.messages, []))
            continue
        name: str = common["name"] or kind
        if name in names:
            errors.append(
                (f"{key}.name", f"duplicate alert sink name {name!r} (also alerts[{names[name]}]): give each a name")
            )
        names.setdefault(name, i)
        for field_name, known in (("shops", shops), ("aspects", known_aspects)):
            for j, value in enumerate(common[field_name] or ()):
                if value not in known:
                    errors.append(
                        (
                            f"{key}.{field_name}[{j}]",
                            f"unknown {field_name[:-1]} {value!r} (known: {', '.join(sorted(known))})",
                        )
                    )
        try:
            options = cls.Options().load({k: v for k, v in table.items() if k not in HOST_KEYS})
        except ValidationError as exc:
            errors.extend((f"{key}.{k}", r) for k, r in flatten(exc.messages, []))
            continue
        note_secrets(cls, options, key, errors, secrets, min_secret_length)
        out.append(
            AlertSettings(
                type=kind,
                name=name,
                options=options,
                language="zh" if (common["language"] or lang) == "zh" else "en",
                min_severity=common["min_severity"],
                shops=tuple(common["shops"]) if common["shops"] is not None else None,
                aspects=tuple(common["aspects"]) if common["aspects"] is not None else None,
                timeout_seconds=common["timeout_seconds"],
            )
        )
    return tuple(out)


def load_alerting(table: Mapping[str, Any], errors: list[tuple[str, str]], flatten: Flatten) -> AlertingSettings:
    try:
        loaded = AlertingSchema().load(table)
    except ValidationError as exc:
        errors.extend(flatten(exc.messages, ["alerting"]))
        return AlertingSettings()
    return AlertingSettings(**loaded)


def note_secrets(
    cls: type[Any],
    options: Mapping[str, Any],
    key: str,
    errors: list[tuple[str, str]],
    secrets: set[str],
    min_length: int,
) -> None:
    """Add the values of ``cls.secret_options`` to ``secrets`` (redacted everywhere, even when written
    literally in the file); a value too short to be a real secret is an error instead, because
    redacting a common short string would garble every message that happens to contain it."""
    for name in getattr(cls, "secret_options", ()):
        if options.get(name):
            if len(str(options[name])) < min_length:
                errors.append((f"{key}.{name}", f"too short to be a real secret (under {min_length} characters)"))
                continue
            secrets.add(str(options[name]))
