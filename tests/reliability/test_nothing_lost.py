"""Nothing lost, nothing reverted (issue 18; R3, R5, R6, R10, R14) through the real stack:
the development host, Azurite, and the emulators over HTTP, faults injected in front of the
Azure Boards emulator.

- Work refused while a route is broken is applied once the route works, without a backfill.
- A routing change does not move, break or duplicate the cards that exist.
- A note rides its write once, even when that write's answer was lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.wrappers import Request, Response

from localdev.boards_emulator import BoardsEmulator
from sync_core import bootstrap

from .conftest import Sync, count, report, wait_until

CREATE = "/_apis/wit/workitems/$"
#: Azure DevOps' answer to a create in an area the identity may not write to
FORBIDDEN = (
    b'{"$id":"1","innerException":null,"message":"TF237111: The current user does not have '
    b'permissions to save work items under the specified area path.","typeName":'
    b'"Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemUnauthorizedAccessException",'
    b'"typeKey":"WorkItemUnauthorizedAccessException","errorCode":0,"eventId":3000}'
)


@contextmanager
def in_front(emulator: BoardsEmulator, answer: Callable[..., Response]) -> Iterator[None]:
    """``answer(request, raw, entry, respond)`` answers every request for this block."""
    app = emulator.app
    respond = app._respond
    app._respond = lambda request, raw, entry: answer(request, raw, entry, respond)
    try:
        yield
    finally:
        del app._respond


def _reconcile(sync: Sync, **params: str) -> dict[str, Any]:
    answer = sync.api.post(f"/integrations/{sync.id}/reconcile", params=params, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _cards(sync: Sync, issue: str) -> list[dict[str, Any]]:
    return sync.work_items_of(issue)


# --------------------------------------------------------------- refused work (R14)


def test_work_refused_while_a_route_is_broken_lands_when_it_works_again(sync: Sync) -> None:
    sync.configure()
    issues = [sync.seed() for _ in range(count(3, 20))]
    refused = {"creates": 0}

    def forbid_creates(request: Request, raw: bytes, entry: object, respond: Any) -> Response:
        if request.method == "POST" and CREATE in request.path:
            refused["creates"] += 1
            return Response(FORBIDDEN, status=403, mimetype="application/json")
        return respond(request, raw, entry)

    with in_front(sync.boards, forbid_creates):
        for issue in issues:
            sync.publish(issue)
        wait_until(
            lambda: len([d for d in sync.deliveries(level="error")]) >= len(issues), timeout=60
        )
        # Two reconcile passes while the permission is still missing: nothing is created,
        # and the watermark never passes the refused vulnerabilities.
        first = _reconcile(sync)
        second = _reconcile(sync)
        assert all(_cards(sync, i) == [] for i in issues)
    for run in (first, second):
        mark = run["conviso_to_boards"]["watermark"]
        assert not mark["advanced"] or mark["after"] is not None
    stored = bootstrap.context().state.refused.counts(sync.id)
    assert stored == {"default": len(issues)}, stored
    # Each pass probes the paused route once; the rest of it is held without a request.
    assert refused["creates"] <= len(issues) + 2
    # The permission is back: one pass heals everything, no backfill asked for.
    _reconcile(sync)
    wait_until(lambda: all(len(_cards(sync, i)) == 1 for i in issues), timeout=60)
    wait_until(lambda: bootstrap.context().state.refused.counts(sync.id) == {}, timeout=30)
    assert bootstrap.context().state.integrations.get_status(sync.id).paused_routes == {}
    assert all(len(_cards(sync, i)) == 1 for i in issues)
    report("refused work", vulnerabilities=len(issues), refused_creates=refused["creates"])


def test_refused_work_is_sent_again_by_the_first_write_that_works(sync: Sync) -> None:
    """No reconcile at all: the next successful write on the route releases the ledger."""
    sync.configure()
    victim, later = sync.seed(), sync.seed()
    forbidding = {"on": True}

    def forbid_while_on(request: Request, raw: bytes, entry: object, respond: Any) -> Response:
        if forbidding["on"] and request.method == "POST" and CREATE in request.path:
            return Response(FORBIDDEN, status=403, mimetype="application/json")
        return respond(request, raw, entry)

    with in_front(sync.boards, forbid_while_on):
        sync.publish(victim)
        wait_until(lambda: sync.deliveries(level="error"), timeout=30)
        forbidding["on"] = False
        sync.publish(later)
        wait_until(lambda: len(_cards(sync, later)) == 1, timeout=30)
        wait_until(lambda: len(_cards(sync, victim)) == 1, timeout=30)
    assert any(d.get("reason") == "refused_released" for d in sync.deliveries())


# ------------------------------------------------------------- routing changes (R3)


def test_an_asset_rerouted_keeps_its_cards_where_they_are(sync: Sync) -> None:
    from tests.harness import example_config

    sync.configure(routes=[example_config(sync.boards)["routes"][0]])
    issues = [sync.seed(asset="9") for _ in range(5)]
    for issue in issues:
        sync.publish(issue)
    wait_until(lambda: all(len(_cards(sync, i)) == 1 for i in issues), timeout=30)
    before = {i: _cards(sync, i)[0]["id"] for i in issues}
    # The operator adds a custom route for asset 9 (another project and board).
    custom = {**example_config(sync.boards)["routes"][1], "asset_id": "9"}
    sync.configure(routes=[example_config(sync.boards)["routes"][0], custom])
    for issue in issues:
        sync.conviso.store.change_status(issue, "IN_PROGRESS", reason="dev", source="user")
        sync.publish(issue)
    wait_until(
        lambda: all(_cards(sync, i)[0]["fields"]["System.State"] == "Active" for i in issues),
        timeout=30,
    )
    assert {i: [c["id"] for c in _cards(sync, i)] for i in issues} == {
        i: [before[i]] for i in issues
    }
    deliveries = sync.deliveries()
    assert not [d for d in deliveries if d.get("reason") == "replaced"]
    assert not [d for d in deliveries if "deleted" in (d.get("message") or "")]
    rerouted = [d for d in deliveries if d.get("reason") == "rerouted"]
    assert sorted(d["vulnerability_id"] for d in rerouted) == sorted(issues)
    # New cards follow the new route.
    fresh = sync.seed(asset="9")
    sync.publish(fresh)
    wait_until(lambda: len(_cards(sync, fresh)) == 1, timeout=30)
    assert _cards(sync, fresh)[0]["fields"]["System.TeamProject"] == "Payments"
    report(
        "rerouted asset",
        existing_cards=len(issues),
        new_cards_for_them=0,
        false_deleted_warnings=0,
        rerouted_notes=len(rerouted),
    )


# -------------------------------------------------------------- notes once (R5, R10)


def _lose_first_patch_answer(status: int = 502) -> Callable[..., Response]:
    lost = {"done": False}

    def answer(request: Request, raw: bytes, entry: object, respond: Any) -> Response:
        answered = respond(request, raw, entry)
        if request.method == "PATCH" and not lost["done"]:
            lost["done"] = True
            return Response(b'{"message": "Bad Gateway"}', status=status, mimetype="text/html")
        return answered

    return answer


def _notes(sync: Sync, work_item_id: int, text: str) -> list[str]:
    return [note for _, note in sync.boards.store.items[work_item_id].history if text in note]


def test_a_reopen_note_is_written_once_when_its_answer_is_lost(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    sync.publish(issue)
    wait_until(lambda: len(_cards(sync, issue)) == 1, timeout=30)
    card = _cards(sync, issue)[0]["id"]
    sync.conviso.store.change_status(issue, "FIX_ACCEPTED", reason="scan", source="user")
    sync.publish(issue)
    wait_until(lambda: _cards(sync, issue)[0]["fields"]["System.State"] == "Closed", timeout=30)
    sync.conviso.store.change_status(issue, "IDENTIFIED", reason="scan", source="user")
    with in_front(sync.boards, _lose_first_patch_answer()):
        sync.publish(issue)
        wait_until(
            lambda: any(
                d.get("reason") in ("in_sync", "reopened") and d.get("vulnerability_id") == issue
                for d in sync.deliveries()[:3]
            ),
            timeout=30,
        )
        wait_until(lambda: _cards(sync, issue)[0]["fields"]["System.State"] == "New", timeout=30)
    wait_until(lambda: len(_notes(sync, card, "found again")) >= 1, timeout=30)
    assert len(_notes(sync, card, "found again")) == 1
    report("reopen note, answer lost", notes=1)


def test_an_assessment_note_is_written_once_when_its_answer_is_lost(sync: Sync) -> None:
    import json
    import time

    from sync_core.edge import sign_conviso
    from tests.harness import EVENT_SECRET

    sync.configure()
    issue = sync.seed()
    sync.publish(issue)
    wait_until(lambda: len(_cards(sync, issue)) == 1, timeout=30)
    card = _cards(sync, issue)[0]["id"]
    event = {
        "specversion": "1.0",
        "id": "assessment-1",
        "source": "conviso-platform",
        "type": "com.convisoappsec.assessment.completed",
        "data": {
            "assessment": {"id": "a-1", "name": "Q4 pentest", "result": "2 still present"},
            "issues": [sync.snapshot(issue)],
        },
    }
    body = json.dumps(event).encode()
    headers = {
        "Content-Type": "application/cloudevents+json",
        "X-Conviso-Signature": sign_conviso(EVENT_SECRET, body, int(time.time())),
    }
    with in_front(sync.boards, _lose_first_patch_answer()):
        answer = sync.api.post(
            f"/integrations/{sync.id}/conviso-events", content=body, headers=headers
        )
        assert answer.status_code == 202, answer.text
        wait_until(lambda: len(_notes(sync, card, "Q4 pentest")) >= 1, timeout=30)
        wait_until(
            lambda: any(
                d.get("vulnerability_id") == issue and d.get("event_id") == "assessment-1"
                and d.get("level") == "info"
                for d in sync.deliveries()
            ),
            timeout=30,
        )  # fmt: skip
    assert len(_notes(sync, card, "Q4 pentest")) == 1
    report("assessment note, answer lost", notes=1)
