"""One Conviso change through the queue worker's own path (``outbound.apply_vulnerability``).

What it may fail with is sorted here, once: credentials refused abort the run; a permanent
refusal is recorded and kept in the refused ledger (R14), and the watermark stays before
it; a transient failure is left for the next run. Outcomes: "done", "failed", "held",
"deferred" or "unchanged".
"""

from __future__ import annotations

import logging

from ...ports import AuthenticationError, ConvisoAuthError, ReauthorizationNeeded
from ...rules import Vulnerability
from ..messages import OutboundMessage
from ..oauth import mark_needs_reauthorization
from ..outbound import apply_vulnerability
from ..refused import refuse, refused_route_key, resume
from .job import PERMANENT, TRANSIENT, Run, Tallying
from .report import safe_reason

__all__ = ["apply_change"]

log = logging.getLogger(__name__)


def apply_change(
    run: Run, ctx: Tallying, vulnerability: Vulnerability, *, retried: bool = False
) -> str:
    """One vulnerability through the queue worker's path; "done", "failed", "held" or
    "deferred". ``retried``: the card may not be what the link remembers (read it first).

    On a route paused by a configuration error (R14) the first change is a probe, made
    alone: applied, the route resumes and its refused work is sent again; refused, the rest
    of the route is held for this run — no request, no second error per vulnerability."""
    if run.aborted:
        return "deferred"
    if run.poll and _already_applied(run, vulnerability):
        return "unchanged"
    message = OutboundMessage(
        integration_id=run.integration_id,
        event_id=run.event_id,
        issue_id=vulnerability.id,
        snapshot=vulnerability,
        backfill=run.backfill,
    )
    route_key = refused_route_key(run.ctx, run.config, message) if run.paused else None
    if route_key is None or route_key not in run.paused:
        return _apply_message(run, ctx, message, vulnerability, retried)
    return _on_paused_route(run, ctx, message, vulnerability, retried, route_key)


def _on_paused_route(
    run: Run, ctx: Tallying, message: OutboundMessage, vulnerability: Vulnerability,
    retried: bool, route_key: str,
) -> str:  # fmt: skip
    """The probe of a paused route (R14): one change at a time until one is applied."""
    with run.probe_lock(route_key):
        if route_key in run.probe_failed:
            run.fail_at(vulnerability.updated_at)
            return "held"
        if route_key not in run.resumed:
            outcome = _apply_message(run, ctx, message, vulnerability, retried)
            if outcome == "done":
                run.resumed.add(route_key)
                resume(
                    run.ctx, run.integration_id, route_key, why="a reconcile pass applied a change"
                )
            return outcome
    return _apply_message(run, ctx, message, vulnerability, retried)


def _already_applied(run: Run, vulnerability: Vulnerability) -> bool:
    """The snapshot is the one the link says was applied (the poll lists the changes at
    its watermark's second again): nothing to do, and nothing to say."""
    stored = run.ctx.state.links.get(run.integration_id, vulnerability.id)
    link = stored.link if stored else None
    return (
        link is not None
        and link.applied_updated_at == vulnerability.updated_at
        and link.applied_status == vulnerability.status
    )


def _apply_message(
    run: Run, ctx: Tallying, message: OutboundMessage, vulnerability: Vulnerability,
    retried: bool,
) -> str:  # fmt: skip
    try:
        apply_vulnerability(ctx, run.config, message, claimant=run.claimant, retried=retried)
        return "done"
    except (ReauthorizationNeeded, AuthenticationError, ConvisoAuthError) as exc:
        if isinstance(exc, ReauthorizationNeeded):
            mark_needs_reauthorization(ctx, exc)
        run.aborted = f"credentials refused: {safe_reason(exc)}"
        return "deferred"
    except PERMANENT as exc:
        # As the worker does (R14): recorded with the service's own message, not retried,
        # kept in the refused ledger; the watermark stays before it.
        key = refuse(ctx, run.config, message, exc, event_id=run.event_id,
                     vulnerability_id=vulnerability.id)  # fmt: skip
        with run.lock:
            run.failed_at.append(vulnerability.updated_at)
            if key is not None:
                run.probe_failed.add(key)
        return "failed"
    except TRANSIENT as exc:  # the next run tries again from the same watermark
        log.info(
            "reconcile left vulnerability %s for later (%s)", vulnerability.id, type(exc).__name__
        )
        return "deferred"
