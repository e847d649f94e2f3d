"""Reconcile and backfill runs that outlive an HTTP answer.

In Azure an HTTP trigger has 230 s to answer, and a backfill of 10,000 vulnerabilities
takes minutes. ``POST .../reconcile`` with ``Prefer: respond-async`` (RFC 7240) therefore
queues the run and answers 202; a queue trigger runs it, with the host's retries and the
poison queue behind it, and the run reports in the deliveries as a synchronous one does.

A run that finds another one of the same integration in progress (the timer's, say) is not
dropped: it is sent again a minute later, for up to half an hour, and only then recorded as
an error. Retrying a failed run is safe: the claims of R1 keep a second card from being made.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..ports import RECONCILE_QUEUE
from ..rules import Level
from .context import SyncContext
from .intake import load_integration
from .reconcile import LEASE, ReconcileBusy, ReconcileReport, reconcile, safe_reason

__all__ = ["ReconcileRequest", "request_run", "run_requested"]

log = logging.getLogger(__name__)

#: how long a run waits for the integration's running one, and how many times
BUSY_DELAY = timedelta(minutes=1)
MAX_BUSY_WAITS = 30


class ReconcileRequest(BaseModel):
    """What the queue carries: which integration, which kind of run, how long it waited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    integration_id: str = Field(min_length=1, max_length=256)
    backfill: bool = False
    requested_at: datetime
    busy_waits: int = Field(default=0, ge=0)


def request_run(ctx: SyncContext, integration_id: str, *, backfill: bool) -> dict[str, Any]:
    """Queue a run; refuse at once (409) when one is running, as the synchronous call does."""
    load_integration(ctx, integration_id)  # 404 for an unknown integration, before queuing
    if ctx.state.leases.held(integration_id, LEASE):
        raise ReconcileBusy(f"a reconcile of '{integration_id}' is already running")
    request = ReconcileRequest(
        integration_id=integration_id, backfill=backfill, requested_at=datetime.now(UTC)
    )
    message_id = ctx.state.queues.send(RECONCILE_QUEUE, request.model_dump(mode="json"))
    mode = "backfill" if backfill else "reconcile"
    ctx.record(integration_id, Level.INFO, f"{mode} queued", reason="reconcile")
    return {
        "queued": True,
        "mode": mode,
        "message_id": message_id,
        "progress": f"/api/integrations/{integration_id}/deliveries?text=reconcile",
    }


def run_requested(ctx: SyncContext, body: str) -> ReconcileReport | None:
    """The queue trigger's work. A message that is not a request is logged and dropped:
    retrying it five times could not make it valid."""
    try:
        request = ReconcileRequest.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        log.error("a %s message is not a reconcile request; dropped", RECONCILE_QUEUE)
        return None
    try:
        return reconcile(ctx, request.integration_id, backfill=request.backfill)
    except ReconcileBusy:
        _wait_for_the_running_one(ctx, request)
        return None
    except Exception as exc:  # shown to the operator; raised again for the host to retry
        ctx.record(
            request.integration_id,
            Level.ERROR,
            f"queued {'backfill' if request.backfill else 'reconcile'} failed: {safe_reason(exc)}",
            reason="reconcile",
        )
        raise


def _wait_for_the_running_one(ctx: SyncContext, request: ReconcileRequest) -> None:
    mode = "backfill" if request.backfill else "reconcile"
    if request.busy_waits >= MAX_BUSY_WAITS:
        ctx.record(
            request.integration_id,
            Level.ERROR,
            f"queued {mode} given up: another run held the integration for "
            f"{MAX_BUSY_WAITS} minutes; ask again",
            reason="reconcile",
        )
        return
    again = request.model_copy(update={"busy_waits": request.busy_waits + 1})
    ctx.state.queues.send(RECONCILE_QUEUE, again.model_dump(mode="json"), delay=BUSY_DELAY)
