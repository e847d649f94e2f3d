"""R8: the integration knows the identity it writes as, so its own revision is never taken
for a person's move — even when the answer to that write was lost (issue 18, item 2).

The scenario, through the real stack: the app's PATCH lands but its answer is lost (a 502
injected in front of the Boards emulator *after* the update was applied); the queue's
retry finds the card already there. Conviso then moves on (a person sets another status
in Conviso). Only now does the service hook of the app's own earlier write arrive (Azure
DevOps retries a delivery for minutes: docs/service-hooks/troubleshoot.md). The link does
not know that revision (its answer was lost), so only the identity tells it is ours:
Conviso must not be changed back.

The hook is captured by a subscription to an address that refuses connections (the
emulator keeps every delivery's payload) and delivered to the app by hand, late: that is
the ordering under test, made deterministic.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from localdev.boards_emulator import BoardsEmulator
from sync_core import bootstrap
from tests.harness import HOOK_TOKEN, Sync, wait_until

#: PRODUCT.md §4's example map (tests/harness.py), as the card shows each status
TARGET = {
    "IN_PROGRESS": ("System.State", "Active"),
    "AWAITING_VALIDATION": ("WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column", "Testing"),
    "RISK_ACCEPTED": ("System.State", "Risk Accepted"),
    "FALSE_POSITIVE": ("System.State", "Closed"),
}
#: nobody listens here: deliveries fail and are kept, payload and all, by the emulator
SINK = "http://127.0.0.1:9/never-answers"


class LostAnswers:
    """In front of the Boards emulator: the next create (if asked) and the next update are
    applied, then answered 502 — the write happened, the app cannot know (a gateway lost
    the answer). After the lost update, every further work item request waits until
    :meth:`release`: the queue's retry of that update is held back, so the hook of the
    app's own write is processed first, as when Azure DevOps delivers it before the retry.
    """

    def __init__(self, *, lose_create: bool) -> None:
        self.left = {"POST": int(lose_create), "PATCH": 1}
        self.held = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()

    def release(self) -> None:
        self.released.set()

    def wrap(self, respond: Any) -> Any:
        def lossy(request: Request, raw: bytes, entry: object) -> Response:
            path = request.path.lower()
            is_item = "/_apis/wit/workitems" in path
            if is_item and self.held.is_set():
                self.released.wait(timeout=20)  # bounded: the app's own timeout is 30 s
            answer = respond(request, raw, entry)
            is_write = is_item and "/_apis/wit/workitems/" in path and "batch" not in path
            with self._lock:
                lose = (
                    is_write and answer.status_code < 300 and self.left.get(request.method, 0) > 0
                )
                if lose:
                    self.left[request.method] -= 1
                    if request.method == "PATCH":
                        self.held.set()
            if lose:
                body = b'{"message": "Bad Gateway (injected after the write was applied)"}'
                return Response(body, status=502, mimetype="application/json")
            return answer

        return lossy


@contextmanager
def answers_lost(boards: BoardsEmulator, *, lose_create: bool) -> Iterator[LostAnswers]:
    faults = LostAnswers(lose_create=lose_create)
    app = boards.app
    app._respond = faults.wrap(app._respond)  # an instance attribute shadows the method
    try:
        yield faults
    finally:
        faults.release()
        del app._respond


def _idle(sync: Sync) -> bool:
    """No Boards request in flight and no message waiting or held in either queue."""
    from azure.storage.queue import QueueClient

    from sync_core.adapters.state.queues import INBOUND_QUEUE, OUTBOUND_QUEUE

    if any(r.status is None for r in sync.boards.requests):
        return False
    for queue in (OUTBOUND_QUEUE, INBOUND_QUEUE):
        client = QueueClient.from_connection_string(os.environ["SYNC_STORAGE"], queue)
        if client.get_queue_properties().approximate_message_count:
            return False
    return True


def _link(sync: Sync, issue: str) -> Any:
    stored = bootstrap.context().state.links.get(sync.id, issue)
    return stored.link if stored else None


def _app_status_changes(sync: Sync, issue: str) -> list[str]:
    return [
        c.status
        for c in sync.conviso.store.status_changes
        if c.issue_id == issue and c.source == "api"
    ]


def _own_write_hook(sync: Sync, work_item_id: int, rev: int) -> dict[str, Any]:
    """The captured payload of the app's own revision ``rev`` (signed by its identity)."""
    sync.boards.wait_for_deliveries(10)
    found = [
        d.payload
        for d in sync.boards.deliveries
        if d.work_item_id == work_item_id and d.payload["resource"].get("rev") == rev
    ]
    assert found, f"no hook was fired for revision {rev} of #{work_item_id}"
    revised_by = found[0]["resource"]["revisedBy"]["id"]
    assert revised_by.lower() == sync.boards.service_identity_id.lower()
    return found[0]


def _deliver_late(sync: Sync, payload: dict[str, Any]) -> None:
    answer = sync.api.post(
        f"/integrations/{sync.id}/boards-webhook",
        params={"token": HOOK_TOKEN},
        content=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 202, answer.text


def _scenario(sync: Sync, written: str, decided: str, *, lose_create: bool) -> None:
    issue = sync.seed()
    with answers_lost(sync.boards, lose_create=lose_create) as faults:
        sync.publish(issue)
        wait_until(lambda: _link(sync, issue) is not None and len(sync.work_items_of(issue)) == 1)
        [card] = sync.work_items_of(issue)
        sync.boards.subscribe(SINK, project="Fabrikam")  # the app's own hook, held back

        sync.conviso.store.change_status(issue, written, reason="dev", source="user")
        sync.publish(issue)
        field, value = TARGET[written]
        wait_until(lambda: sync.boards.work_item(card["id"])["fields"].get(field) == value)
        assert faults.held.is_set() and faults.left == {"POST": 0, "PATCH": 0}
        own = sync.boards.work_item(card["id"])
        link = _link(sync, issue)
        assert own["rev"] > link.last_rev_written  # the link does not know the app's revision
        if lose_create:
            assert link.writer_id is None  # no answer ever named the app's identity

        sync.conviso.store.change_status(issue, decided, reason="a person decided", source="user")
        _deliver_late(sync, _own_write_hook(sync, card["id"], own["rev"]))

        wait_until(
            lambda: any(
                d.get("reason") == "echo" and d.get("work_item_id") == card["id"]
                for d in sync.deliveries()
            )
        )
        assert _app_status_changes(sync, issue) == []  # 0 Conviso mutations from the echo
        assert sync.conviso.store.get_issue(issue).status == decided
        faults.release()
        wait_until(lambda: _idle(sync), timeout=60, interval=0.2)  # the retry is over


#: Through the real stack, one pair per kind of card change: a State the app set, a column
#: it set (the Kanban column field), a closed card a person reopens in Conviso. Every pair of
#: the decision runs on the fakes (tests/usecases/test_inbound.py, WRITTEN_THEN_DECIDED).
PAIRS = [
    ("IN_PROGRESS", "RISK_ACCEPTED"),
    ("AWAITING_VALIDATION", "IDENTIFIED"),
    ("FALSE_POSITIVE", "IN_PROGRESS"),
]


@pytest.mark.parametrize(("written", "decided"), PAIRS, ids=[f"{a}-then-{b}" for a, b in PAIRS])
def test_r8_the_late_hook_of_the_apps_own_write_never_undoes_a_conviso_decision(
    sync: Sync, written: str, decided: str
) -> None:
    sync.configure()
    _scenario(sync, written, decided, lose_create=False)


def test_r8_the_identity_learned_on_save_catches_it_when_no_answer_named_the_app(
    sync: Sync,
) -> None:
    """The create's answer is lost too (the card is found by its tag): the link never
    saw an answer naming who wrote, so only the integration's own identity can tell."""
    sync.configure()
    shown = sync.api.get(f"/integrations/{sync.id}").json()
    assert shown["service_identity"] == sync.boards.service_identity_id
    _scenario(sync, "IN_PROGRESS", "RISK_ACCEPTED", lose_create=True)


def test_r8_unknown_at_save_the_identity_is_learned_at_the_first_event_that_needs_it(
    sync: Sync,
) -> None:
    sync.boards.inject_status(503, path="connectionData", times=1)  # the save cannot learn it
    sync.configure()
    assert sync.api.get(f"/integrations/{sync.id}").json()["service_identity"] is None
    sync.boards.clear_requests()
    _scenario(sync, "IN_PROGRESS", "RISK_ACCEPTED", lose_create=True)
    reads = [r for r in sync.boards.requests if r.path.endswith("/_apis/connectionData")]
    assert len(reads) == 1  # one read, then kept with the integration
    shown = sync.api.get(f"/integrations/{sync.id}").json()
    assert shown["service_identity"] == sync.boards.service_identity_id
