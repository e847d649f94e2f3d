"""Reliability harness: the end-to-end stack (tests/harness.py) plus the knobs these
scenarios need — scale-out workers, counts that grow with ``RELIABILITY_FULL=1``, random
faults in front of the Azure Boards emulator, and settings changed for one test.

The e2e fixtures are imported, not copied: one harness, one way to start the app.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from localdev.boards_emulator import BoardsEmulator
from localdev.devhost import DevHost
from sync_core import bootstrap
from tests.harness import Sync, queues_empty, wait_until

__all__ = ["Sync", "queues_empty", "wait_until"]  # the harness's, for the scenarios here

#: ``RELIABILITY_FULL=1`` (``make reliability``) runs the issue's full counts.
FULL = os.environ.get("RELIABILITY_FULL") == "1"


def count(small: int, full: int) -> int:
    """The scenario size: small in ``make test``, the issue's figure in ``make reliability``."""
    return full if FULL else small


def all_deliveries(under_test: Sync) -> list[dict]:
    """Every delivery of the integration, newest first, as stored.

    Read from the table, not through the API: the API shows the latest 1,000 (R11), and the
    full fault scenario records more than that. Nothing trims them meanwhile (the reconcile
    timer does not run in tests)."""
    from sync_core import bootstrap as _bootstrap

    table = next(t for t in _bootstrap.context().state.tables if t.name.endswith("deliveries"))
    return [dict(row) for row in table.query("PartitionKey eq @pk", {"pk": under_test.id})]


def report(name: str, **figures: object) -> None:
    """Print a scenario's measured figures (``pytest -s`` shows them; docs/reliability.md)."""
    shown = ", ".join(f"{k}={v}" for k, v in figures.items())
    print(f"\n[reliability] {name}: {shown}")


@pytest.fixture
def scale_out(app_host: DevHost) -> Iterator[DevHost]:
    """A second host over the same app object with queue workers only: Azure Functions
    scaling out to more instances, all receiving from the same storage queues."""
    extra = DevHost(
        app_host.app,
        port=0,
        http=False,
        timers=False,
        concurrency=4,
        visibility_timeout=1,
        poll_interval=1.0,  # its pumps are woken by the messages sent (devhost.queues.Sends)
    )
    extra.start()
    try:
        yield extra
    finally:
        extra.stop()


@contextmanager
def settings(**values: str) -> Iterator[None]:
    """App settings changed for one test; the process-wide context is rebuilt around it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    bootstrap.reset()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        bootstrap.reset()


# ------------------------------------------------------------------ random faults


@dataclass
class RandomFaults:
    """A share of the Boards emulator's answers replaced by failures, decided per request.

    The emulator's own fault plan fails the *next* N requests; a storm needs failures
    spread at random over all of them. Some failures happen *after* the request was
    processed (the answer is lost, the write was made: the case R1 guards), and a "late"
    request is processed only after the client gave up on it (a write that lands after
    the worker's retry, or another worker, looked at the card).
    """

    rate: float
    seed: int = 8
    faulted: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def pick(self, method: str) -> str | None:
        with self._lock:
            self.requests += 1
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(
                ["500", "503", "429", "drop", "500-after", "drop-after", "timeout-after", "late"]
            )
            if kind == "late" and method != "PATCH":
                # Updates only: a create that lands after the retry's tag look-up would
                # make a second card; R1's look-up assumes the create landed or never will.
                kind = "timeout-after"
            self.faulted[kind] = self.faulted.get(kind, 0) + 1
            return kind


@contextmanager
def random_faults(
    emulator: BoardsEmulator, rate: float, *, timeout: float
) -> Iterator[RandomFaults]:
    """Install :class:`RandomFaults` in front of the emulator's request handling.

    ``timeout`` is the app's read timeout: a "timeout-after" sleeps past it after
    processing the request, a "late" one before.
    """
    faults = RandomFaults(rate)
    app = emulator.app
    respond = app._respond

    def faulty(request: Request, raw: bytes, entry: object) -> Response:
        kind = faults.pick(request.method)
        if kind in ("500", "503", "429"):
            headers = {"Retry-After": "0"} if kind == "429" else {}
            body = b'{"message": "injected by the reliability tests", "typeKey": "Injected"}'
            return Response(body, status=int(kind), headers=headers, mimetype="application/json")
        if kind == "drop":
            return _dropped(request)
        if kind == "late":
            time.sleep(timeout + 0.2)  # the client has given up; the update lands now
        answer = respond(request, raw, entry)
        if kind == "500-after":
            return Response(b'{"message": "lost answer"}', 500, mimetype="application/json")
        if kind == "drop-after":
            return _dropped(request)
        if kind == "timeout-after":
            time.sleep(timeout + 0.2)
        return answer

    app._respond = faulty  # an instance attribute shadows the method for this test only
    try:
        yield faults
    finally:
        del app._respond


def _dropped(request: Request) -> Response:
    import contextlib
    import socket

    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)


def evolve(snapshot: dict, record: object) -> dict:
    """The snapshot a Conviso event would carry after ``record`` (an emulator IssueRecord)
    changed: its status and ``updatedAt`` move; the rest stays (no GraphQL read per event)."""
    return {
        **snapshot,
        "status": record.status,  # type: ignore[attr-defined]
        "updatedAt": record.updated_at.isoformat(),  # type: ignore[attr-defined]
        "permittedStatus": None,
    }


COLUMN = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column"
#: the example configuration's status map, as the card shows it (PRODUCT.md §4)
EXPECTED_CARD = {
    "IDENTIFIED": ("System.State", "New"),
    "IN_PROGRESS": ("System.State", "Active"),
    "AWAITING_VALIDATION": (COLUMN, "Testing"),
}


def card_matches(under_test: Sync, issue: str, status: str) -> bool:
    items = under_test.work_items_of(issue)
    field_name, value = EXPECTED_CARD[status]
    return len(items) == 1 and items[0]["fields"].get(field_name) == value


def explain(under_test: Sync, expected: dict[str, str]) -> str:
    """Why cards differ from ``expected`` (vulnerability id -> Conviso status): each such
    card, its link, its deliveries and the Azure DevOps requests about it, for a failure
    message that can be diagnosed from the test log alone."""
    from sync_core import bootstrap as _bootstrap

    lines: list[str] = []
    deliveries = all_deliveries(under_test)
    requests = under_test.boards.requests
    for issue, status in expected.items():
        if card_matches(under_test, issue, status):
            continue
        items = under_test.work_items_of(issue)
        shown = [
            (i["id"], i["rev"], i["fields"].get("System.State"), i["fields"].get(COLUMN))
            for i in items
        ]
        lines.append(f"vulnerability {issue}: Conviso {status}; (id, rev, state, column) {shown}")
        stored = _bootstrap.context().state.links.get(under_test.id, issue)
        lines.append(f"  link: {stored.link.model_dump(mode='json') if stored else None}")
        for d in reversed(deliveries):
            if d.get("vulnerability_id") == issue:
                lines.append(
                    f"  delivery {d.get('time')} {d.get('level')} {d.get('reason')}: "
                    f"{d.get('message')}"
                )
        ids = {str(i["id"]) for i in items}
        for r in requests:
            if any(r.path.endswith(f"/workitems/{i}") for i in ids):
                lines.append(f"  {r.method} {r.status} {r.body if r.method == 'PATCH' else ''}")
    return "\n".join(lines)
