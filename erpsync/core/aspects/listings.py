"""The listings aspect: the ERP's products pushed to Seller Center, each change exactly once.

Observe reads the ERP's catalogue (``ProductReader``) and what was last pushed for it (the
bindings, ``ListingBindings``); products erpsync never pushed are looked up in Seller Center by
``seller_sku`` (``ListingReader``), so a create whose answer was lost, or one another machine
made, is bound instead of created twice, and so are bound products' SKUs with no id, so none is
added twice (``listing_lookup.py``). Nothing else is read from Seller Center: an unchanged
catalogue costs no call at all but those lookups. Diff turns each push ``plan_pushes`` finds
(``core/listings.py``) into an INFO drift (``not_listed``, ``content_changed``,
``price_changed``, ``inventory_changed``); plan turns the ones the policy gives to the ERP (the
default) into actions, each a push that must happen once (``idempotent=False``), and apply
makes it and records what it pushed in the bindings. An edit that adds SKUs lists the SKUs the
listing keeps, with their price and stock only where the policy gives those to the ERP. A SKU
still bound in a listing that the ERP no longer has is a warning, never a push
(``listing_leftovers.py``). An ERP that keeps no catalogue is no drift and no call.

The bindings and the ``map_listing`` hook come from the host (``ObserveContext.bindings`` and
``.map_listing``) or, for a host that does not pass them, from the aspect's constructor. Without
bindings only creates are planned: a product found in Seller Center cannot be compared without
knowing what was pushed, and is only noted. The observation and the planning it holds are
``core/aspects/listing_observation.py``; this module reads, decides and writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext, UnsupportedAction
from erpsync.core.aspects.listing_bindings import (
    bound_listings,
    forget_pushed,
    inventory_quantities,
    keep_sources,
    record_push,
)
from erpsync.core.aspects.listing_leftovers import SKU_NOT_IN_ERP, leftover_drifts
from erpsync.core.aspects.listing_lookup import look_up
from erpsync.core.aspects.listing_observation import ListingObservation
from erpsync.core.aspects.listing_texts import action_description, drift_message, stock_refused
from erpsync.core.aspects.warehouse_address import connector_type
from erpsync.core.connector import Connector
from erpsync.core.errors import AuthError, ConnectorError, PermanentError, RecordError
from erpsync.core.listing_audits import AUDIT_FAILED, ListingAuditReader, audit_drifts, unread_products
from erpsync.core.listing_ports import ListingBindings, ListingWriter, ProductReader
from erpsync.core.listings import ErpProduct, ListingMapping, Push, within_policy
from erpsync.core.models import Action, Drift, Records, Severity

__all__ = ["ListingObservation", "ListingsAspect", "ListingsSettings"]

#: push kind → (drift kind, drift field, action kind)
KINDS = {
    "create": ("not_listed", None, "create_listing"),
    "edit": ("content_changed", "content", "edit_listing"),
    "price": ("price_changed", "price", "set_prices"),
    "inventory": ("inventory_changed", "inventory", "set_inventory"),
}
#: the ``map_listing`` hook as the host hands it over: (product, content body) -> None, in place
Shape = Callable[[ErpProduct, dict[str, Any]], None]
_BY_DRIFT = {drift: push for push, (drift, _f, _a) in KINDS.items()}
_BY_ACTION = {action: push for push, (_d, _f, action) in KINDS.items()}


class ListingsSettings(Schema):
    """``[aspects.listings]``: how an ERP product becomes a listing (``ListingMapping``)."""

    class Meta:
        unknown = RAISE

    category_id = fields.String(load_default="", metadata={"description": "Seller Center category id"})
    brand_id = fields.String(load_default=None, allow_none=True)
    warehouse_id = fields.String(load_default="", metadata={"description": "warehouse the stock is pushed to"})
    attributes = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    images = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    package_weight = fields.String(load_default="1", validate=validate.Regexp(r"^\d+(\.\d+)?$"))
    weight_unit = fields.String(load_default="KILOGRAM", validate=validate.OneOf(["KILOGRAM", "POUND"]))
    save_mode = fields.String(load_default="LISTING", validate=validate.OneOf(["LISTING", "AS_DRAFT"]))


class ListingsAspect(Aspect):
    name = "listings"
    description = "ERP products pushed to Seller Center listings: create, content, price, inventory"
    Settings = ListingsSettings
    drift_kinds = frozenset([*(k for k, _f, _a in KINDS.values()), AUDIT_FAILED, SKU_NOT_IN_ERP])
    policy_keys = drift_kinds | {"content", "price", "inventory"}

    def __init__(self, bindings: ListingBindings | None = None, map_listing: Shape | None = None) -> None:
        self._bindings = bindings
        self._map_listing = map_listing
        #: per shop, what apply records pushes in (set by observe; shops run side by side)
        self._ports: dict[str, tuple[ListingBindings, datetime]] = {}

    def observe(self, ctx: ObserveContext) -> ListingObservation:
        shape = getattr(ctx, "map_listing", None) or self._map_listing
        mapping = replace(ListingMapping.from_settings(ctx.settings), shape=shape)
        obs = ListingObservation(shop=ctx.shop, now=ctx.now, mapping=mapping)
        read = ctx.erp.read_products() if isinstance(ctx.erp, ProductReader) else None
        if read is None:
            obs.scope = set()  # no catalogue: nothing seen, nothing resolved
            obs.not_run = f"ERP {connector_type(ctx.erp)!r} keeps no products"
            return obs
        products = list(read.items)
        obs.products = products
        obs.record_errors.extend(read.errors)
        obs.scope = {p.id for p in products} if read.errors else None
        bindings = getattr(ctx, "bindings", None) or self._bindings
        if bindings is not None:
            self._ports[ctx.shop] = (bindings, ctx.now)
            obs.bound = bound_listings(bindings, ctx.shop, products, left=obs.leftovers)
            self._hold_leftovers(obs, bool(read.errors))
        look_up(ctx.seller, obs, products, bindings, ctx.now, read_whole=not read.errors)
        obs.comparable = bindings is not None
        self._plan(ctx, obs, bindings)
        return obs

    @staticmethod
    def _hold_leftovers(obs: ListingObservation, unread_rows: bool) -> None:
        """Keep only the leftovers the catalogue read can vouch for.

        A ``partial`` product lacks the SKUs whose rows could not be read, and after a read with
        record errors a product missing from the catalogue may be one whose first row was bad:
        neither is told to the operator as gone from the ERP, and their warnings stay open.
        """
        read = {p.id: p for p in obs.products} if isinstance(obs.products, list) else {}
        for erp_id, left in list(obs.leftovers.items()):
            product = read.get(erp_id)
            if (product is not None and product.partial) or (left.removed and unread_rows):
                del obs.leftovers[erp_id]
                obs.kept_open.setdefault(erp_id, set()).add(SKU_NOT_IN_ERP)

    def _plan(self, ctx: ObserveContext, obs: ListingObservation, bindings: ListingBindings | None) -> None:
        """Plan in observe, so a failing hook is a record error the host reports, and keep the
        fingerprints of the products found to need nothing; then read the failed audits.

        A product left out for a record error keeps its drifts open; one compared in part keeps
        open the drifts of what it was not compared for (``kept_open``).
        """
        obs.pushes()
        if obs.left_out:
            read = {p.id for p in obs.products} if obs.scope is None else obs.scope
            obs.scope = read - obs.left_out
        if bindings is not None:
            keep_sources(bindings, ctx.shop, obs.learned_sources, ctx.now)
        self._read_audits(ctx, obs)

    @staticmethod
    def _read_audits(ctx: ObserveContext, obs: ListingObservation) -> None:
        """The failed audits of the products bound so far (a seller that cannot list them: none).

        The audits are alerts read beside the pushes: a read that fails (a 503 after retries) is
        a record error naming no product, which holds every open ``audit_failed`` drift open, and
        the listings are pushed all the same. Refused credentials are raised: the pushes would be
        refused too.
        """
        if not isinstance(ctx.seller, ListingAuditReader) or not obs.bound:
            return
        try:
            obs.audits = ctx.seller.failed_audits()
        except AuthError:
            raise
        except ConnectorError as exc:
            unread = RecordError(f"not read: {exc}", record="failed audits")
            obs.audits = Records((), (unread,))
        obs.record_errors.extend(obs.audits.errors)
        if obs.audits.errors:
            # an unread product may still be failing: its audit drift stays open, while its price,
            # stock and content, compared as usual, may resolve
            erp_for = {b.product_id: erp_id for erp_id, b in obs.bound.items() if b.product_id}
            for erp_id in unread_products(obs.audits.errors, erp_for):
                obs.kept_open.setdefault(erp_id, set()).add(AUDIT_FAILED)

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, ListingObservation)
        pushes = observation.pushes()
        drifts = []
        for push in pushes:
            kind, fld, _action = KINDS[push.kind]
            product = observation.product(push.erp_id)
            drifts.append(
                Drift(
                    observation.shop,
                    self.name,
                    kind,
                    push.erp_id,
                    fld,
                    push.before,
                    push.after,
                    Severity.INFO,
                    drift_message(push, product),
                    # a push sets values: each value to push is its own drift, so a value that comes
                    # back after another was pushed opens a new occurrence, whose push is a new
                    # ledger row (one occurrence would find the first push of it done, and skip it)
                    identity=None if push.kind == "create" else push.after,
                )
            )
        drifts += leftover_drifts(self.name, observation.shop, observation.leftovers.values())
        if not observation.audits.items:
            return drifts
        erp_for = {b.product_id: erp_id for erp_id, b in observation.bound.items() if b.product_id}
        return drifts + audit_drifts(self.name, observation.shop, erp_for, observation.audits)

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        """One action per push whose drift the policy gives to the ERP; the others are reported."""
        assert isinstance(observation, ListingObservation)
        wanted = {
            (_BY_DRIFT[d.kind], d.subject): d
            for d in drifts
            if d.aspect == self.name and d.kind in _BY_DRIFT and decide(d) == "erp"
        }
        actions = []
        for push in observation.pushes():
            drift = wanted.get((push.kind, push.erp_id))
            if drift is None:
                continue
            _kind, fld, action_kind = KINDS[push.kind]
            target_id = str(push.payload.get("product_id") or push.erp_id)
            payload = self._edit_within_policy(push, drifts, decide, observation.shop)
            value = json.dumps({"erp_id": push.erp_id, **payload}, sort_keys=True, ensure_ascii=False)
            actions.append(
                Action(
                    shop=observation.shop,
                    aspect=self.name,
                    kind=action_kind,
                    target="seller",
                    subject=target_id,
                    field=fld,
                    value=value,
                    description=action_description(push),
                    drifts=(drift.fingerprint,),
                    idempotent=False,
                )
            )
        return actions

    def _edit_within_policy(self, push: Push, drifts: list[Drift], decide: Decide, shop: str) -> Mapping[str, Any]:
        """An edit's payload with the kept SKUs' price and stock only where the policy gives them
        to the ERP (``within_policy``), asked as for the product's own price or stock drift."""
        if push.kind != "edit" or not push.payload["changes"].get("skus"):
            return push.payload
        allowed = {}
        for kind in ("price", "inventory"):
            drift_kind, fld, _action = KINDS[kind]
            asked = next(
                (d for d in drifts if (d.aspect, d.kind, d.subject) == (self.name, drift_kind, push.erp_id)), None
            )
            if asked is None:  # no such drift this run: the policy is asked about one all the same
                why = f"ERP product {push.erp_id}: the {fld} of the SKUs its edit lists"
                asked = Drift(shop, self.name, drift_kind, push.erp_id, fld, None, None, Severity.INFO, why)
            allowed[kind] = decide(asked) == "erp"
        changes = within_policy(push.payload["changes"], prices=allowed["price"], stock=allowed["inventory"])
        return {**push.payload, "changes": changes}

    def _writer(self, action: Action, seller: Connector) -> ListingWriter:
        if action.kind not in _BY_ACTION:
            raise ValueError(f"{self.name} cannot apply {action.kind!r}")
        if not isinstance(seller, ListingWriter):
            raise UnsupportedAction(f"seller {connector_type(seller)!r} cannot write listings: reported, not pushed")
        return seller

    def check_apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        self._writer(action, seller)
        if action.kind == "create_listing":
            body = json.loads(action.value or "{}")["body"]
            missing = [k for k in ("category_id",) if not body.get(k)]
            missing += (
                [] if all(i.get("warehouse_id") for s in body["skus"] for i in s["inventory"]) else ["warehouse_id"]
            )
            if missing:
                raise UnsupportedAction(f"set {', '.join(missing)} in [aspects.listings] to create listings")
        elif action.kind == "set_inventory":
            data = json.loads(action.value or "{}")
            if any("inventory" not in v for v in data["skus"].values()) and not data.get("warehouse_id"):
                raise UnsupportedAction("set warehouse_id in [aspects.listings] to push stock")

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        writer = self._writer(action, seller)
        data: dict[str, Any] = json.loads(action.value or "{}")
        kind = _BY_ACTION[action.kind]
        failures: dict[str, str] = {}
        port = self._ports.get(action.shop)
        if port is not None:  # unknown until the push succeeds: an unrecorded one is pushed again
            forget_pushed(port[0], action.shop, kind, data, port[1])
        if kind in ("create", "edit"):  # the ERP's image files go as uploaded uris (core/listing_images.py)
            from erpsync.core.listing_images import resolve_images

            part = "body" if kind == "create" else "changes"
            remember = self._ports.get(action.shop)
            data[part] = resolve_images(
                data[part], product=data["erp_id"], erp=erp, seller=seller, shop=action.shop, remember=remember
            )
        if kind == "create":
            answer = writer.create_listing(data["body"])
            data["product_id"] = answer.product_id
            data["answer"] = dict(answer.skus)
        elif kind == "edit":
            answer = writer.edit_listing(data["product_id"], data["changes"])
            data["answer"] = dict(answer.skus)
        elif kind == "price":
            prices = {v["id"]: tuple(v["price"].split(" ", 1)) for v in data["skus"].values()}
            writer.set_listing_prices(data["product_id"], prices)
        else:
            failures = writer.set_listing_inventory(data["product_id"], inventory_quantities(data))
        if port is not None:
            bindings, now = port
            record_push(bindings, action.shop, kind, data, now, failed=set(failures))
        if failures:
            raise PermanentError(
                stock_refused(data, failures), connector=connector_type(seller), operation="update inventory"
            )
