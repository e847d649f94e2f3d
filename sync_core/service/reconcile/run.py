"""A reconcile or backfill run of one integration, and the timer's run of all of them.

One pass each way under the integration's lease, then the bounded housekeeping of the
integration (vanished vulnerabilities, R25; deliveries kept, R11; event ids, R19).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from ...ports import StateError
from ...rules import Level
from ..context import SyncContext
from ..intake import load_integration, purge_event_ids
from ..refused import resume
from ..vanished import check_vanished
from .boards_pass import boards_pass
from .conviso_pass import conviso_pass
from .job import (
    DEFAULT_PER_PAGE,
    DEFAULT_WORKERS,
    LEASE,
    LEASE_TTL,
    PROGRESS_EVERY,
    ReconcileBusy,
    Run,
)
from .report import BoardsPassReport, PassSkipped, ReconcileReport, safe_reason

__all__ = ["each_integration", "reconcile", "reconcile_all", "release_refused"]

log = logging.getLogger(__name__)


def reconcile(
    ctx: SyncContext,
    integration_id: str,
    *,
    backfill: bool = False,
    dry_run: bool = False,
    workers: int = DEFAULT_WORKERS,
    per_page: int = DEFAULT_PER_PAGE,
    lease_ttl: timedelta = LEASE_TTL,
    progress_every: int = PROGRESS_EVERY,
) -> ReconcileReport:
    """One pass both ways; the report says what was done (or, dry, what would be)."""
    config = load_integration(ctx, integration_id)
    run = Run(
        ctx, integration_id, config, backfill, dry_run,
        max(1, min(workers, 16)), max(1, min(per_page, 100)), lease_ttl, max(1, progress_every),
    )  # fmt: skip
    started = time.monotonic()
    if not dry_run and not ctx.state.leases.acquire(integration_id, LEASE, run.run_id, lease_ttl):
        raise ReconcileBusy(f"a reconcile of '{integration_id}' is already running")
    try:
        report = _passes(run)
    finally:
        if not dry_run:
            ctx.state.leases.release(integration_id, LEASE, run.run_id)
    report["event_ids_purged"] = 0 if dry_run else purge_event_ids(ctx, integration_id)  # R19
    report["seconds"] = round(time.monotonic() - started, 3)
    if not dry_run:
        _say_done(run, report)
    return report


def _passes(run: Run) -> ReconcileReport:
    """Both passes and the housekeeping, under the lease; the report without its timing."""
    ctx, dry_run = run.ctx, run.dry_run
    if not dry_run:
        run.paused = release_refused(run)
    conviso = conviso_pass(run)
    boards: BoardsPassReport | PassSkipped = (
        boards_pass(run) if run.aborted is None else {"skipped": run.aborted}
    )
    vanished = (  # R25: a bounded, rotating check of linked vulnerabilities
        check_vanished(ctx, run.integration_id, run.config, dry_run=dry_run)
        if run.aborted is None
        else {"skipped": run.aborted}
    )
    trimmed = 0 if dry_run else _trim_deliveries(ctx, run.integration_id)
    return {
        "run_id": run.run_id,
        "mode": "backfill" if run.backfill else "reconcile",
        "dry_run": dry_run,
        "complete": run.aborted is None
        and not conviso.get("deferred")
        and not boards.get("deferred"),
        "conviso_to_boards": conviso,
        "boards_to_conviso": boards,
        "vanished": vanished,
        "deliveries_trimmed": trimmed,
        # filled in by ``reconcile`` once the lease is released
        "event_ids_purged": 0,
        "seconds": 0.0,
    }


def _say_done(run: Run, report: ReconcileReport) -> None:
    """One delivery per run: how much was looked at, and whether anything was left."""
    conviso, boards = report["conviso_to_boards"], report["boards_to_conviso"]
    run.note(
        Level.INFO if report["complete"] else Level.WARN,
        f"{report['mode']} {run.run_id}: {conviso.get('seen', 0)} vulnerabilities and "
        f"{boards.get('seen', 0)} changed work items looked at"
        + ("" if report["complete"] else "; some were left for the next run"),
        reason="reconcile",
    )


def release_refused(run: Run) -> frozenset[str]:
    """R14: refused work of a route that is not paused (any more) goes back to the queue;
    the paused routes are returned, for this run to probe."""
    ctx, iid = run.ctx, run.integration_id
    paused = frozenset(ctx.state.integrations.get_status(iid).paused_routes)
    waiting = ctx.state.refused.counts(iid)
    for route_key in sorted(set(waiting) - paused):
        resume(ctx, iid, route_key, why="reconcile found it not paused")
    return paused


def _trim_deliveries(ctx: SyncContext, integration_id: str) -> int:
    """Keep the latest 1,000 deliveries (R11). Done here, once a pass, so that recording
    an outcome is one insert on the hot path; a failed trim is retried by the next pass."""
    try:
        return ctx.state.deliveries.trim(integration_id)
    except StateError as exc:  # the pass itself succeeded; the next one trims
        log.warning("trimming the deliveries of %s failed: %s", integration_id, safe_reason(exc))
        return 0


def reconcile_all(ctx: SyncContext) -> dict[str, str]:
    """The timer: every integration in turn; one failing never stops the others."""

    def one(integration_id: str) -> str:
        return "complete" if reconcile(ctx, integration_id)["complete"] else "partial"

    def failed(integration_id: str, reason: str) -> None:
        ctx.record(integration_id, Level.ERROR, f"reconcile failed: {reason}", reason="reconcile")

    return each_integration(ctx, one, what="reconcile", failed=failed)


def each_integration(
    ctx: SyncContext,
    one: Callable[[str], str],
    *,
    what: str,
    failed: Callable[[str, str], None],
) -> dict[str, str]:
    """A timer's run over every integration (reconcile, poll): ``one``'s outcome for each,
    ``busy`` when another run holds it, ``failed`` otherwise.

    The outer boundary of a timer: whatever stopped one integration's run (a bug included)
    is logged by its type and handed to ``failed`` with a safe reason, for the operator,
    and the next integration goes on. Nothing is swallowed silently."""
    outcome: dict[str, str] = {}
    for integration_id in ctx.state.integrations.list_ids():
        try:
            outcome[integration_id] = one(integration_id)
        except ReconcileBusy:
            outcome[integration_id] = "busy"
        except Exception as exc:
            log.warning("%s of %s failed: %s", what, integration_id, type(exc).__name__)
            outcome[integration_id] = "failed"
            failed(integration_id, safe_reason(exc))
    return outcome
