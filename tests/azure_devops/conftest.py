"""The emulator over real HTTP, and a client wired to it with a fake clock (no real waits)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from localdev.boards_emulator import BoardsEmulator
from localdev.wsgi_server import ServerThread
from sync_core.adapters.azure_devops import AzureDevOpsClient, PatAuth, RetryPolicy

#: Tiny but non-zero so ordering and the schedule itself are still exercised.
HOOK_RETRY_DELAYS = (0.01, 0.01, 0.01)
TEST_RETRY = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=4.0, max_retry_after=60.0)


@dataclass
class FakeClock:
    """``sleep`` advances time instead of waiting, and remembers every wait asked for."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture(scope="session")
def running_boards() -> Iterator[BoardsEmulator]:
    """One server for the session (stopping one costs half a second); state resets per test."""
    with BoardsEmulator(hook_retry_delays=HOOK_RETRY_DELAYS) as emulator:
        yield emulator


@pytest.fixture
def boards(running_boards: BoardsEmulator) -> BoardsEmulator:
    running_boards.reset()
    return running_boards


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(boards: BoardsEmulator, clock: FakeClock, **overrides: Any) -> AzureDevOpsClient:
    options: dict[str, Any] = {
        "organization": boards.organization,
        "auth": PatAuth(boards.pat),
        "base_url": boards.url,
        "retry": TEST_RETRY,
        "sleep": clock.sleep,
        "clock": clock.monotonic,
        "jitter": lambda: 1.0,
    }
    options.update(overrides)
    return AzureDevOpsClient(**options)


@pytest.fixture
def client(boards: BoardsEmulator, clock: FakeClock) -> Iterator[AzureDevOpsClient]:
    with make_client(boards, clock) as ado:
        yield ado


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and answers the statuses it is told to."""

    server: ServerThread
    received: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.server.url + "/api/integrations/demo/boards-webhook?token=t0ken"

    def bodies(self) -> list[Any]:
        return [r["json"] for r in self.received]


@pytest.fixture
def receiver(running_receiver: Receiver) -> Receiver:
    with running_receiver.lock:
        running_receiver.received.clear()
        running_receiver.answers.clear()
    return running_receiver


@pytest.fixture(scope="session")
def running_receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        rec = holder["r"]
        with rec.lock:
            rec.received.append(
                {
                    "headers": dict(request.headers.items()),
                    "json": request.get_json(silent=True),
                    "path": request.path,
                    "args": dict(request.args.items()),
                }
            )
            status = rec.answers.pop(0) if rec.answers else 202
        return Response(status=status)(environ, start_response)

    with ServerThread(app) as server:
        holder["r"] = Receiver(server)
        yield holder["r"]
