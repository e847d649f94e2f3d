"""Queues (R12): JSON in base64 as the Functions host reads it; poison can be replayed."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from azure.storage.queue import QueueServiceClient

from sync_core.adapters.state import (
    INBOUND_QUEUE,
    OUTBOUND_QUEUE,
    EntityTooLarge,
    QueueGateway,
    StateStore,
)

pytestmark = pytest.mark.azurite


@pytest.fixture
def queue(storage_connection_string: str) -> str:
    """A fresh work queue (and its poison queue) for one test."""
    name = "q" + uuid.uuid4().hex[:12]
    service = QueueServiceClient.from_connection_string(storage_connection_string)
    QueueGateway(service).ensure([name])
    return name


@pytest.fixture
def raw(storage_connection_string: str) -> QueueServiceClient:
    return QueueServiceClient.from_connection_string(storage_connection_string)


def test_queue_names_are_the_agreed_constants() -> None:
    assert OUTBOUND_QUEUE == "conviso-to-boards"
    assert INBOUND_QUEUE == "boards-to-conviso"


def test_sent_payload_is_base64_json_as_the_functions_host_expects(
    state: StateStore, queue: str, raw: QueueServiceClient
) -> None:
    state.queues.send(queue, {"integration_id": "it-1", "vulnerability_id": "123"})
    stored = raw.get_queue_client(queue).receive_message()
    assert stored is not None
    assert json.loads(base64.b64decode(stored.content)) == {
        "integration_id": "it-1", "vulnerability_id": "123",
    }


def test_message_over_64_kib_is_refused_before_sending(state: StateStore, queue: str) -> None:
    state.queues.send(queue, {"blob": "x" * 48_000})  # 64 KB once base64-encoded: fits
    with pytest.raises(EntityTooLarge, match="send ids, not bodies"):
        state.queues.send(queue, {"blob": "x" * 49_200})


def test_payload_must_be_a_json_object(state: StateStore, queue: str) -> None:
    with pytest.raises(TypeError):
        state.queues.send(queue, ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="JSON"):
        state.queues.send(queue, {"x": object()})


def _poison(raw: QueueServiceClient, queue: str, payloads: list[object]) -> None:
    client = raw.get_queue_client(queue + "-poison")
    for payload in payloads:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        client.send_message(base64.b64encode(text.encode()).decode())


def test_peek_poison_shows_messages_without_taking_them(
    state: StateStore, queue: str, raw: QueueServiceClient
) -> None:
    _poison(raw, queue, [{"integration_id": "a", "n": 1}, "not json"])
    peeked = state.queues.peek_poison(queue)
    assert [m.payload for m in peeked] == [{"integration_id": "a", "n": 1}, None]
    assert peeked[1].text == "not json"
    assert len(state.queues.peek_poison(queue)) == 2


def test_replay_moves_poison_back_to_the_work_queue(
    state: StateStore, queue: str, raw: QueueServiceClient
) -> None:
    _poison(raw, queue, [{"integration_id": "a", "n": 1}, {"integration_id": "a", "n": 2}])
    assert state.queues.replay_poison(queue) == 2
    assert state.queues.peek_poison(queue) == []
    moved = raw.get_queue_client(queue).peek_messages(max_messages=32)
    assert sorted(json.loads(base64.b64decode(m.content))["n"] for m in moved) == [1, 2]


def test_replay_of_one_integration_leaves_the_others_visible(
    state: StateStore, queue: str, raw: QueueServiceClient
) -> None:
    _poison(raw, queue, [{"integration_id": "a"}, {"integration_id": "b"}, "garbage",
                         {"integration_id": "a"}])
    assert state.queues.replay_poison(queue, integration_id="a") == 2
    left = state.queues.peek_poison(queue)  # visible again right away
    assert [m.payload for m in left] == [{"integration_id": "b"}, None]
    assert len(raw.get_queue_client(queue).peek_messages(max_messages=32)) == 2


def test_ensure_is_idempotent(state: StateStore) -> None:
    state.ensure()
    state.ensure()
