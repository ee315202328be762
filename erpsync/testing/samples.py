"""The warehouses the contract suite seeds, and what a schema-valid record is.

The samples carry what trips connectors in practice: Chinese text, a street with a space and a
full-width character, each handover mode and none, and seller ids of 19 digits, as the sandbox
gives them: more than a 64-bit float holds exactly, so an ERP that stores them as numbers loses
the last digits, and the read-back case shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace

from erpsync.core.errors import RecordError
from erpsync.core.models import Address, HandoverMode, PickupSignals, Records, Warehouse

#: the Address fields, in the order ``Address`` declares them
ADDRESS_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Address))

SAMPLE_WAREHOUSES: tuple[Warehouse, ...] = (
    Warehouse(
        "WH-DG-01",
        "东莞仓",
        Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850"),
        HandoverMode.PICKUP,
        "7494000000000000001",
    ),
    Warehouse(
        "WH-YW-02",
        "义乌仓",
        Address("李娜", "13900139000", "CN", "浙江省", "金华市", "义乌市", "稠州北路 1号（B座）", "322000"),
        HandoverMode.DROP_OFF,
        "7494000000000000002",
    ),
    Warehouse(
        "WH-SZ-03",
        "深圳仓",
        Address("王芳", "13700137000", "CN", "广东省", "深圳市", "龙岗区", "坂田街道 5号", "518129"),
        None,
        "7494000000000000003",
    ),
)

#: an id no sample has: a write to it must be a ConnectorError and create nothing
UNKNOWN_ID = "WH-NO-SUCH-9999"
#: a name that is no Address field: a write carrying it must be refused
NOT_A_FIELD = "fax_number"
#: new values the write cases set, one per Address field, each unlike every sample's
NEW_VALUES: dict[str, str] = {
    "contact_person": "赵强",
    "phone": "13600136000",
    "region_code": "HK",
    "state": "江苏省",
    "city": "苏州市",
    "district": "昆山市",
    "street": "前进东路 20号",
    "postal_code": "215300",
}


def without(warehouse: Warehouse, lacking: Iterable[str]) -> Warehouse:
    """The warehouse as a system that lacks some fields stores it: those fields blank or None."""
    lacking = set(lacking)
    address = replace(warehouse.address, **{f: "" for f in ADDRESS_FIELDS if f in lacking})
    return replace(
        warehouse,
        address=address,
        name="" if "name" in lacking else warehouse.name,
        handover_mode=None if "handover_mode" in lacking else warehouse.handover_mode,
        seller_warehouse_id=None if "seller_warehouse_id" in lacking else warehouse.seller_warehouse_id,
        source=None,
    )


def comparable(warehouse: Warehouse, lacking: Iterable[str] = ()) -> Warehouse:
    """What the cases compare: the record without ``source`` (a message aid, free per connector)."""
    return without(warehouse, lacking)


def schema_problems(records: object, kind: type = Warehouse) -> list[str]:
    """Why ``records`` is not a ``Records`` of schema-valid ``kind`` items (empty: it is)."""
    if not isinstance(records, Records):
        return [f"expected Records, got {type(records).__name__}"]
    problems = [
        f"errors[{i}] is {type(e).__name__}, not RecordError"
        for i, e in enumerate(records.errors)
        if not isinstance(e, RecordError)
    ]
    for i, item in enumerate(records.items):
        if not isinstance(item, kind):
            problems.append(f"items[{i}] is {type(item).__name__}, not {kind.__name__}")
        elif isinstance(item, Warehouse):
            problems += [f"items[{i}] ({item.id!r}): {p}" for p in _warehouse_problems(item)]
        elif isinstance(item, PickupSignals) and not (isinstance(item.warehouse_id, str) and item.warehouse_id):
            problems.append(f"items[{i}]: warehouse_id must be a non-empty str")
    return problems


def _warehouse_problems(w: Warehouse) -> list[str]:
    problems = []
    if not isinstance(w.id, str) or not w.id:
        problems.append("id must be a non-empty str")
    if not isinstance(w.name, str):
        problems.append("name must be a str")
    if not isinstance(w.address, Address):
        problems.append("address must be an Address")
    else:
        problems += [f"address.{f} must be a str" for f in ADDRESS_FIELDS if not isinstance(getattr(w.address, f), str)]
    if w.handover_mode is not None and not isinstance(w.handover_mode, HandoverMode):
        problems.append("handover_mode must be a HandoverMode or None")
    if w.seller_warehouse_id is not None and not isinstance(w.seller_warehouse_id, str):
        problems.append("seller_warehouse_id must be a str or None")
    if w.source is not None and not isinstance(w.source, str):
        problems.append("source must be a str or None")
    return problems


def duplicates(ids: Sequence[str]) -> list[str]:
    """The ids that occur more than once, each named once."""
    seen: set[str] = set()
    twice: set[str] = set()
    for i in ids:
        (twice if i in seen else seen).add(i)
    return sorted(twice)
