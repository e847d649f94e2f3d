"""The Conviso poll (R18): near real time without Conviso webhooks.

Conviso sends no webhooks of its own, so without this a change in Conviso would reach its
card only at the next full reconcile (15 minutes). The poll runs only the Conviso pass of
reconcile (R13), incrementally from the ``conviso`` watermark, every minute by default
(``CONVISO_POLL_SCHEDULE``). A poll that finds nothing new costs one Conviso request (the
first page, newest change first, which stops at the watermark) and no Azure DevOps request:
the changes at the watermark's own second are listed again and passed over with a link read.

One run per integration at a time: the poll takes the reconcile lease, so it never overlaps
a reconcile or a backfill (it is skipped as ``busy`` instead; the next minute tries again).
What the last poll did is kept (``watermarks.last_run``) for the admin page and health.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from ..ports import StateError
from ..rules import Level
from .context import SyncContext
from .intake import load_integration
from .reconcile import (
    DEFAULT_PER_PAGE,
    DEFAULT_WORKERS,
    LEASE,
    ReconcileBusy,
    Run,
    conviso_pass,
    each_integration,
    release_refused,
)

__all__ = ["POLL", "last_poll", "poll", "poll_all", "poll_overview"]

log = logging.getLogger(__name__)

POLL = "poll"
#: A poll that dies frees the integration for the next one within this.
POLL_LEASE_TTL = timedelta(minutes=2)


def poll(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """One incremental Conviso pass for one integration; its report (also kept)."""
    config = load_integration(ctx, integration_id)
    run = Run(
        ctx, integration_id, config, False, False, DEFAULT_WORKERS, DEFAULT_PER_PAGE,
        POLL_LEASE_TTL, 10**9, poll=True,
    )  # fmt: skip
    started = time.monotonic()
    if not ctx.state.leases.acquire(integration_id, LEASE, run.run_id, POLL_LEASE_TTL):
        raise ReconcileBusy(f"a reconcile of '{integration_id}' is running")
    try:
        run.paused = release_refused(run)
        found = conviso_pass(run)
    finally:
        ctx.state.leases.release(integration_id, LEASE, run.run_id)
    report = {
        "at": ctx.clock().isoformat(),
        "run_id": run.run_id,
        "seen": found.get("seen", 0),
        "applied": sum(
            n for reason, n in found.get("outcomes", {}).items() if reason not in ("in_sync",)
        ),
        "outcomes": found.get("outcomes", {}),
        "failed": found.get("failed", 0),
        "deferred": found.get("deferred", 0),
        "watermark": found.get("watermark"),
        "seconds": round(time.monotonic() - started, 3),
    }
    ctx.state.watermarks.record_run(integration_id, POLL, report)
    return report


def poll_all(ctx: SyncContext) -> dict[str, str]:
    """The timer: every integration in turn; one failing never stops the others (its
    failure is kept as its last poll, and said once an hour)."""

    def one(integration_id: str) -> str:
        return "changed" if poll(ctx, integration_id)["applied"] else "quiet"

    return each_integration(
        ctx, one, what="poll", failed=lambda iid, reason: _keep_failure(ctx, iid, reason)
    )


def _keep_failure(ctx: SyncContext, integration_id: str, reason: str) -> None:
    """A failing poll is kept as its last run, and said once per hour as a delivery (a
    broken key would otherwise add a line a minute and push real errors out of sight)."""
    try:
        ctx.state.watermarks.record_run(
            integration_id, POLL, {"at": ctx.clock().isoformat(), "error": reason}
        )
        hour = ctx.clock().strftime("%Y%m%d%H")
        if ctx.state.events.first_time(integration_id, "poll-failed", f"{hour}:{reason[:100]}"):
            ctx.record(integration_id, Level.ERROR, f"Conviso poll failed: {reason}", reason="poll")
    except StateError as exc:
        # Storage itself failed: nothing can be kept, so the log, by the error's type, is
        # all there is.
        log.warning("poll failure of %s not kept: %s", integration_id, type(exc).__name__)


def last_poll(ctx: SyncContext, integration_id: str) -> dict[str, Any] | None:
    """What the latest poll of an integration did, and when (None before the first)."""
    return ctx.state.watermarks.last_run(integration_id, POLL)


def poll_overview(ctx: SyncContext) -> dict[str, Any]:
    """For ``/api/health``: when each integration last polled Conviso and what it found —
    times and counts only, never a message that could carry a secret."""
    shown: dict[str, Any] = {}
    for integration_id in ctx.state.integrations.list_ids():
        report = last_poll(ctx, integration_id)
        if report is None:
            shown[integration_id] = {"at": None}
        elif "error" in report:
            shown[integration_id] = {"at": report.get("at"), "ok": False}
        else:
            shown[integration_id] = {
                "at": report.get("at"),
                "ok": True,
                "seen": report.get("seen", 0),
                "applied": report.get("applied", 0),
            }
    return shown
