"""One shop on the TikTok seller and a files ERP with no files yet: the config CLI tests start from.

Nothing in it reaches a network: the CLI tests that use it stop before any call, or run aspects
that have nothing configured (an ERP folder without products or shipments files).
"""

from __future__ import annotations

from pathlib import Path

CONFIG = (
    '[[shops]]\nname = "acme"\n[shops.seller]\ntype = "tiktok"\napp_key = "k"\napp_secret = "s3cr3t-value"\n'
    'shop_id = "1"\naccess_token = "t0ken-value"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
)


def write_config(folder: Path) -> Path:
    """``erpsync.toml`` and an empty ``erp`` folder in ``folder``; the config's path."""
    (folder / "erp").mkdir()
    path = folder / "erpsync.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path
