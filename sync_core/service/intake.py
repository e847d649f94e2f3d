"""The two webhooks (R12): authenticate, validate, de-duplicate, enqueue, answer.

Nothing here calls Azure DevOps or Conviso, so an outage on their side never turns into
a failing hook on ours (Azure DevOps puts failing hooks on probation and drops events).
The event id is marked seen before enqueueing and un-marked if the enqueue fails, so a
sender's retry is accepted again: nothing is lost, nothing is processed twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ..adapters.state.queues import INBOUND_QUEUE, MAX_MESSAGE_BYTES, OUTBOUND_QUEUE
from ..edge import (
    MAX_BODY_BYTES,
    PayloadTooLarge,
    board_change_from_hook,
    check_body,
    parse_conviso_event,
    verify_boards_caller,
    verify_conviso_signature,
)
from ..rules import IntegrationConfig
from .context import SyncContext
from .errors import IntegrationNotFound
from .messages import InboundMessage, OutboundMessage

__all__ = ["Accepted", "accept_boards_event", "accept_conviso_event", "load_integration"]

CONVISO, BOARDS = "conviso", "boards"
#: base64 grows a message by 4/3; keep a margin under the queue's 64 KiB
_SNAPSHOT_BUDGET = MAX_MESSAGE_BYTES * 3 // 4 - 2048


@dataclass(frozen=True)
class Accepted:
    status: int
    event_id: str
    enqueued: int
    note: str = "accepted"

    def body(self) -> dict[str, object]:
        return {"status": self.note, "event_id": self.event_id, "enqueued": self.enqueued}


def load_integration(
    ctx: SyncContext, integration_id: str, *, fresh: bool = False
) -> IntegrationConfig:
    """The configuration or ``IntegrationNotFound``; ``fresh`` skips the process cache."""
    config = ctx.state.integrations.get(integration_id) if fresh else ctx.config(integration_id)
    if config is None:
        raise IntegrationNotFound(f"integration '{integration_id}' does not exist")
    return config


def _check_fits(payloads: list[dict[str, object]]) -> None:
    """Refuse (413) an event whose messages the queue could not hold, before anything is
    stored: the queue's own refusal would come after the event id was marked seen, as a
    storage error (a 503, which Azure DevOps answers with probation) instead of bad input."""
    for payload in payloads:
        size = len(json.dumps(payload, separators=(",", ":")).encode())
        if 4 * -(-size // 3) > MAX_MESSAGE_BYTES:
            raise PayloadTooLarge(
                f"the event makes a {size}-byte queue message; the limit is "
                f"{MAX_MESSAGE_BYTES * 3 // 4} bytes before base64"
            )


def _enqueue_once(
    ctx: SyncContext,
    integration_id: str,
    source: str,
    event_id: str,
    queue: str,
    payloads: list[dict[str, object]],
) -> Accepted:
    _check_fits(payloads)
    if not ctx.state.events.first_time(integration_id, source, event_id):
        return Accepted(200, event_id, 0, note="duplicate")
    try:
        for payload in payloads:
            ctx.state.queues.send(queue, payload)
    except Exception:
        ctx.state.events.forget(integration_id, source, event_id)
        raise
    return Accepted(202, event_id, len(payloads))


def _outbound_payload(message: OutboundMessage) -> dict[str, object]:
    payload = message.model_dump(mode="json")
    if len(json.dumps(payload)) > _SNAPSHOT_BUDGET:
        payload["snapshot"] = None  # the worker fetches it from Conviso
    return payload


def accept_conviso_event(
    ctx: SyncContext,
    integration_id: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> Accepted:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    config = load_integration(ctx, integration_id)
    secret = config.event_secret.get_secret_value() if config.event_secret else None
    signature = next((v for k, v in headers.items() if k.lower() == "x-conviso-signature"), None)
    verify_conviso_signature(
        signature, body, secret=secret, now=time.time() if now is None else now
    )
    event = parse_conviso_event(check_body(headers, body))
    messages = [
        OutboundMessage(
            integration_id=integration_id,
            event_id=event.id,
            issue_id=v.id,
            snapshot=v,
            assessment=event.assessment,
        )
        for v in event.snapshots
    ] + [
        OutboundMessage(
            integration_id=integration_id,
            event_id=event.id,
            issue_id=issue_id,
            assessment=event.assessment,
        )
        for issue_id in event.issue_ids
    ]
    return _enqueue_once(
        ctx,
        integration_id,
        CONVISO,
        event.id,
        OUTBOUND_QUEUE,
        [_outbound_payload(m) for m in messages],
    )


def accept_boards_event(
    ctx: SyncContext,
    integration_id: str,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
) -> Accepted:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    config = load_integration(ctx, integration_id)
    verify_boards_caller(headers, query, config.webhook)
    document = check_body(headers, body)
    change = board_change_from_hook(document)
    if change is None:
        event_id = str(document.get("id", ""))[:256]
        return Accepted(200, event_id, 0, note="ignored")
    message = InboundMessage(integration_id=integration_id, event_id=change.event_id, change=change)
    # One revision is one change: the State hook and the Board Column hook both report a
    # move that changes both, under different event ids. Keying on the revision makes the
    # second a duplicate, so Conviso hears of the move once.
    return _enqueue_once(
        ctx,
        integration_id,
        BOARDS,
        f"{change.work_item_id}:{change.rev}",
        INBOUND_QUEUE,
        [message.model_dump(mode="json")],
    )
