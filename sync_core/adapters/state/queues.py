"""Storage Queues: hand work from the webhooks to the workers (R12), replay poison.

Messages are JSON, base64-encoded as text (``TextBase64EncodePolicy``), which is what the
Functions host's queue trigger expects by default. They carry ids, not bodies, but the
64 KiB limit is checked here anyway, before a send fails halfway through a request.

Poison messages are handled *raw* (no decode policy): a message someone put there by hand
that is not base64 can still be shown, and a replayed message is sent back byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import (
    QueueClient,
    QueueMessage,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from sync_core.ports.constants import (
    INBOUND_QUEUE,
    MAX_MESSAGE_BYTES,
    OUTBOUND_QUEUE,
    POISON_SUFFIX,
    RECONCILE_QUEUE,
)
from sync_core.ports.data import PoisonMessage

from .counting import Operation, OperationCounts
from .errors import EntityTooLarge, storage_call

__all__ = [
    "INBOUND_QUEUE",
    "MAX_MESSAGE_BYTES",
    "OUTBOUND_QUEUE",
    "POISON_SUFFIX",
    "RECONCILE_QUEUE",
    "PoisonMessage",
    "QueueGateway",
    "poison_queue",
]

logger = logging.getLogger(__name__)

_MAX_PEEK = 32
_REPLAY_VISIBILITY = 60  # seconds a message under replay stays hidden from other readers
_MAX_REPLAY_ROUNDS = 1000  # 32 each: a bound, not an expected size
_QUEUE_NAME = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def poison_queue(queue_name: str) -> str:
    return _check_name(queue_name + POISON_SUFFIX)


def _check_name(name: str) -> str:
    if not _QUEUE_NAME.match(name):
        raise ValueError(
            f"queue name {name[:70]!r} must be 3-63 lowercase letters, digits and single "
            "hyphens, starting and ending with a letter or digit"
        )
    return name


def _decode(content: str) -> tuple[str, dict[str, Any] | None]:
    try:
        text = base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = content
    try:
        payload = json.loads(text)
    except ValueError:
        return text, None
    return text, payload if isinstance(payload, dict) else None


class QueueGateway:
    """Send work messages; inspect and replay poison queues."""

    def __init__(self, service: QueueServiceClient, counts: OperationCounts | None = None) -> None:
        self._service = service
        self._counts = counts or OperationCounts()
        #: one sending client per queue, built once: a client per send cost ~4 % of a
        #: webhook's acceptance (docs/performance.md); SDK clients are thread-safe
        self._senders: dict[str, QueueClient] = {}

    def ensure(
        self, names: Iterable[str] = (OUTBOUND_QUEUE, INBOUND_QUEUE, RECONCILE_QUEUE)
    ) -> None:
        """Create the work queues and their poison queues if needed (idempotent)."""
        for name in names:
            for queue in (_check_name(name), poison_queue(name)):
                try:
                    with storage_call(queue):
                        self._service.create_queue(queue)
                    logger.info("created queue %s", queue)
                except ResourceExistsError:
                    pass

    def send(
        self, queue_name: str, payload: dict[str, Any], *, delay: timedelta | None = None
    ) -> str:
        """Enqueue ``payload`` as JSON; ``delay`` hides it for a while (retry later). Its id."""
        if not isinstance(payload, dict):
            raise TypeError("a queue payload is a JSON object (dict)")
        try:
            text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"queue payload is not JSON-serialisable: {exc}") from None
        encoded_size = 4 * -(-len(text.encode("utf-8")) // 3)
        if encoded_size > MAX_MESSAGE_BYTES:
            raise EntityTooLarge(
                f"queue message is {encoded_size} bytes once encoded; Azure allows "
                f"{MAX_MESSAGE_BYTES} (send ids, not bodies)"
            )
        client = self._encoded(_check_name(queue_name))
        self._counts.add(Operation.MESSAGE_SENT)
        visibility = int(delay.total_seconds()) if delay else None
        with storage_call(queue_name):
            return str(client.send_message(text, visibility_timeout=visibility).id)

    def peek_poison(self, queue_name: str, limit: int = _MAX_PEEK) -> list[PoisonMessage]:
        """Up to ``limit`` (≤ 32) poison messages, without taking them off the queue; none
        when the poison queue does not exist yet (the host creates it with its first one)."""
        if not 1 <= limit <= _MAX_PEEK:
            raise ValueError(f"limit must be 1-{_MAX_PEEK}")
        self._counts.add(Operation.MESSAGE_READ)
        name = poison_queue(queue_name)
        try:
            with storage_call(name):
                peeked = self._raw(name).peek_messages(max_messages=limit)
        except ResourceNotFoundError:
            return []
        return [self._poison(m) for m in peeked]

    def replay_poison(self, queue_name: str, *, integration_id: str | None = None) -> int:
        """Move poison messages back to ``queue_name``; only one integration's if given.

        Each message is sent before it is deleted, so a crash in between duplicates it
        (harmless: events are de-duplicated and sync is state-based), never loses it.
        Messages of other integrations are made visible again right away.
        """
        poison = self._raw(poison_queue(queue_name))
        target = self._raw(_check_name(queue_name))
        skipped: list[QueueMessage] = []
        try:
            with storage_call(poison.queue_name):
                moved = self._move(poison, target, integration_id, skipped)
        finally:
            with storage_call(poison.queue_name):
                for message in skipped:
                    self._counts.add(Operation.MESSAGE_UPDATED)
                    poison.update_message(message, visibility_timeout=0)
        logger.info("replayed %s messages from %s", moved, poison.queue_name)
        return moved

    # ------------------------------------------------------------------ helpers

    def _move(
        self,
        poison: QueueClient,
        target: QueueClient,
        integration_id: str | None,
        skipped: list[QueueMessage],
    ) -> int:
        """Send each poison message (of ``integration_id``, if given) to ``target``, then
        delete it; the others are put in ``skipped``. How many moved."""
        moved = 0
        for _ in range(_MAX_REPLAY_ROUNDS):
            self._counts.add(Operation.MESSAGE_READ)
            batch = list(
                poison.receive_messages(
                    messages_per_page=_MAX_PEEK,
                    max_messages=_MAX_PEEK,
                    visibility_timeout=_REPLAY_VISIBILITY,
                )
            )
            if not batch:
                break
            for message in batch:
                if integration_id is not None and not self._belongs(message, integration_id):
                    skipped.append(message)
                    continue
                self._counts.add(Operation.MESSAGE_SENT)
                target.send_message(message.content)
                self._counts.add(Operation.MESSAGE_DELETED)
                poison.delete_message(message)
                moved += 1
        return moved

    def _encoded(self, name: str) -> QueueClient:
        client = self._senders.get(name)
        if client is None:  # two threads may both build one: harmless, the last is kept
            client = self._senders[name] = self._service.get_queue_client(
                name,
                message_encode_policy=TextBase64EncodePolicy(),
                message_decode_policy=TextBase64DecodePolicy(),
            )
        return client

    def _raw(self, name: str) -> QueueClient:
        return self._service.get_queue_client(name)

    @staticmethod
    def _belongs(message: QueueMessage, integration_id: str) -> bool:
        _, payload = _decode(str(message.content))
        return payload is not None and payload.get("integration_id") == integration_id

    @staticmethod
    def _poison(message: QueueMessage) -> PoisonMessage:
        text, payload = _decode(str(message.content))
        return PoisonMessage(
            id=message.id,
            payload=payload,
            text=text,
            dequeue_count=message.dequeue_count,
            inserted_on=message.inserted_on,
        )
