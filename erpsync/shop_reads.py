"""One read of each system per shop run, shared by every aspect that observes it.

Both built-in aspects start from the same two lists (Seller Center's warehouses and the ERP's),
so without sharing, a shop's run fetches the warehouse list and parses the ERP file once per
aspect. The host wraps each connector it builds for a shop in :func:`shared_reads` and closes the
wrapper when the shop is done, so a memo never outlives the shop's run.

What may be shared, and when it is dropped:

- only ``list_warehouses()`` is remembered: it takes no arguments, and one reading per shop run
  is that side's state for the run (an edit another program makes mid-run is seen by the next
  run, as it would be had it come a moment later). The other reads (``READS``: pickup
  signals, orders, shipments, listings; their answers depend on their arguments) and ``check``
  pass through unremembered; the TikTok client looks the shop cipher up once itself, and the
  host builds one connector per shop;
- a write through the wrapper (``WRITES``: ``set_warehouse_address``, ``ship_packages``, ...)
  drops the memo before it starts, so the re-read after ``--apply`` and every later aspect read the side again;
  a batch (``batch()``, for a connector that is a ``BatchWriter``) drops it as it opens and
  again as it closes, since its writes reach the system only then;
- anything else reached through the wrapper (a plugin's own method, the TikTok connector's
  client) might write without the wrapper knowing, so reaching it drops the memo too: a read
  may be repeated, but nothing stale is ever compared.

The wrapper has exactly the capabilities (``core/ports.py``) of the connector it wraps, checked
on the class, so an aspect's ``isinstance`` test answers as it would for the connector itself:
a seller that cannot write addresses stays "report only". A failed read is not remembered,
nor one that a write overlapped (should aspects ever run side by side).

**Reads ahead.** A shop's aspects run one after another, but a later aspect's read often depends
on nothing an earlier one does: the ship-by aspect's orders awaiting shipment wait behind the
pickup aspect's package reads, on an API of their own with a rate budget of its own. So before
the first aspect the host lets each aspect name such reads (``Aspect.read_ahead``), and
:meth:`SharedReads.read_ahead` holds each until the shop's thread only waits for calls it has
sent (``core/shop_waits.py``: the TikTok pickup read, once its handover-slot calls are sent),
then starts it on a thread of its own, where its CPU slows nothing the run waits for; the first
call with the same arguments gets its answer (or its error, as the call would have raised it),
and a later call reads again; one still held when asked for is read then, as before. Only the
``READS`` of a connector whose class says its reads may run side by side
(``Connector.reads_side_by_side``) are held: another connector is asked as before. A read ahead
is a read made a little earlier, as the shared warehouse list is: a write through the wrapper,
or reaching past it, drops what was read ahead like the memo (started before the write, it may
not show it), and the aspect reads again. A read ahead still running when it is dropped (by a
write, reaching past, or ``close`` as the shop ends) is stopped at its next call: it runs under a
budget of its own, ending with the shop's, that dropping ends (``core/time_budget.py``), and the
drop waits for the call in flight, which is not retried. So a write never overlaps a read ahead (the connector promised
only that its reads may run side by side), and a shop that stops before the aspect that asked
waits for one call, not for every page of a read nobody will take. An answer read ahead says
when its read started (``Records.as_of``, by the run's clock): what it shows was so then,
seconds before the aspect's ``now``, and an aspect that judges by the time (ship_by) judges it
then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from contextvars import Context, copy_context
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

from erpsync.core.connector import Connector
from erpsync.core.models import Records, Warehouse
from erpsync.core.time_budget import TimeBudget, endable_budget, time_budget


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Ahead:
    """A read asked for ahead: the wrapper's generation then, the context it runs in, the call; once
    started, when it started (by the run's clock), its budget and its answer."""

    generation: int
    context: Context
    read: Callable[[], Any]
    as_of: datetime | None = None
    budget: TimeBudget | None = None
    answer: Future[Any] | None = None

    def run(self) -> Any:
        assert self.budget is not None
        with time_budget(self.budget):  # ended by a write or the shop's end: stops at its next call
            return self.read()


class SharedReads(Connector):
    """A connector seen through a per-shop memo; build it with :func:`shared_reads`."""

    type = "shared-reads"
    role = "seller"

    def __init__(self, inner: Connector, clock: Callable[[], datetime] = _wall_clock) -> None:
        super().__init__(inner.options, shop=inner.shop)
        self.inner = inner
        self._clock = clock
        self._warehouses: Records[Warehouse] | None = None
        #: moved by every forget(), so a read that overlapped a write is returned but never kept
        self._generation = 0
        #: reads that reached the wrapped system (``list_warehouses``), for benchmarks and tests
        self.reads = 0
        #: reads asked for ahead, by (name, arguments): held until the shop's thread waits
        self._ahead: dict[Hashable, _Ahead] = {}
        self._ahead_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def forget(self) -> None:
        """Drop what was read: the next read goes to the system again. A read ahead still running
        is stopped at its next call and waited for: a write that follows never overlaps it."""
        self._generation += 1
        self._warehouses = None
        with self._ahead_lock:
            dropped = [held for held in self._ahead.values() if held.answer is not None]
            self._ahead.clear()
        for held in dropped:
            assert held.budget is not None and held.answer is not None
            held.budget.end("a read ahead no longer wanted")
        wait([held.answer for held in dropped if held.answer is not None])

    def read_ahead(self, name: str, /, *args: Any, **kwargs: Any) -> bool:
        """Hold ``name(*args, **kwargs)``, one of ``READS``, to be started on a thread of its own by
        :meth:`start_reads_ahead` (in a copy of the caller's context as it is now: the shop's time
        budget bounds it); the first call of ``name`` with the same arguments gets its answer. False
        when not held: a connector whose reads may not run side by side, a read it lacks, arguments
        that cannot be told apart (not hashable)."""
        if (
            name not in READS
            or not type(self.inner).reads_side_by_side
            or not callable(getattr(type(self), name, None))
        ):
            return False
        try:
            key = (name, args, tuple(sorted(kwargs.items())))
            hash(key)
        except TypeError:
            return False
        read = partial(getattr(self.inner, name), *args, **kwargs)
        with self._ahead_lock:
            held = self._ahead.get(key)
            if held is None or held.generation != self._generation:  # asked for twice: one read
                self._ahead[key] = _Ahead(self._generation, copy_context(), read)
        return True

    def start_reads_ahead(self) -> None:
        """Start every read held by :meth:`read_ahead` and not started yet (``core/shop_waits.py``)."""
        with self._ahead_lock:
            for held in self._ahead.values():
                if held.answer is None and held.generation == self._generation:
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(len(READS), thread_name_prefix="erpsync-read-ahead")
                    held.as_of, held.budget = self._clock(), held.context.run(endable_budget)
                    held.answer = self._pool.submit(held.context.run, held.run)

    def _take_ahead(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Ahead | None:
        """The read of ``name`` with these arguments started ahead and not overlapped by a write, taken
        (a second call reads again); None when there is none (one held and not started yet is
        dropped: the caller reads now, as it would have)."""
        if not self._ahead:
            return None
        with self._ahead_lock:
            try:
                held = self._ahead.pop((name, args, tuple(sorted(kwargs.items()))))
            except (KeyError, TypeError):
                return None
        return held if held.answer is not None and held.generation == self._generation else None

    def check(self) -> str:
        return self.inner.check()

    def close(self) -> None:
        self.forget()  # a read ahead that no aspect took: stopped at its next call, waited for
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # only reached for what the wrapper does not define: the connector's own attributes
        if name == "inner":  # not set yet (a half-built or copied wrapper): no recursion
            raise AttributeError(name)
        value = getattr(self.inner, name)  # AttributeError (a capability it lacks) keeps the memo
        self.forget()
        return value

    def __repr__(self) -> str:
        return f"shared_reads({self.inner!r})"


class _ListWarehouses(SharedReads):
    def list_warehouses(self) -> Records[Warehouse]:
        kept = self._warehouses
        if kept is not None:
            return kept
        generation = self._generation
        found = cast(Records[Warehouse], cast(Any, self.inner).list_warehouses())
        self.reads += 1
        if generation == self._generation:
            self._warehouses = found
        return found


class _Batch(SharedReads):
    @contextmanager
    def batch(self) -> Iterator[None]:
        self.forget()
        try:
            with cast(Any, self.inner).batch():
                yield
        finally:
            self.forget()  # the batch's writes reached the system as it closed (or may have)


#: capability methods with a mixin of their own: the remembered read, the batch
_CAPABILITIES: dict[str, type[SharedReads]] = {
    "list_warehouses": _ListWarehouses,
    "batch": _Batch,
}
#: capability methods that only read, passed through as they are (their answers depend on
#: their arguments, so none is remembered)
READS = (
    "read_pickup_signals",
    "read_orders",
    "read_orders_by_id",
    "order_statuses",
    "list_shipments",
    "read_shipping_states",
    "shipping_provider_ids",
    "read_products",
    "find_listings",
    "failed_audits",
)
#: capability methods that write: each drops the memo before it starts (one that fails half-way
#: may still have changed the side)
WRITES = (
    "set_warehouse_address",
    "set_handover_mode",
    "set_order_status",
    "ship_packages",
    "update_tracking",
    "create_listing",
    "edit_listing",
    "set_listing_prices",
    "set_listing_inventory",
)


def _read(name: str) -> Callable[..., Any]:
    def read(self: SharedReads, *args: Any, **kwargs: Any) -> Any:
        ahead = self._take_ahead(name, args, kwargs)
        if ahead is not None:
            assert ahead.answer is not None
            answer = ahead.answer.result()
            # what it shows was so when it started, which may be well before this call
            return replace(answer, as_of=ahead.as_of) if isinstance(answer, Records) else answer
        return getattr(self.inner, name)(*args, **kwargs)

    read.__name__ = name
    return read


def _write(name: str) -> Callable[..., Any]:
    def write(self: SharedReads, *args: Any, **kwargs: Any) -> Any:
        self.forget()
        return getattr(self.inner, name)(*args, **kwargs)

    write.__name__ = name
    return write


#: class attributes messages and the registry read (``connector_type`` names a connector by ``type``)
_DESCRIPTIVE = ("type", "role", "description", "Options", "secret_options", "capabilities")


def shared_reads(connector: Connector, clock: Callable[[], datetime] = _wall_clock) -> SharedReads:
    """``connector`` behind a memo of its reads, with the same capabilities; close it when the shop
    is done. ``clock`` is the run's: a read ahead's answer says by it when the read started."""
    cls = type(connector)
    wrapper = _WRAPPERS.get(cls)
    if wrapper is None:  # two threads may both build one: either serves
        wrapper = _WRAPPERS[cls] = _wrapper_class(cls)
    return wrapper(connector, clock)


#: one wrapper class per connector class, so ``type(wrapped)`` is stable across shops
_WRAPPERS: dict[type[Connector], type[SharedReads]] = {}


def _wrapper_class(cls: type[Connector]) -> type[SharedReads]:
    """A wrapper class with exactly ``cls``'s capability methods, named like ``cls``."""
    bases = tuple(mixin for name, mixin in _CAPABILITIES.items() if callable(getattr(cls, name, None)))
    namespace: dict[str, Any] = {name: getattr(cls, name) for name in _DESCRIPTIVE if hasattr(cls, name)}
    for names, make in ((READS, _read), (WRITES, _write)):
        namespace.update({name: make(name) for name in names if callable(getattr(cls, name, None))})
    if "type" not in namespace:  # a type-less connector is named by its class name, as it would be unwrapped
        namespace["type"] = cls.__name__
    namespace["__doc__"] = f"{cls.__name__} behind a per-shop memo of its reads (erpsync.shop_reads)."
    return cast(type[SharedReads], type(cls.__name__, (*bases, SharedReads), namespace))
