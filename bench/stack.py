"""What every benchmark runs against: Azurite and both emulators on 127.0.0.1, and the
deployed ``function_app`` in the development host, driven through the end-to-end harness
(``tests.harness``: ``running_app``, ``Sync``), so a benchmark and a test exercise
the very same stack."""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from localdev.azurite import Azurite, start_azurite
from localdev.boards_emulator import BoardsEmulator
from localdev.conviso_emulator import ConvisoEmulator
from sync_core.edge import sign_conviso
from tests.harness import CONVISO_KEY, EVENT_SECRET, Sync, running_app, wait_until

__all__ = [
    "QUEUES",
    "ROOT_DIR",
    "Stack",
    "driven_app",
    "fresh_driver",
    "median",
    "open_stack",
    "queues_idle",
    "settle",
    "signed_event",
    "timed",
    "wait_until",
]

QUEUES = ("conviso-to-boards", "boards-to-conviso")
ROOT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stack:
    azurite: Azurite
    boards: BoardsEmulator
    conviso: ConvisoEmulator


@contextmanager
def open_stack() -> Iterator[Stack]:
    """Azurite (in memory) and both emulators, each on a free port, stopped afterwards."""
    with (
        start_azurite() as azurite,
        BoardsEmulator(hook_retry_delays=(0.05, 0.1)) as boards,
        ConvisoEmulator(api_key=CONVISO_KEY) as conviso,
    ):
        yield Stack(azurite, boards, conviso)


@contextmanager
def driven_app(stack: Stack) -> Iterator[Sync]:
    """``function_app`` in the development host (two queue workers), and the harness's
    driver for one fresh integration on reset emulators."""
    with (
        running_app(stack.azurite, stack.boards, stack.conviso) as host,
        httpx.Client(base_url=f"{host.url}/api", timeout=30) as api,
    ):
        yield fresh_driver(Sync(api, stack.boards, stack.conviso, host))


def fresh_driver(sync: Sync) -> Sync:
    """A new integration on emulators back at their seed (no items, hooks or records)."""
    sync.boards.reset()
    sync.conviso.reset()
    return Sync(sync.api, sync.boards, sync.conviso, sync.host)


def signed_event(snapshot: dict[str, Any], *, event_id: str | None = None) -> tuple[bytes, dict]:
    """A Conviso CloudEvent carrying ``snapshot``, body and headers ready to post."""
    body = json.dumps(
        {
            "specversion": "1.0",
            "id": event_id or uuid.uuid4().hex,
            "source": "conviso-platform",
            "type": "com.convisoappsec.vulnerability.status_changed",
            "data": {"issue": snapshot},
        }
    ).encode()
    headers = {
        "Content-Type": "application/cloudevents+json",
        "X-Conviso-Signature": sign_conviso(EVENT_SECRET, body, int(time.time())),
    }
    return body, headers


def queues_idle(connection_string: str, names: Sequence[str] = QUEUES) -> bool:
    """True when no message waits or is being worked on (approximate counts include
    invisible messages: a message leaves the count only when its worker deletes it)."""
    from azure.storage.queue import QueueClient

    for name in names:
        with QueueClient.from_connection_string(connection_string, name) as queue:
            if queue.get_queue_properties().approximate_message_count:
                return False
    return True


def settle(sync: Sync, connection_string: str, *, timeout: float = 60.0) -> None:
    """Wait until hooks are delivered and both queues are drained, twice in a row (a
    hook delivered late puts a new message on the inbound queue)."""

    def quiet() -> bool:
        return sync.boards.wait_for_deliveries(5.0) and queues_idle(connection_string)

    wait_until(lambda: quiet() and (time.sleep(0.1) is None) and quiet(), timeout=timeout)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started
