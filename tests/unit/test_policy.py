"""Which side wins (erpsync.core.policy)."""

from __future__ import annotations

import pytest

from erpsync.core.errors import ConfigError
from erpsync.core.models import Drift, Severity
from erpsync.core.policy import DEFAULT_POLICIES, Policy, policy_for


def drift(aspect: str = "warehouse_address", kind: str = "field_mismatch", fld: str | None = "phone") -> Drift:
    return Drift("shop", aspect, kind, "WH-1", fld, "a", "b", Severity.WARNING, "m")


def test_seller_wins_by_default_for_address_and_pickup() -> None:
    assert DEFAULT_POLICIES["warehouse_address"].winner_for(drift()) == "seller"
    assert DEFAULT_POLICIES["pickup"].winner_for(drift("pickup", "mode_mismatch", "handover_mode")) == "seller"


def test_field_then_kind_then_default() -> None:
    policy = Policy("warehouse_address", "seller", {"phone": "report", "missing_in_erp": "erp"})
    assert policy.winner_for(drift(fld="phone")) == "report"
    assert policy.winner_for(drift(fld="street")) == "seller"
    assert policy.winner_for(drift(kind="missing_in_erp", fld=None)) == "erp"


def test_policy_is_frozen_and_hashable() -> None:
    policy = Policy("pickup", "seller", {"handover_mode": "report"})
    with pytest.raises(AttributeError):
        policy.default = "erp"  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.fields["x"] = "erp"  # type: ignore[index]
    assert hash(policy) == hash(Policy("pickup", "seller", {}))
    assert policy.fields == {"handover_mode": "report"}


def test_bad_winner_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"policy\.pickup\.fields\.handover_mode: 'ERP' is not one of"):
        Policy("pickup", "seller", {"handover_mode": "ERP"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match=r"policy\.pickup\.default"):
        Policy("pickup", "maybe")  # type: ignore[arg-type]


def test_policy_for_defaults_and_unknown_aspect() -> None:
    assert policy_for("warehouse_address") is DEFAULT_POLICIES["warehouse_address"]
    assert policy_for("something_new").winner_for(drift("something_new")) == "report"


def test_policy_for_overrides() -> None:
    assert policy_for("pickup", "report").default == "report"
    table = policy_for("warehouse_address", {"default": "erp", "phone": "report"})
    assert (table.default, dict(table.fields)) == ("erp", {"phone": "report"})
    nested = policy_for("warehouse_address", {"fields": {"street": "report"}})
    assert (nested.default, dict(nested.fields)) == ("seller", {"street": "report"})
    given = Policy("pickup", "erp")
    assert policy_for("pickup", given) is given
    assert policy_for("pickup") is DEFAULT_POLICIES["pickup"]


def test_layers_stack_global_then_shop() -> None:
    """A shop naming one field keeps the operator's global decision for everything else."""
    global_ = policy_for("warehouse_address", "report")
    shop = policy_for("warehouse_address", {"postal_code": "seller"}, base=global_)
    assert (shop.default, dict(shop.fields)) == ("report", {"postal_code": "seller"})


def test_unknown_field_names_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        policy_for("warehouse_address", {"phnoe": "report"}, known={"phone", "street"})
    assert (info.value.key, info.value.reason) == (
        "policy.warehouse_address.phnoe",
        "unknown field or drift kind (known: phone, street)",
    )


def test_policy_for_rejects_nonsense() -> None:
    with pytest.raises(ConfigError, match=r"policy\.pickup"):
        policy_for("pickup", 3)
    with pytest.raises(ConfigError, match=r"policy\.pickup\.fields"):
        policy_for("pickup", {"fields": "seller"})
    with pytest.raises(ConfigError, match=r"policy\.pickup\.phone"):
        policy_for("pickup", {"phone": "nobody"})
