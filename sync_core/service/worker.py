"""The queue side (R12): run a use case, sort its failure into "record and move on" or
"let the queue retry", and say so in the deliveries before a message goes to poison.

Configuration errors (Azure DevOps 400/401/403/404, a refused Conviso key) are not
retried blindly (R14): they are recorded with the service's own message, the route is
marked paused, and the work is kept in the refused ledger until the route works again
(``service/refused.py``). Transient ones are raised, so the host redelivers the message; the
fifth failure is recorded as an error that names the poison queue and ``replay``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from pydantic import ValidationError

from ..ports import (
    INBOUND_QUEUE,
    OUTBOUND_QUEUE,
    ConfigurationError,
    ConvisoAuthError,
    ConvisoQueryError,
    ConvisoRequestError,
    DeliverySubject,
    ReauthorizationNeeded,
)
from ..rules import IntegrationConfig, Level
from .context import SyncContext
from .inbound import apply_board_change
from .messages import InboundMessage, OutboundMessage
from .oauth import mark_needs_reauthorization
from .outbound import apply_vulnerability
from .refused import refuse

__all__ = ["MAX_DEQUEUE_COUNT", "run_inbound", "run_outbound"]

log = logging.getLogger(__name__)

#: host.json ``extensions.queues.maxDequeueCount``: the fifth failure goes to poison.
MAX_DEQUEUE_COUNT = 5
_PERMANENT = (ConfigurationError, ConvisoAuthError, ConvisoRequestError, ConvisoQueryError)


def _parse(model: type[OutboundMessage] | type[InboundMessage], body: str) -> object | None:
    try:
        return model.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        log.error("dropped a queue message that is not a valid %s", model.__name__)
        return None


def _run(
    ctx: SyncContext,
    message: OutboundMessage | InboundMessage,
    queue: str,
    message_id: str,
    dequeue_count: int,
    use_case: Callable[[IntegrationConfig], None],
) -> None:
    iid = message.integration_id
    config = ctx.config(iid)
    if config is None:
        log.warning("dropped a message of integration %s, which no longer exists", iid)
        return
    subject: DeliverySubject = {"event_id": message.event_id}
    if isinstance(message, OutboundMessage):
        subject["vulnerability_id"] = message.issue_id
    try:
        use_case(config)
    except ReauthorizationNeeded as exc:
        # No retry can fix a revoked consent: say so once, complete the message (R15).
        mark_needs_reauthorization(ctx, exc)
    except _PERMANENT as exc:
        # Not retried blindly (R14), and not lost: the route is paused and the work kept
        # in the refused ledger, sent again as soon as the route works.
        refuse(ctx, config, message, exc, **subject)
    except Exception as exc:
        # The message's outer boundary, hiding nothing: any type (a bug, an untranslated
        # azure-core error) is re-raised to the host's retries/poison, the last one recorded.
        if dequeue_count >= MAX_DEQUEUE_COUNT:
            ctx.record(
                iid,
                Level.ERROR,
                f"gave up after {dequeue_count} attempts ({exc.__class__.__name__}: {exc}); "
                f"the message is in {queue}-poison: POST .../replay to try again",
                reason="poisoned",
                queue=queue,
                message_id=message_id,
                **subject,
            )
        raise


def run_outbound(ctx: SyncContext, body: str, *, message_id: str, dequeue_count: int) -> None:
    """The event id claims the create (R1): it survives the host's retries *and* a replay
    (which re-sends the message under a new id), so a retry recognises its own claim and
    looks the tag up instead of waiting for the claim to go stale."""
    message = _parse(OutboundMessage, body)
    if not isinstance(message, OutboundMessage):
        return
    _run(
        ctx,
        message,
        OUTBOUND_QUEUE,
        message_id,
        dequeue_count,
        lambda config: apply_vulnerability(
            ctx, config, message, claimant=message.event_id, retried=dequeue_count > 1
        ),
    )


def run_inbound(ctx: SyncContext, body: str, *, message_id: str, dequeue_count: int) -> None:
    message = _parse(InboundMessage, body)
    if not isinstance(message, InboundMessage):
        return
    _run(
        ctx,
        message,
        INBOUND_QUEUE,
        message_id,
        dequeue_count,
        lambda config: apply_board_change(ctx, config, message),
    )
