"""The files ERP's shipments sharing an id: rows that differ are each refused, naming the others
and their own package, so no package of them is pushed; exact copies are one shipment.

Through the tracking aspect's observe over the real files ERP, as ``test_tracking_observe.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tracking_observe import NOW, Memory, TwoCarriers, plan_erp_wins

from erpsync.connectors.files import FilesErp
from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.tracking import TrackingAspect, TrackingSettings
from erpsync.core.connector import ShopContext

HEADER = "id,package_id,order_id,tracking_number,carrier\n"
CARRIERS = {"SF Express": "7208000000000000001", "J&T Express": "7208000000000000002"}


def files_erp(tmp_path: Path, raw: bytes, name: str = "shipments.csv") -> FilesErp:
    (tmp_path / "erp").mkdir(exist_ok=True)
    (tmp_path / "erp" / name).write_bytes(raw)
    options = FilesErp.Options().load({"path": "erp", "format": "auto", "shipments": name})
    return FilesErp(options, shop=ShopContext("shop", tmp_path))


def observe(files: FilesErp):
    settings = TrackingSettings().load({"carriers": CARRIERS})
    return TrackingAspect().observe(
        ObserveContext("shop", TwoCarriers(), files, NOW, memory=Memory(), settings=settings)
    )


@pytest.mark.parametrize(
    ("second", "differs"),
    [
        ("S1,P2,O2,JT2002,J&T Express", "package P2, JT2002 by J&T Express"),
        ("S1,P1,O1,SF1009,SF Express", "package P1, SF1009 by SF Express"),
        ("S1,P1,O1,SF1001,J&T Express", "package P1, SF1001 by J&T Express"),
    ],
    ids=["another package", "another number", "another carrier"],
)
def test_rows_of_one_id_that_differ_are_each_refused_and_none_is_pushed(tmp_path, second, differs):
    """Keeping the first row would let the file's order decide which shipment the id names."""
    raw = HEADER + f"S1,P1,O1,SF1001,SF Express\n{second}\nS3,P3,O3,SF3003,SF Express\n"
    obs = observe(files_erp(tmp_path, raw.encode()))
    assert [a.subject for a in plan_erp_wins(obs)] == ["P3"] and obs.scope == {"P3"}
    package = second.split(",")[1]
    ids = [(e.source.rsplit("/", 1)[-1], e.field, e.package_id) for e in obs.record_errors if e.field == "id"]
    assert ids == [("shipments.csv:2", "id", "P1"), ("shipments.csv:3", "id", package)]
    first = "package P1, SF1001 by SF Express"
    for error in obs.record_errors[:2]:
        assert first in error.reason and differs in error.reason and error.record == "shipment 'S1'", error


def test_exact_copies_of_a_row_are_one_shipment_pushed_once(tmp_path):
    """The same package, number (case aside) and carrier: the id is not in doubt."""
    raw = HEADER + "S1,P1,O1,SF1001,SF Express\nS1,P1,O1,sf1001,SF Express\n"
    records = files_erp(tmp_path, raw.encode()).list_shipments()
    assert records is not None and records.errors == ()
    assert [(s.id, s.tracking_number, s.source.rsplit("/", 1)[-1]) for s in records.items] == [
        ("S1", "SF1001", "shipments.csv:2")
    ]
    obs = observe(files_erp(tmp_path, raw.encode()))
    assert obs.record_errors == [] and [a.subject for a in plan_erp_wins(obs)] == ["P1"]


_UNREAD = {
    "a row refused for its number": HEADER.encode() + b"S1,P1,O1,SF1001,SF Express\nS1,P2,O2,JT 2002,J&T Express\n",
    "a row that does not decode": HEADER.encode() + b"S1,P1,O1,SF1001,SF Express\nS1,P2,O2,JT2002\xff,J&T Express\n",
    "a row refused before the one that reads": HEADER.encode()
    + b"S1,P2,O2,JT 2002,J&T Express\nS1,P1,O1,SF1001,SF Express\n",
}


@pytest.mark.parametrize("case", list(_UNREAD))
def test_a_row_of_the_id_that_could_not_be_read_holds_back_the_one_that_reads(tmp_path, case):
    """The unread row may be another shipment under that id: the readable row is refused too,
    naming where the unread one is, and each row's error names its own package."""
    obs = observe(files_erp(tmp_path, _UNREAD[case]))
    assert plan_erp_wins(obs) == [] and obs.scope == set()
    packages = sorted((e.package_id, e.field) for e in obs.record_errors)
    assert ("P1", "id") in packages and any(p == "P2" for p, _f in packages), packages
    held = next(e for e in obs.record_errors if e.package_id == "P1" and e.field == "id")
    assert "a row erpsync could not read (" in held.reason and "package P1, SF1001 by SF Express" in held.reason
