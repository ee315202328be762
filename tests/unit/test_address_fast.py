"""The diff's shortcuts (fields typed identically are not normalised, memoised normalisers) must
report exactly what comparing the two normalised addresses field by field reports."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import datetime

from erpsync.core.address import address_differences, normalize_address
from erpsync.core.aspects.warehouse_address import (
    Binding,
    WarehouseAddressAspect,
    WarehouseObservation,
    _pairs,
    bind_warehouses,
)
from erpsync.core.models import Address, Warehouse
from erpsync.core.pickup_regions import BEIJING

# a few spellings per field, so that sides often agree as typed, as normalised, or not at all
POOLS = {
    "contact_person": ["张三", " 张三 ", "张 三", "李四", "ZHANG san", "zhang  SAN"],
    "phone": ["13800138000", "+86 138-0013-8000", "0086 138 0013 8000", "13800138001", "020 7946 0000",
              "+44 20 7946 0000", "6123 4567", "", "138 0013 8000 / 139"],
    "region_code": ["CN", "cn", "", " CN ", "GB", "SG"],
    "state": ["广东省", "广东", "广西壮族自治区", "广西", ""],
    "city": ["东莞市", "东莞", "南宁市", "延边朝鲜族自治州", "延边", ""],
    "district": ["长安镇", "长安", "城区", "南山区", "南山", ""],
    "street": ["乌沙步步高大道126号", "广东东莞长安镇乌沙步步高大道126号", "东莞大道1号", "广东东莞大道1号",
               "东莞市东莞大道1号", "乌沙步步高大道１２６号，", "城区人民路5号", "南山区科技园1号", "Unit 5",
               "Unit 50"],
    "postal_code": ["523000", "523 000", "523001", ""],
}  # fmt: skip


def reference(seller: Address, erp: Address) -> list[tuple[str, str, str]]:
    """The definition: both sides normalised, each phone read in its region, else the other's."""
    left = normalize_address(seller, default_region=normalize_address(erp).region_code)
    right = normalize_address(erp, default_region=normalize_address(seller).region_code)
    return [
        (f.name, getattr(seller, f.name), getattr(erp, f.name))
        for f in fields(Address)
        if not (f.name == "region_code" and not right.region_code) and getattr(left, f.name) != getattr(right, f.name)
    ]


def _random_address(rng: random.Random) -> Address:
    return Address(**{name: rng.choice(pool) for name, pool in POOLS.items()})


def test_differences_match_the_normalised_comparison() -> None:
    rng = random.Random(20)
    for _ in range(4000):
        seller = _random_address(rng)
        # the ERP side keeps most of the seller's fields, as a copied record does
        erp = Address(**{f.name: getattr(seller, f.name) if rng.random() < 0.6 else rng.choice(POOLS[f.name])
                         for f in fields(Address)})  # fmt: skip
        assert address_differences(seller, erp) == reference(seller, erp), (seller, erp)


def test_same_phone_typed_alike_differs_across_named_regions() -> None:
    gb = Address(phone="020 7946 0000", region_code="GB")
    cn = Address(phone="020 7946 0000", region_code="CN")
    assert [d[0] for d in address_differences(gb, cn)] == ["phone", "region_code"]
    assert address_differences(gb, Address(phone="020 7946 0000")) == []


def test_street_typed_alike_differs_when_the_divisions_do() -> None:
    seller = Address(city="东莞", street="广东东莞大道1号", state="广东")
    erp = Address(city="广州", street="广东东莞大道1号", state="广东")
    assert [d[0] for d in address_differences(seller, erp)] == ["city", "street"]


def _warehouses(n: int) -> tuple[list[Warehouse], list[Warehouse]]:
    seller = [Warehouse(f"WH-{i:05d}", f"仓库{i}", Address(street=f"路{i}号")) for i in range(n)]
    erp = []
    for i, w in enumerate(seller):
        erp.append(Warehouse(f"E{i:05d}", w.name, w.address, seller_warehouse_id=w.id))
        if i % 7 == 0:  # bound twice, the extra record listed first with a higher id
            erp.insert(0, Warehouse(f"F{i:05d}", w.name, w.address, seller_warehouse_id=w.id))
        if i % 11 == 0:
            erp.append(Warehouse(f"A{i:05d}", w.name, w.address, seller_warehouse_id=w.id))
    erp.append(Warehouse("Z-unbound", "x", Address()))
    erp.append(Warehouse("Z-unknown", "x", Address(), seller_warehouse_id="WH-gone"))
    return seller, erp


def test_duplicate_detection_at_twenty_thousand_rows() -> None:
    seller, erp = _warehouses(20_000)
    binding = bind_warehouses(seller, erp)
    lowest = {f"WH-{i:05d}": min(f"E{i:05d}", f"A{i:05d}" if i % 11 == 0 else "Z") for i in range(20_000)}
    assert [(s.id, e.id) for s, e in binding.pairs] == [(w.id, lowest[w.id]) for w in seller]
    dup_ids = [i for i in range(20_000) if i % 7 == 0 or i % 11 == 0]
    assert sorted(binding.duplicates) == [f"WH-{i:05d}" for i in dup_ids]
    for i in dup_ids:
        ids = sorted([f"E{i:05d}"] + ([f"F{i:05d}"] if i % 7 == 0 else []) + ([f"A{i:05d}"] if i % 11 == 0 else []))
        assert [e.id for e in binding.duplicates[f"WH-{i:05d}"]] == ids[1:]
    assert [w.id for w in binding.unbound] == ["Z-unbound"]
    assert [w.id for w in binding.unknown] == ["Z-unknown"]

    obs = WarehouseObservation(
        shop="s", now=datetime(2024, 1, 1, tzinfo=BEIJING), seller_warehouses=seller, erp_warehouses=erp
    )
    drifts = [d for d in WarehouseAddressAspect().diff(obs) if d.kind == "duplicate_binding"]
    assert len(drifts) == len(dup_ids)
    last = drifts[-1]  # 19,999 = 7 x 2,857, not a multiple of 11
    assert last.subject == "WH-19999" and last.erp_value == "F19999"
    assert "compared E19999, ignored F19999" in last.message
    eleventh = next(d for d in drifts if d.subject == "WH-00011")  # A00011 sorts before E00011
    assert "compared A00011, ignored E00011" in eleventh.message


def _reference_binding(seller: list[Warehouse], erp: list[Warehouse]) -> Binding:
    """The definition: every record in ERP id order (a stable sort), the first bound to a warehouse wins."""
    out, ids, first = Binding(), {w.id for w in seller}, {}
    extra: dict[str, list[Warehouse]] = {}
    for record in sorted(erp, key=lambda w: w.id):
        bound = record.seller_warehouse_id
        if not bound:
            out.unbound.append(record)
        elif bound not in ids:
            out.unknown.append(record)
        elif bound in first:
            extra.setdefault(bound, []).append(record)
        else:
            first[bound] = record
    for w in seller:
        if w.id not in first:
            out.missing.append(w)
            continue
        out.pairs.append((w, first[w.id]))
        if w.id in extra:
            out.duplicates[w.id] = extra[w.id]
    return out


def test_binding_sorts_only_what_shows_and_answers_as_sorting_every_record() -> None:
    rng = random.Random(5)
    for _ in range(500):
        seller = [Warehouse(f"WH-{i}", "", Address()) for i in rng.sample(range(12), rng.randrange(8))]
        # ids repeat, so records of one id keep the order they were listed in; some bound to no
        # warehouse or to one that is gone
        erp = [
            Warehouse(
                rng.choice("ABCDEF"),
                str(k),
                Address(),
                seller_warehouse_id=rng.choice([None, "", *[f"WH-{i}" for i in range(14)]]),
            )
            for k in range(rng.randrange(12))
        ]
        expected = _reference_binding(seller, erp)
        assert bind_warehouses(seller, erp) == expected, (seller, erp)
        streamed = Binding()
        assert list(_pairs(seller, erp, streamed)) == expected.pairs
        assert (streamed.missing, streamed.unknown, streamed.unbound) == (
            expected.missing,
            expected.unknown,
            expected.unbound,
        )
        assert streamed.duplicates == expected.duplicates
