"""The two webhooks (R12): authenticate, validate, de-duplicate, enqueue, answer.

Nothing here calls Azure DevOps or Conviso, so an outage on their side never turns into
a failing hook on ours (Azure DevOps puts failing hooks on probation and drops events).
The event id is marked seen before enqueueing and un-marked if the enqueue fails, so a
sender's retry is accepted again: nothing is lost, nothing is processed twice.

A hook for a card that is not the integration's (no ``conviso-vuln-<id>`` tag) costs
nothing (R19): answered 202 before any storage is touched, only counted in memory.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ..edge import (
    MAX_BODY_BYTES,
    ConvisoEvent,
    PayloadTooLarge,
    check_body,
    parse_boards_hook,
    parse_conviso_event,
    verify_boards_caller,
    verify_conviso_signature,
)
from ..ports import INBOUND_QUEUE, MAX_MESSAGE_BYTES, OUTBOUND_QUEUE, StateError
from ..rules import IntegrationConfig
from .context import SyncContext
from .errors import IntegrationNotFound
from .messages import InboundMessage, OutboundMessage

__all__ = [
    "Accepted",
    "QuietHooks",
    "accept_boards_event",
    "accept_conviso_event",
    "load_integration",
    "purge_event_ids",
    "quiet_hooks",
]

log = logging.getLogger(__name__)

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


class QuietHooks:
    """Hooks dropped at the edge because their card is not the integration's (R19).

    Counted in this process's memory, per integration: R19 allows no Table write for such
    an event, and a shared counter would be one (or a queue message) per event — exactly
    the cost the rule removes. Each instance therefore counts what it answered, since it
    started; the integration's GET shows this instance's figure and when it began (on
    one instance, as locally and on a quiet Flex plan, that is the whole figure).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dropped: dict[str, int] = {}
        self._last: dict[str, datetime] = {}
        self.since = datetime.now(UTC)

    def add(self, integration_id: str) -> None:
        with self._lock:
            self._dropped[integration_id] = self._dropped.get(integration_id, 0) + 1
            self._last[integration_id] = datetime.now(UTC)

    def of(self, integration_id: str) -> dict[str, object]:
        with self._lock:
            last = self._last.get(integration_id)
            return {
                "dropped": self._dropped.get(integration_id, 0),
                "last_at": last.isoformat() if last else None,
                "since": self.since.isoformat(),
                "scope": "this instance",
            }

    def total(self) -> int:
        with self._lock:
            return sum(self._dropped.values())


#: this process's count of hooks for cards that are not the integration's
QUIET_HOOKS = QuietHooks()


def quiet_hooks(integration_id: str) -> dict[str, object]:
    """The integration's dropped-hook counter as shown by its GET (R19)."""
    return QUIET_HOOKS.of(integration_id)


def purge_event_ids(ctx: SyncContext, integration_id: str) -> int:
    """Delete a bounded batch of the integration's expired event ids (R19); for the
    reconcile pass. A failure is logged, never fails the pass: the next one purges."""
    try:
        return ctx.state.events.purge_expired(integration_id)
    except StateError as exc:
        log.warning("purging the event ids of %s failed (%s)", integration_id, type(exc).__name__)
        return 0


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
    sent = False
    try:
        for payload in payloads:
            ctx.state.queues.send(queue, payload)
        sent = True
    finally:
        if not sent:  # whatever failed (it propagates): the sender's retry is accepted again
            ctx.state.events.forget(integration_id, source, event_id)
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
    """Authenticate (the signature), validate, de-duplicate and enqueue one Conviso event:
    one outbound message per issue it names."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    config = load_integration(ctx, integration_id)
    secret = config.event_secret.get_secret_value() if config.event_secret else None
    signature = next((v for k, v in headers.items() if k.lower() == "x-conviso-signature"), None)
    verify_conviso_signature(
        signature, body, secret=secret, now=time.time() if now is None else now
    )
    event = parse_conviso_event(check_body(headers, body))
    payloads = [_outbound_payload(m) for m in _outbound_messages(integration_id, event)]
    return _enqueue_once(ctx, integration_id, CONVISO, event.id, OUTBOUND_QUEUE, payloads)


def _outbound_messages(integration_id: str, event: ConvisoEvent) -> list[OutboundMessage]:
    """The event's snapshots first (applied as sent), then the issues it only names (the
    worker reads them from Conviso)."""
    iid, eid, assessment = integration_id, event.id, event.assessment
    return [
        OutboundMessage(
            integration_id=iid, event_id=eid, issue_id=v.id, snapshot=v, assessment=assessment
        )
        for v in event.snapshots
    ] + [
        OutboundMessage(integration_id=iid, event_id=eid, issue_id=i, assessment=assessment)
        for i in event.issue_ids
    ]


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
    hook = parse_boards_hook(document)
    change = hook.change
    if change is None:
        return Accepted(200, hook.event_id, 0, note="ignored")
    if not hook.ours:
        QUIET_HOOKS.add(integration_id)
        return Accepted(202, hook.event_id, 0, note="not_ours")
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
