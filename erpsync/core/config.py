"""Load ``erpsync.toml``: TOML, ``${ENV}`` interpolation for secrets, marshmallow schemas.

Every error names the file, the key and the reason, e.g.
``erpsync.toml: shops[1].erp: unknown ERP 'tryon' (known: files)``, and all errors in a file are
reported at once so an operator fixes them in one pass. The core knows no connector: the
caller passes the registered connector classes, aspects and alert sink classes, and each
``[aspects.<name>]`` table is validated by that aspect's own ``Settings`` schema.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from marshmallow import ValidationError

from erpsync.core.config_alerts import AlertingSettings as AlertingSettings
from erpsync.core.config_alerts import AlertSettings as AlertSettings
from erpsync.core.config_alerts import load_alerting, load_alerts, note_secrets
from erpsync.core.config_schema import DEFAULT_CONCURRENCY as DEFAULT_CONCURRENCY
from erpsync.core.config_schema import DEFAULT_SHOP_TIME_BUDGET_SECONDS as DEFAULT_SHOP_TIME_BUDGET_SECONDS
from erpsync.core.config_schema import Root
from erpsync.core.config_service import ServiceSettings as ServiceSettings
from erpsync.core.config_service import load_service
from erpsync.core.errors import ConfigError
from erpsync.core.lang import Lang
from erpsync.core.matching import MATCH_KEYS, MatchKey
from erpsync.core.policy import Policy, policy_for

if TYPE_CHECKING:
    from erpsync.core.aspects.base import Aspect

#: shorter secret values are refused: they are no real credentials, and redacting a short string
#: from every message (secrets never reach logs) would garble words that happen to contain it
MIN_SECRET_LENGTH = 8
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class ConnectorSettings:
    type: str
    options: dict[str, Any]


@dataclass(frozen=True)
class ShopSettings:
    name: str
    seller: ConnectorSettings
    erp: ConnectorSettings
    aspects: tuple[str, ...] | None
    policies: dict[str, Policy]
    #: wall-clock seconds this shop may take in one run (every HTTP call included)
    time_budget_seconds: float = DEFAULT_SHOP_TIME_BUDGET_SECONDS
    #: ERP warehouse id → Seller Center warehouse id, overriding every other match
    bindings: Mapping[str, str] = field(default_factory=dict)
    #: the keys ERP records are matched by automatically, in order (empty: only explicit bindings)
    match_by: tuple[MatchKey, ...] = MATCH_KEYS


@dataclass(frozen=True)
class Settings:
    path: Path
    base_dir: Path
    data_dir: Path
    state_url: str
    shops: tuple[ShopSettings, ...]
    alerts: tuple[AlertSettings, ...]
    aspect_settings: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # loaded by each Settings
    secrets: tuple[str, ...] = ()  # every secret value, for redaction
    #: the language of reports and alert messages (``--lang`` overrides it for one report)
    lang: Lang = "en"
    #: the ``[alerting]`` table: reminders and how long an undelivered alert is retried
    alerting: AlertingSettings = field(default_factory=AlertingSettings)
    #: how many shops one run reconciles side by side (1: one after another)
    concurrency: int = DEFAULT_CONCURRENCY
    #: the ``[service]`` table: ``erpsync run``'s intervals and endpoint, Celery, the webhook receiver
    service: ServiceSettings = field(default_factory=ServiceSettings)

    def shop(self, name: str) -> ShopSettings | None:
        return next((s for s in self.shops if s.name == name), None)


# --- helpers ---------------------------------------------------------------------------------


def _key(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _flatten(messages: Any, path: list[str | int]) -> list[tuple[str, str]]:
    """marshmallow's nested message dict → (``shops[1].erp.type``, reason) pairs."""
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for k, v in messages.items():
            sub = [*path] if k == "_schema" else [*path, k]
            out.extend(_flatten(v, sub))
        return out
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return [(_key(path), "; ".join(messages))]
        return [pair for m in messages for pair in _flatten(m, path)]
    return [(_key(path), str(messages))]


def interpolate(value: Any, path: list[str | int], errors: list[tuple[str, str]]) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string; a missing variable is an error."""
    if isinstance(value, dict):
        return {k: interpolate(v, [*path, k], errors) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, [*path, i], errors) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            resolved = os.environ[name]
        elif default is not None:
            resolved = default
        else:
            errors.append((_key(path), f"environment variable {name} is not set"))
            return ""
        return resolved

    return _ENV.sub(sub, value)


def _connector(
    raw: dict[str, Any],
    role: str,
    known: Mapping[str, Any],
    key: str,
    errors: list[tuple[str, str]],
    secrets: set[str],
) -> ConnectorSettings | None:
    label = "ERP" if role == "erp" else "seller backend"
    kind = raw.get("type")
    names = sorted(n for n, c in known.items() if c.role == role)
    if not isinstance(kind, str):
        errors.append((key, f"missing 'type' (known: {', '.join(names)})"))
        return None
    cls = known.get(kind)
    if cls is None or cls.role != role:
        errors.append((key, f"unknown {label} {kind!r} (known: {', '.join(names) or 'none'})"))
        return None
    options = {k: v for k, v in raw.items() if k != "type"}
    try:
        loaded = cls.Options().load(options)
    except ValidationError as exc:
        errors.extend((f"{key}.{k}" if k else key, r) for k, r in _flatten(exc.messages, []))
        return None
    note_secrets(cls, loaded, key, errors, secrets, MIN_SECRET_LENGTH)
    return ConnectorSettings(type=kind, options=loaded)


def _decode(data: bytes, shown: str) -> str:
    """The config's text; it must be UTF-8 (TOML says so), and a file an editor saved in the
    Chinese Windows code page (GBK/GB18030) is named as such, so the operator knows what to re-save."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            found = "in an unknown encoding"
        else:  # GB18030 is a superset of GBK and GB2312: any of them decodes
            found = "as GBK/GB18030"
        raise ConfigError(
            f"not UTF-8 ({where}): the file looks saved {found}; save it as UTF-8 (TOML files must be UTF-8)",
            path=shown,
        ) from None


def load_config(
    path: str | os.PathLike[str],
    *,
    connectors: Mapping[str, Any],
    aspects: Mapping[str, Aspect],
    alert_sinks: Mapping[str, Any],
) -> Settings:
    """Parse and validate a config file; raise one ConfigError listing every problem.

    ``aspects`` are the registered aspects by name: their ``policy_keys`` say which field and
    drift-kind names a policy table may use, their ``Settings`` schema loads ``[aspects.<name>]``.
    """

    def known_keys(aspect: str) -> Collection[str]:
        return getattr(aspects[aspect], "policy_keys", ())

    p = Path(path)
    shown = str(path)
    try:
        text = _decode(p.read_bytes(), shown)
    except FileNotFoundError:
        raise ConfigError("no such file; run `erpsync init` to write a starter config", path=shown) from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a config file; pass the file with -c FILE", path=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=shown) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=shown) from None

    errors: list[tuple[str, str]] = []
    secrets: set[str] = set()
    raw = interpolate(raw, [], errors)
    try:
        doc = Root().load(raw)
    except ValidationError as exc:
        errors.extend(_flatten(exc.messages, []))
        raise _config_error(shown, errors) from None

    base_dir = p.resolve().parent
    shops: list[ShopSettings] = []
    seen: dict[str, int] = {}
    for i, shop in enumerate(doc["shops"]):
        key = f"shops[{i}]"
        if shop["name"] in seen:
            errors.append((f"{key}.name", f"duplicate shop name {shop['name']!r} (also shops[{seen[shop['name']]}])"))
        seen.setdefault(shop["name"], i)
        seller = _connector(shop["seller"], "seller", connectors, f"{key}.seller", errors, secrets)
        erp = _connector(shop["erp"], "erp", connectors, f"{key}.erp", errors, secrets)
        for j, name in enumerate(shop["aspects"] or ()):
            if name not in aspects:
                errors.append((f"{key}.aspects[{j}]", f"unknown aspect {name!r} (known: {', '.join(sorted(aspects))})"))
        policies: dict[str, Policy] = {}
        for source, table in (("policy", doc["policy"]), (f"{key}.policy", shop["policy"])):
            for aspect, value in table.items():
                if aspect not in aspects:
                    errors.append((f"{source}.{aspect}", f"unknown aspect (known: {', '.join(sorted(aspects))})"))
                    continue
                try:  # built-in default ← global [policy] ← the shop's own table
                    policies[aspect] = policy_for(
                        aspect, value, base=policies.get(aspect), key=f"{source}.{aspect}", known=known_keys(aspect)
                    )
                except ConfigError as exc:
                    errors.append((exc.key or f"{source}.{aspect}", exc.reason))
        if seller and erp:
            aspect_names = tuple(shop["aspects"]) if shop["aspects"] is not None else None
            budget = shop["time_budget_seconds"] or doc["shop_time_budget_seconds"]
            shops.append(
                ShopSettings(
                    shop["name"],
                    seller,
                    erp,
                    aspect_names,
                    policies,
                    budget,
                    bindings=dict(shop["bindings"]),
                    match_by=tuple(cast(list[MatchKey], shop["match_by"])),
                )
            )

    lang: Lang = "zh" if doc["lang"] == "zh" else "en"
    alerts = load_alerts(
        doc["alerts"],
        alert_sinks,
        lang=lang,
        shops=[s["name"] for s in doc["shops"]],
        aspects=aspects,
        errors=errors,
        secrets=secrets,
        min_secret_length=MIN_SECRET_LENGTH,
        flatten=_flatten,
    )
    alerting = load_alerting(doc["alerting"], errors, _flatten)
    service = load_service(
        doc["service"],
        aspects=aspects,
        sellers=[(s.seller.type, s.seller.options) for s in shops],
        default_concurrency=doc["concurrency"],
        errors=errors,
        secrets=secrets,
        min_secret_length=MIN_SECRET_LENGTH,
        flatten=_flatten,
    )

    aspect_settings = _aspect_settings(doc["aspects"], aspects, errors)
    if errors:
        raise _config_error(shown, errors)

    data_dir = (base_dir / doc["data_dir"]).resolve()
    state_url = doc["state"]["url"] or f"sqlite:///{data_dir / 'state.db'}"
    return Settings(
        path=p,
        base_dir=base_dir,
        data_dir=data_dir,
        state_url=state_url,
        shops=tuple(shops),
        alerts=alerts,
        aspect_settings=aspect_settings,
        secrets=tuple(sorted(secrets, key=len, reverse=True)),
        lang=lang,
        alerting=alerting,
        concurrency=doc["concurrency"],
        service=service,
    )


def _aspect_settings(
    tables: Mapping[str, Any], aspects: Mapping[str, Aspect], errors: list[tuple[str, str]]
) -> dict[str, Mapping[str, Any]]:
    """Each registered aspect's settings, loaded by its ``Settings`` schema (an absent table is ``{}``)."""
    known = ", ".join(sorted(aspects)) or "none"
    for name in tables:
        if name not in aspects:
            errors.append((f"aspects.{name}", f"unknown aspect {name!r} (known: {known})"))
    out: dict[str, Mapping[str, Any]] = {}
    for name, aspect in aspects.items():
        table = tables.get(name, {})
        if not isinstance(table, Mapping):
            errors.append((f"aspects.{name}", f"expected a table ([aspects.{name}]), got {type(table).__name__}"))
            continue
        try:
            out[name] = aspect.Settings().load(table)
        except ValidationError as exc:
            errors.extend(_flatten(exc.messages, ["aspects", name]))
    return out


def _config_error(shown: str, errors: list[tuple[str, str]]) -> ConfigError:
    # One line per key: the first reason is the cause (``${ENV}`` is substituted before the schema
    # runs, so "not set" comes before the "Shorter than minimum length" it causes), and the global
    # [policy] table, checked once per shop, must not be reported once per shop.
    errors = list({k: (k, r) for k, r in reversed(errors)}.values())[::-1]
    lines = [f"{shown}: {k}: {r}" if k else f"{shown}: {r}" for k, r in errors]
    first_key, first_reason = errors[0]
    err = ConfigError(first_reason, path=shown, key=first_key or None)
    err.args = ("\n".join(lines),)
    err.problems = errors
    return err
