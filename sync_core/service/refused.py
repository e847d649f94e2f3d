"""Refused work is not lost (R14): remembered per route, applied again when the route works.

A configuration error (an Azure DevOps 400/401/403/404, a refused Conviso key) is recorded,
its route paused, and the message completed — retrying it blindly would only be refused
again. The ledger (``state.refused``) keeps what was refused; these functions put it back:

- ``refuse`` — record the error, pause the route, remember the work;
- ``resume`` — the route worked again (a write on it succeeded, a check connection passed,
  a reconcile probe went through): un-pause it and send every refused message of it back
  to its queue, where the workers apply it as any other event.

Outbound work is remembered by vulnerability id only: when it is applied again, Conviso's
current state is read, so nothing stale is written. Inbound work keeps the card move.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Unpack

from ..ports import INBOUND_QUEUE, OUTBOUND_QUEUE, DeliverySubject
from ..rules import IntegrationConfig, Level, route_by_key, route_for
from .context import SyncContext
from .messages import InboundMessage, OutboundMessage

__all__ = ["refuse", "refused_route_key", "resume"]

log = logging.getLogger(__name__)


def refused_route_key(
    ctx: SyncContext, config: IntegrationConfig, message: OutboundMessage | InboundMessage
) -> str | None:
    """The route the refused work belongs to: its link's (a linked card stays on its
    route, R3), else the route its asset is routed to now. Read only on the failure path."""
    iid = message.integration_id
    if isinstance(message, InboundMessage):
        stored = ctx.state.links.get_by_work_item(iid, message.change.work_item_id)
        return stored.link.route_key if stored else None
    stored = ctx.state.links.get(iid, message.issue_id)
    if stored is not None and route_by_key(config, stored.link.route_key) is not None:
        return stored.link.route_key
    asset = message.snapshot.asset if message.snapshot else None
    route = route_for(config, asset) if asset else None
    return route.key if route else None


def refuse(
    ctx: SyncContext,
    config: IntegrationConfig,
    message: OutboundMessage | InboundMessage,
    cause: Exception,
    *,
    route_key: str | None = None,
    **details: Unpack[DeliverySubject],
) -> str | None:
    """Record a configuration error with the service's own message, pause its route and
    remember the work; returns the route key (None when no route could be told)."""
    iid = message.integration_id
    key = route_key if route_key is not None else refused_route_key(ctx, config, message)
    subject = _subject(message)
    ctx.record(
        iid,
        Level.ERROR,
        f"{cause.__class__.__name__}: {cause}"
        + ("; kept to be applied again when the route works" if key else ""),
        reason="configuration",
        route_key=key,
        **details,
    )
    if key is None:
        return None
    reason = str(cause)[:500]
    ctx.paused.add((iid, key))
    ctx.state.integrations.update_status(iid, lambda s: s.pause(key, reason))
    ctx.state.refused.remember(
        iid,
        route_key=key,
        direction="inbound" if isinstance(message, InboundMessage) else "outbound",
        subject=subject,
        message=_kept(message),
        reason=reason,
    )
    return key


def resume(ctx: SyncContext, integration_id: str, route_key: str, *, why: str) -> int:
    """The route works again: un-pause it and send its refused work back to the queues.

    Sent before forgotten, one row at a time: a crash in between applies a message twice
    (harmless: the rules are state-based), never zero times. Returns how many were sent."""
    ctx.paused.discard((integration_id, route_key))
    status = ctx.state.integrations.get_status(integration_id)
    if route_key in status.paused_routes:
        ctx.state.integrations.update_status(integration_id, lambda s: s.resume(route_key))
    sent = 0
    for work in list(ctx.state.refused.pending(integration_id, route_key)):
        queue = INBOUND_QUEUE if work.direction == "inbound" else OUTBOUND_QUEUE
        body = {**work.message, "event_id": f"refused-{uuid.uuid4().hex[:16]}"}
        ctx.state.queues.send(queue, body)
        ctx.state.refused.forget(integration_id, work.row_key)
        sent += 1
    if sent:
        ctx.record(
            integration_id,
            Level.INFO,
            f"route {route_key} works again ({why}): {sent} refused change(s) sent to be "
            "applied again",
            reason="refused_released",
            route_key=route_key,
        )
    return sent


def _subject(message: OutboundMessage | InboundMessage) -> str:
    if isinstance(message, InboundMessage):
        return f"{message.change.work_item_id}"
    return message.issue_id


def _kept(message: OutboundMessage | InboundMessage) -> dict[str, Any]:
    """The message to send again. Outbound: the vulnerability id only, so Conviso's state
    at that time is what gets applied (never a snapshot that went stale meanwhile)."""
    if isinstance(message, InboundMessage):
        return message.model_dump(mode="json")
    kept = OutboundMessage(
        integration_id=message.integration_id,
        event_id=message.event_id,
        issue_id=message.issue_id,
        backfill=message.backfill,
    )
    return kept.model_dump(mode="json")
