"""The REST ERP's sample data: the sandbox demo shop's two warehouses as this ERP keeps them.

``python -m erpsync.erp_servers.rest --data FILE`` writes it to ``FILE`` when ``FILE`` does not
exist yet, so ``config/rest-erp.toml`` against ``erpsync sandbox serve --scenario demo`` has
something to reconcile: the Dongguan warehouse's phone disagrees with Seller Center's.
"""

from __future__ import annotations

from typing import Any

SAMPLE: dict[str, list[dict[str, Any]]] = {
    "warehouses": [
        {
            "id": "ERP-DG",
            "name": "东莞仓",
            "tiktok_warehouse_id": "WH-DG",
            "contact": {"name": "陈伟", "phone": "13800138001"},
            "address": {
                "country": "CN",
                "province": "CN-GD",
                "city": "东莞市",
                "district": "长安镇",
                "lines": ["振安中路 88号 3栋"],
                "zip": "523850",
            },
            "logistics": {"handover": "self"},
        },
        {
            "id": "ERP-SZ",
            "name": "深圳仓",
            "tiktok_warehouse_id": "WH-SZ",
            "contact": {"name": "李娜", "phone": "13900139000"},
            "address": {
                "country": "CN",
                "province": "CN-GD",
                "city": "深圳市",
                "district": "宝安区",
                "lines": ["西乡街道 固戍二路 12号"],
                "zip": "518126",
            },
            "logistics": {"handover": "collect"},
        },
    ],
    "products": [
        {
            "id": "P-100",
            "name": "Ceramic mug 350 ml",
            "description": "Stoneware mug, dishwasher safe.",
            "currency": "GBP",
            "warehouse": "ERP-DG",
            "images": [],
            "attributes": {"Colour": "White"},
            "variants": [{"sku": "MUG-350-WHT", "price": "6.50", "stock": 120}],
        }
    ],
    "shipments": [],
    "orders": [],
}
