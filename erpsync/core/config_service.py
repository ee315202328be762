"""The ``[service]`` table: how ``erpsync run``, the Celery workers and the webhook receiver run.

One table for everything long-running, so a single seller (``erpsync run`` on SQLite) and an agency
(Celery on Redis, PostgreSQL) read the same intervals. Every key has a default: a config without
``[service]`` runs every aspect on the intervals below, serves ``/healthz`` and ``/metrics`` on
loopback, and has no Celery broker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from marshmallow import Schema, ValidationError, fields, validate

from erpsync.core.config_schema import DEFAULT_CONCURRENCY
from erpsync.core.credentials import Credential

__all__ = [
    "DEFAULT_INTERVALS",
    "OTHER_ASPECT_INTERVAL_MINUTES",
    "CelerySettings",
    "ServiceSettings",
    "WebhookSettings",
    "load_service",
]

#: minutes between runs of each built-in aspect and of the alert outbox drain. Tracking numbers and
#: order statuses are what buyers see, so they go first; addresses and pickup change by hand and
#: rarely; listings are the most calls per run.
DEFAULT_INTERVALS: Mapping[str, float] = MappingProxyType(
    {
        "tracking": 5.0,
        "order_status": 5.0,
        "ship_by": 15.0,
        "warehouse_address": 15.0,
        "pickup": 15.0,
        "listings": 60.0,
        "outbox": 1.0,
    }
)
#: minutes between runs of a plugin's aspect that ``[service.intervals]`` does not name
OTHER_ASPECT_INTERVAL_MINUTES = 15.0
DEFAULT_LISTEN = "127.0.0.1:9187"
DEFAULT_WEBHOOK_LISTEN = "0.0.0.0:8080"
DEFAULT_LOCK_SECONDS = 300.0
DEFAULT_MAX_BODY_BYTES = 1_048_576
#: a day: wider than the ~13 h over which the platform retries a notification, so a late retry is
#: still accepted (and deduplicated by its notification id)
DEFAULT_TIMESTAMP_WINDOW_SECONDS = 86_400.0
TRIGGERS = ("auto", "scheduler", "celery")
Trigger = Literal["scheduler", "celery"]
Flatten = Callable[[Any, list[str | int]], list[tuple[str, str]]]
_LISTEN = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")


@dataclass(frozen=True)
class CelerySettings:
    """``[service.celery]``: the broker, and how long a shop's Redis lock lives unless extended."""

    broker_url: str
    #: the lock's TTL; a running task extends it every third of it
    lock_seconds: float = DEFAULT_LOCK_SECONDS


@dataclass(frozen=True)
class WebhookSettings:
    """``[service.webhooks]``: the receiver of ``erpsync webhooks serve``."""

    listen: str = DEFAULT_WEBHOOK_LISTEN
    #: the app whose secret signs notifications ("" when the shops do not share one app)
    app_key: str = ""
    app_secret: str = ""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    timestamp_window_seconds: float = DEFAULT_TIMESTAMP_WINDOW_SECONDS
    #: where a notification's targeted sync goes: sync request rows run by ``erpsync run``, or Celery
    #: tasks ("auto" in the file is resolved when it loads: celery when ``[service.celery]`` is set)
    trigger: Trigger = "scheduler"


@dataclass(frozen=True)
class UiSettings:
    """``[service.ui]``: the status page's login token and language."""

    #: the token an operator types to act (acknowledge, retry, run now, unlock); "" = read-only page
    token: str = ""
    #: "en" or "zh"; None follows the top-level ``lang``
    lang: str | None = None


@dataclass(frozen=True)
class ServiceSettings:
    concurrency: int = DEFAULT_CONCURRENCY
    #: host:port of ``/healthz`` and ``/metrics``; "" turns the endpoint off
    listen: str = DEFAULT_LISTEN
    #: minutes between runs, per aspect and "outbox"
    intervals: Mapping[str, float] = field(default_factory=lambda: DEFAULT_INTERVALS)
    celery: CelerySettings | None = None
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def interval_seconds(self, name: str) -> float:
        """Seconds between two runs of aspect ``name`` (or "outbox")."""
        return 60.0 * self.intervals.get(name, DEFAULT_INTERVALS.get(name, OTHER_ASPECT_INTERVAL_MINUTES))


def parse_listen(listen: str) -> tuple[str, int]:
    """``"host:port"`` (``[::1]:9187`` for IPv6) → (host, port); port 0 asks for a free one.

    Raises ValueError saying what to write: the config's checks and the ``--listen`` options
    share it, so a bad value is refused before anything starts, never at the bind.
    """
    m = _LISTEN.match(listen)
    if m is None or int(m["port"]) > 65535:
        raise ValueError(f'use "host:port", e.g. "127.0.0.1:9187", not {listen!r}')
    return m["host"].strip("[]"), int(m["port"])


def _listen(*, allow_empty: bool) -> Callable[[str], None]:
    def check(value: str) -> None:
        if allow_empty and value == "":
            return
        m = _LISTEN.match(value)
        if m is None or not 0 < int(m["port"]) < 65536:
            hint = ', or "" to turn it off' if allow_empty else ""
            raise ValidationError(f'use "host:port", e.g. "127.0.0.1:9187"{hint}, not {value!r}')

    return check


class _Celery(Schema):
    broker_url = fields.String(
        required=True, validate=validate.Length(min=1, error='give the broker, e.g. "redis://localhost:6379/0"')
    )
    lock_seconds = fields.Float(
        load_default=DEFAULT_LOCK_SECONDS, validate=validate.Range(min=3, error="use at least 3 seconds")
    )


class _Webhooks(Schema):
    listen = fields.String(load_default=DEFAULT_WEBHOOK_LISTEN, validate=_listen(allow_empty=False))
    #: stripped and checked as the seller's are: a secret read with a trailing newline would fail
    #: every genuine signature, and TikTok does not retry a delivery answered 401
    app_key = Credential(load_default="", empty_is_unset=True)
    app_secret = Credential(load_default="", empty_is_unset=True)
    max_body_bytes = fields.Integer(
        load_default=DEFAULT_MAX_BODY_BYTES, strict=True, validate=validate.Range(min=1, error="use a byte count")
    )
    timestamp_window_seconds = fields.Float(
        load_default=DEFAULT_TIMESTAMP_WINDOW_SECONDS, validate=validate.Range(min=0, min_inclusive=False)
    )
    trigger = fields.String(
        load_default="auto",
        validate=validate.OneOf(TRIGGERS, error=f"use one of {', '.join(TRIGGERS)}, not {{input!r}}"),
    )


class _Ui(Schema):
    #: stripped as the webhook app is: a token read with a trailing newline matched no login
    token = Credential(load_default="", empty_is_unset=True, any_inside=True)
    lang = fields.String(
        load_default=None, validate=validate.OneOf(("en", "zh"), error='use "en" or "zh", not {input!r}')
    )


class ServiceSchema(Schema):
    concurrency = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1, max=64, error="use a whole number of shops from 1 to 64"),
    )
    listen = fields.String(load_default=DEFAULT_LISTEN, validate=_listen(allow_empty=True))
    intervals = fields.Dict(keys=fields.String(), load_default=dict)  # checked by _intervals
    celery = fields.Nested(_Celery, load_default=None)
    webhooks = fields.Nested(_Webhooks, load_default=lambda: _Webhooks().load({}))
    ui = fields.Nested(_Ui, load_default=lambda: _Ui().load({}))


def _shared_app(sellers: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[str, str]:
    """The (app_key, app_secret) every TikTok shop uses, or ("", "") when they differ or none is one."""
    apps = {(str(o.get("app_key", "")), str(o.get("app_secret", ""))) for t, o in sellers if t == "tiktok"}
    return next(iter(apps)) if len(apps) == 1 else ("", "")


def _intervals(table: Mapping[str, Any], aspects: Collection[str], errors: list[tuple[str, str]]) -> dict[str, float]:
    """``[service.intervals]``: minutes above 0, each named after a registered aspect or "outbox"."""
    known = sorted({*aspects, "outbox"})
    out: dict[str, float] = {}
    for name, value in table.items():
        key = f"service.intervals.{name}"
        if name not in known:
            errors.append((key, f"unknown aspect {name!r} (known: {', '.join(known)})"))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors.append((key, f"use a number of minutes, not {value!r}"))
        elif value <= 0:
            errors.append((key, "use a number of minutes above 0"))
        else:
            out[name] = float(value)
    return out


def load_service(
    table: Mapping[str, Any],
    *,
    aspects: Collection[str],
    sellers: Sequence[tuple[str, Mapping[str, Any]]],
    default_concurrency: int,
    errors: list[tuple[str, str]],
    secrets: set[str],
    min_secret_length: int,
    flatten: Flatten,
) -> ServiceSettings:
    """``[service]`` → ``ServiceSettings``; problems go to ``errors`` as (``service.…`` key, reason).

    ``sellers`` are the shops' seller connectors as (type, options): the webhook receiver verifies
    with their app when they all share one and ``[service.webhooks]`` names none.
    """
    try:
        doc = ServiceSchema().load(table)
    except ValidationError as exc:
        errors.extend(flatten(exc.messages, ["service"]))
        return ServiceSettings(concurrency=default_concurrency)
    intervals = {**DEFAULT_INTERVALS, **_intervals(doc["intervals"], aspects, errors)}
    celery = CelerySettings(**doc["celery"]) if doc["celery"] is not None else None

    hooks = doc["webhooks"]
    trigger = hooks["trigger"]
    if trigger == "celery" and celery is None:
        errors.append(("service.webhooks.trigger", '"celery" needs a [service.celery] table with a broker_url'))
    resolved: Trigger = "celery" if trigger == "celery" or (trigger == "auto" and celery) else "scheduler"
    app_key, app_secret = hooks["app_key"], hooks["app_secret"]
    if not app_key and not app_secret:
        app_key, app_secret = _shared_app(sellers)
    if app_secret:
        if len(app_secret) < min_secret_length:
            errors.append(
                ("service.webhooks.app_secret", f"too short to be a real secret (under {min_secret_length} characters)")
            )
        else:
            secrets.add(app_secret)
    ui = doc["ui"]
    if ui["token"]:
        if len(ui["token"]) < min_secret_length:
            errors.append(("service.ui.token", f"too short to be a real secret (under {min_secret_length} characters)"))
        else:
            secrets.add(ui["token"])
    return ServiceSettings(
        concurrency=doc["concurrency"] or default_concurrency,
        listen=doc["listen"],
        intervals=MappingProxyType(intervals),
        celery=celery,
        webhooks=WebhookSettings(
            listen=hooks["listen"],
            app_key=app_key,
            app_secret=app_secret,
            max_body_bytes=hooks["max_body_bytes"],
            timestamp_window_seconds=hooks["timestamp_window_seconds"],
            trigger=resolved,
        ),
        ui=UiSettings(token=ui["token"], lang=ui["lang"]),
    )
