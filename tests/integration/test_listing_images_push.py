"""The ERP's image files reach Seller Center as uploaded uris: once per bytes, also across a crash.

The files ERP keeps ``front.png`` beside its products file; the listings aspect uploads it through
Upload Product Image and creates the product with the uri the sandbox answered (the sandbox
refuses any other uri with 12052300). The sandbox's call counts say how often it was uploaded.
"""

from __future__ import annotations

import csv
import signal
import sqlite3
import time

import pytest
from image_bytes import png
from listing_shop import COLUMNS, configure, run_listings

pytestmark = pytest.mark.integration

UPLOAD = "/product/202309/images/upload"
CREATE = "/product/202309/products"


def setup(ws, products: list[tuple[str, str, str]], files: dict[str, bytes]) -> None:
    """A shop with no ``images`` table; ``(id, seller_sku, images)`` products and image files in erp/."""
    configure(ws)
    (ws.root / "erp").mkdir(exist_ok=True)
    for name, content in files.items():
        (ws.root / "erp" / name).write_bytes(content)
    (ws.root / "secret.png").write_bytes(png(shade=9))  # beside the ERP's directory, never to be sent
    with (ws.root / "erp" / "products.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(COLUMNS)
        for pid, sku, images in products:
            out.writerow([pid, sku, f"Item {pid}", "", "10", "USD", "3", images, ""])
    ws.admin("DELETE", "counts")


def uploads(ws) -> int:
    return ws.counts()["paths"].get(UPLOAD, {}).get("calls", 0)


def seller_images(ws) -> dict[str, list[str]]:
    """The products this test's ERP holds, in Seller Center: ``{seller_sku: main image uris}``."""
    out = {}
    for product in ws.admin("GET", "products")["products"]:
        for sku in product["skus"]:
            if sku["seller_sku"] in ("MUG", "CUP", "LAMP"):  # the scenario has products of its own
                out[sku["seller_sku"]] = [i["uri"] for i in product["main_images"]]
    return out


def remembered(ws) -> list[tuple[str, str, str]]:
    with sqlite3.connect(ws.root / "state.db") as db:
        rows = db.execute("SELECT erp_id, seller_id, last_pushed_hash FROM bindings WHERE entity = 'image'").fetchall()
    return sorted(rows)


def test_a_local_file_is_uploaded_once_for_every_product_showing_it(demo_ws):
    same = png()
    setup(
        demo_ws,
        [("P1", "MUG", "front.png"), ("P2", "CUP", "copy.png|tos-not-uploaded"), ("P3", "LAMP", "../secret.png")],
        {"front.png": same, "copy.png": same},
    )
    first = run_listings(demo_ws)
    by_product = {r.action.value.split('"erp_id": "')[1][:2]: r for r in first.actions}
    assert by_product["P1"].status == "applied", by_product["P1"]
    # P2 sends its second name as it is, and the sandbox refuses a uri it never hosted
    assert by_product["P2"].status == "failed" and "12052300" in (by_product["P2"].detail or "")
    # a name escaping the ERP's directory fails its product alone, naming product and image
    assert by_product["P3"].status == "failed"
    assert "product 'P3'" in (by_product["P3"].detail or "") and "image '../secret.png'" in (
        by_product["P3"].detail or ""
    )
    assert "outside the image directory" in (by_product["P3"].detail or "")
    assert uploads(demo_ws) == 1  # front.png and copy.png are the same bytes
    ((digest, uri, name),) = remembered(demo_ws)
    assert name == "front.png" and len(digest) == 64
    assert seller_images(demo_ws) == {"MUG": [uri]}

    (demo_ws.root / "erp" / "products.csv").write_text(
        ",".join(COLUMNS) + "\nP1,MUG,Item P1,,10,USD,3,front.png,\nP2,CUP,Item P2,,10,USD,3,copy.png,\n",
        encoding="utf-8",
    )
    second = run_listings(demo_ws)
    assert [r.status for r in second.actions] == ["applied"], second.actions
    assert seller_images(demo_ws) == {"MUG": [uri], "CUP": [uri]}
    assert uploads(demo_ws) == 1
    assert run_listings(demo_ws).actions == []


def test_a_run_killed_between_upload_and_create_is_rerun_without_uploading_again(demo_ws, tmp_path):
    setup(demo_ws, [("P1", "MUG", "front.png")], {"front.png": png()})
    demo_ws.admin("POST", "faults", {"latency_ms": 1500})  # every API call takes 1.5 s: time to kill
    proc = demo_ws.start_cli("push", "listings")
    try:
        deadline = time.monotonic() + 60
        while uploads(demo_ws) == 0:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no upload in 60 s"
            time.sleep(0.02)
        time.sleep(0.4)  # the uri is recorded at once; the create waits out its 1.5 s
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert demo_ws.counts()["paths"].get(CREATE, {}).get("2xx", 0) == 0  # killed before the create
    ((_digest, uri, _name),) = remembered(demo_ws)
    demo_ws.admin("POST", "faults", {"latency_ms": 0})

    rerun = run_listings(demo_ws)
    assert [r.status for r in rerun.actions] == ["applied"], rerun.actions
    assert uploads(demo_ws) == 1
    assert seller_images(demo_ws) == {"MUG": [uri]}
