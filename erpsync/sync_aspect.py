"""The Syncer's aspects: one aspect run on one shop, from observing to moving its cursor.

Each aspect goes through the same steps, whatever it checks: observe (I/O) → diff (pure) → plan
(pure, each drift decided by the ``resolve_drift`` hook) → the drifts recorded with their alerts
(``sync_drifts.py``) → apply through the ledger (``sync_apply.py``) → the pending rows a crashed
run left settled (``core/pending.py``) → re-read after writes (``core/aspects/verify.py``) → the
cursor moved once every change read is known to be in the other side. The order is what keeps
the promises of the host: alerts written before any write can fail, a side that could not be read
never resolves its open drifts, and a cursor never passes a change not yet made.

A mixin rather than a free function, as ``sync_apply.py`` is: the steps read the run's own state
(its stop request, the shop's open drifts, the store, the plugin manager) and are built on the
drift recording and the apply paths it inherits. The class attributes below are what it needs of
its host besides theirs, which ``erpsync.sync.Syncer`` sets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from erpsync.core import log_context
from erpsync.core.aspects.base import Aspect, ObserveContext, UnsupportedAction
from erpsync.core.aspects.verify import cursor_kept_note, cursor_may_move, verify
from erpsync.core.config import Settings, ShopSettings
from erpsync.core.connector import Connector
from erpsync.core.errors import ConnectorError, ErpsyncError
from erpsync.core.models import ActionResult, AspectReport
from erpsync.core.pending import settle_pending
from erpsync.core.policy import policy_for
from erpsync.core.run_guard import Heartbeat
from erpsync.core.shop_waits import release_when_waiting
from erpsync.plugins.manager import PluginManager, Registry
from erpsync.shop_matching import MatchRulesPerRun, keep_matches
from erpsync.shop_reads import SharedReads
from erpsync.sync_apply import OVER_BUDGET, SyncApply
from erpsync.sync_drifts import SyncDrifts, observed
from erpsync.sync_run import Run

logger = logging.getLogger("erpsync.sync")


class SyncAspect(SyncApply, SyncDrifts):
    """One aspect of ``Syncer``'s run on one shop: ``_run_aspect``."""

    # what the host provides
    settings: Settings
    pm: PluginManager
    registry: Registry
    _match_rules: MatchRulesPerRun  # each shop's warehouse-matching rules, read once a run
    _heartbeat: Heartbeat | None  # renews the leases of this run's shops, and says which were lost

    def _read_ahead(self, run: Run, shop: ShopSettings, seller: SharedReads, erp: SharedReads) -> Callable[[], None]:
        """Before the shop's first aspect: each aspect of the run that the shop enables names the
        reads it will make (``Aspect.read_ahead``, ``erpsync.shop_reads``), held until the shop's
        thread only waits for calls it sent (``core/shop_waits.py``) and then started, so a later
        aspect's read on an API of its own goes on beside an earlier aspect's waits. Returns what
        to call as the shop ends. Not started once a stop was asked for or the shop's lease was
        lost (another run has the shop): the shop ends before those aspects run (a spent budget
        sends none of their calls either). Only a speed-up: an aspect whose request fails is
        logged and reads when it runs, as it would have."""
        for name in run.aspects:
            if shop.aspects is not None and name not in shop.aspects:
                continue
            with log_context.bound(aspect=name):  # its calls' log lines name it, as its own would
                try:
                    self.registry.aspects[name].read_ahead(seller, erp, self.settings.aspect_settings.get(name, {}))
                except Exception:
                    logger.exception("reading ahead failed: the aspect reads when it runs")

        lease = f"shop:{shop.name}"

        def start() -> None:
            if self._stop.requested:  # the shop ends before the aspects that asked: nothing of theirs goes out
                return
            if self._heartbeat is not None and lease in self._heartbeat.lost:  # another run has the shop now
                return
            seller.start_reads_ahead()
            erp.start_reads_ahead()

        return release_when_waiting(start)

    def _run_aspect(
        self, run: Run, shop: ShopSettings, aspect: Aspect, seller: Connector, erp: Connector
    ) -> AspectReport:
        """The aspect's steps on one shop, in the module docstring's order. A ``ConnectorError``
        while observing is raised (it stops the shop); any other error lands in the report."""
        run_id, apply = run.run_id, run.apply
        report = AspectReport(aspect=aspect.name)
        now = self.clock()
        memory = self.store.observations.for_shop(shop.name, deferred=True)
        ctx = ObserveContext(
            shop=shop.name,
            seller=seller,
            erp=erp,
            now=now,
            memory=memory,
            settings=self.settings.aspect_settings.get(aspect.name, {}),
            matching=self._match_rules.get(self.store, shop, run_id),
            cursor=self.store.cursors.get(shop.name, aspect.cursor_stream) if aspect.cursor_stream else None,
            open_subjects=self._open_subjects(shop.name, aspect),
            bindings=self.store.bindings,
            failed_writes=lambda: self.store.ledger.failed_writes(
                shop.name, aspect.name, still_open=self.store.drifts.still_open
            ),
            # None without a plugin's map_listing: the content hash is then written straight from
            # the fields, and unchanged products are told by their fingerprint (core/listing_source.py)
            map_listing=(lambda product, body: self.pm.hook.map_listing(product=product, body=body))
            if self.pm.hook.map_listing.get_hookimpls()
            else None,
        )
        try:
            observation = observed(aspect.observe(ctx))
        except ConnectorError:
            # A system that refused or failed after retries refuses the next aspect too: the
            # shop stops with one clear error (see _work_shop, sync_shops.py), and nothing is
            # recorded, so a side we could not read never "resolves" its open drifts.
            raise
        except ErpsyncError as exc:
            report.error = self._redact(str(exc))
            return report
        memory.flush()  # what observing noted, in one transaction, before the drifts it explains
        keep_matches(self.store, shop.name, observation, now)
        report.record_errors = [self._redact(str(e)) for e in observation.record_errors]
        # a note may quote a system's answer, which can echo a secret back: masked as errors are
        report.notes = [self._redact(n) for n in observation.notes]
        if observation.not_run:
            report.not_run = self._redact(observation.not_run)
            report.notes.insert(0, f"{report.not_run}: not run")
            self._keep_unchecked(shop.name, report)
        report.drifts = drifts = aspect.diff(observation)
        # Planned before recording (planning is pure), so each alert can say the fix it proposes.
        policy = shop.policies.get(aspect.name) or policy_for(aspect.name)
        actions = aspect.plan(drifts, lambda d: self.pm.hook.resolve_drift(drift=d, policy=policy), observation)
        unsupported: dict[int, str] = {}
        for action in actions:  # a correction the target cannot make is "report only", never attempted
            try:
                aspect.check_apply(action, seller, erp)
            except UnsupportedAction as exc:
                unsupported[id(action)] = str(exc)
        fixes = self._fixes(actions, apply=apply, unsupported=unsupported)
        # the alerts are written with the drift changes, so a failure while applying cannot lose them
        changes = self._record(
            shop.name, aspect.name, drifts, now, run_id, observation.scope, fixes, kept=observation.kept_open
        )
        report.opened = [row.fingerprint for row in changes.opened]
        report.resolved = [row.fingerprint for row in changes.resolved]
        occurrence = {row.fingerprint: row.id for row in [*changes.opened, *changes.still_open]}

        if apply:
            report.actions = self._apply_all(
                run_id, shop, aspect, actions, unsupported, occurrence, (seller, erp), report, run.say
            )
        else:
            for action in actions:
                if self._stop.requested:
                    break
                why = unsupported.get(id(action))
                report.actions.append(
                    ActionResult(action, "planned") if why is None else ActionResult(action, "unsupported", why)
                )
        # pending rows a crashed run left: settled now, unless a stop or the time budget cut the writes
        # short (a write not attempted would look like one not needed)
        completed = apply and not self._stop.requested and report.error != OVER_BUDGET
        if completed:
            settled = settle_pending(
                self.store.ledger,
                shop.name,
                aspect.name,
                run_id,
                report.actions,
                self.clock(),
                self.store.drifts.still_open,
                lambda: self._renew(f"shop:{shop.name}", run_id, fenced=shop.name),
            )
            report.notes += settled
        verified = True  # no write, or the re-read after the writes read every record written
        reread = None
        if any(r.status == "applied" for r in report.actions):
            if not self._stop.requested:  # a stopped run makes no re-read: its writes stay unverified
                run.say(f"{shop.name}: {aspect.name}: re-reading the corrected records")
                reread = self._reread(run_id, aspect, ctx, memory, report)
            verified = verify(report, reread)
        # after the re-read, which may find a write did not stick: only then is it known that every
        # change read is now in the other side (or an open drift its aspect reads again by id), and
        # the next run may start from here
        may_move = cursor_may_move(report, open_drifts_reread=observation.open_drifts_reread, verified=verified)
        if completed and aspect.cursor_stream and observation.cursor and may_move:
            self.store.cursors.put(shop.name, aspect.cursor_stream, observation.cursor, now=self.clock())
        elif completed and aspect.cursor_stream and not observation.not_run:
            kept = cursor_kept_note(
                observation.cursor,
                observation.cursor_held,
                may_move,
                kept_before=ctx.cursor is not None,
                verified=verified,
                reread=reread is not None,
            )
            report.notes += [kept] if kept else []
        return report
