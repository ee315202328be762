"""The erpsync configuration that points at a running sandbox, printed by ``erpsync sandbox serve``.

A newcomer who starts the sandbox should not have to dig its credentials out of a scenario file:
the snippet names the sandbox's own URL for both ``base_url`` and ``auth_base_url`` (it serves the
token endpoints on the same host), an app's key and secret, a fixed access token that works now,
and each shop that token may call. Saved as ``erpsync.toml`` next to an ``erp/warehouses.csv``,
``erpsync check`` passes. The sandbox shares no code with the real client, so the ERP's column
header below is written out here from the README, not imported.
"""

from __future__ import annotations

import json
import re
import time

from erpsync.sandbox.model import Token
from erpsync.sandbox.world import World

#: the header line of the files ERP's warehouses.csv, as the README documents it
ERP_HEADER = (
    "id,name,seller_warehouse_id,contact_person,phone,region_code,state,city,district,street,postal_code,handover_mode"
)


def _usable(token: Token, now: float) -> bool:
    return token.expires_at > now and token.scopes is None and not token.replaced and bool(token.shop_ids)


def _name(shop_name: str, shop_id: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", shop_name.lower()).strip("-") or f"shop-{shop_id}"
    name, n = slug, 2
    while name in taken:
        name, n = f"{slug}-{n}", n + 1
    taken.add(name)
    return name


def config_snippet(world: World, url: str, now: float | None = None) -> str:
    """TOML for an erpsync config against the sandbox at ``url``; empty if no app has a usable token.

    ``now`` is the REAL clock (token expiry is real time in the sandbox, see ``tokens.py``).
    """
    now = time.time() if now is None else now
    q = json.dumps  # a TOML basic string is a JSON string for these ASCII values
    for app in world.apps.values():
        token = next((t for t in app.tokens.values() if _usable(t, now)), None)
        if token is None:
            continue
        shops = [world.shops[i] for i in token.shop_ids if i in world.shops]
        taken: set[str] = set()
        names = [_name(shop.name, shop.id, taken) for shop in shops]
        paths = ["erp"] if len(shops) == 1 else [f"erp/{name}" for name in names]
        lines = [
            f"# erpsync config for this sandbox ({world.name}): save it as erpsync.toml. Each shop's ERP",
            "# (the files ERP) is a folder with a warehouses.csv; start each with its header line:",
            *(f"#   mkdir -p {path} && echo '{ERP_HEADER}' > {path}/warehouses.csv" for path in paths),
            "# then run: erpsync check",
            'data_dir = ".erpsync"',
        ]
        for shop, name, path in zip(shops, names, paths, strict=True):
            lines += [
                "",
                "[[shops]]",
                f"name = {q(name)}",
                "[shops.seller]",
                'type = "tiktok"',
                f"base_url = {q(url)}",
                f"auth_base_url = {q(url)}   # the sandbox serves the token endpoints too",
                f"app_key = {q(app.app_key)}",
                f"app_secret = {q(app.app_secret)}",
                f"shop_id = {q(shop.id)}   # {shop.name} ({shop.region})",
                f"access_token = {q(token.access_token)}",
                "# or drop access_token and authorise as a seller would: the code is data.code of",
                f"#   {url}/_sandbox/authorize?app_key={app.app_key}&shop_id={shop.id}",
                f"# then: erpsync auth exchange CODE --shop {name}",
                "[shops.erp]",
                'type = "files"',
                f"path = {q(path)}",
            ]
        return "\n".join(lines) + "\n"
    return ""
