"""Azure DevOps as it really is, on the create side (R1, R3, R5), through the real stack.

Azure Boards creates a work item only in its type's initial state: a backfill of a company
whose vulnerabilities are already past IDENTIFIED must create each card there and move it by
one guarded update (two requests), never pause a route; a create answered 503 may have
happened; a route's cards get the team's area so they are on its board.
"""

from __future__ import annotations

from typing import Any

import pytest

from sync_core import bootstrap

from .conftest import Sync, ran

#: PRODUCT.md §4's default route, as the emulator's card shows each mapped status
COLUMN = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column"
TARGETS = {
    "IDENTIFIED": ("System.State", "New"),
    "IN_PROGRESS": ("System.State", "Active"),
    "AWAITING_VALIDATION": (COLUMN, "Testing"),
    "RISK_ACCEPTED": ("System.State", "Risk Accepted"),
    "FALSE_POSITIVE": ("System.State", "Closed"),
}


def _card(sync: Sync, issue: str) -> dict[str, Any]:
    items = sync.work_items_of(issue)
    assert len(items) == 1, items
    return items[0]


def _requests_for(sync: Sync, work_item_id: int) -> list[str]:
    """The Azure DevOps requests that made or changed one card: its create, its PATCHes."""
    seen: list[str] = []
    for r in sync.boards.requests:
        if r.method == "POST" and "/_apis/wit/workitems/$" in r.path:
            if isinstance(r.response, dict) and r.response.get("id") == work_item_id:
                seen.append("create")
        elif r.method == "PATCH" and r.path.endswith(f"/workitems/{work_item_id}"):
            seen.append("update")
    return seen


def test_backfill_in_every_mapped_status_makes_one_card_each_in_two_requests(sync: Sync) -> None:
    sync.configure()
    issues = {status: sync.seed(status=status) for status in TARGETS}
    sync.boards.clear_requests()
    report = ran(sync, backfill="true")
    assert report["complete"], report
    errors = sync.deliveries(level="error")
    assert errors == [], errors
    paused = bootstrap.context().state.integrations.get_status(sync.id).paused_routes
    assert paused == {}, paused
    for conviso_status, issue in issues.items():
        card = _card(sync, issue)
        field, value = TARGETS[conviso_status]
        assert card["fields"].get(field) == value, (conviso_status, card["fields"])
        expected = ["create"] if conviso_status == "IDENTIFIED" else ["create", "update"]
        assert _requests_for(sync, card["id"]) == expected, conviso_status


def test_every_create_asks_for_the_initial_state_only(sync: Sync) -> None:
    """What the real service refuses is never sent: no create names a state other than
    the type's initial one, nor a column of another state."""
    sync.configure()
    for status in TARGETS:
        sync.seed(status=status)
    sync.boards.clear_requests()
    ran(sync, backfill="true")
    creates = [
        r for r in sync.boards.requests if r.method == "POST" and "/_apis/wit/workitems/$" in r.path
    ]
    assert len(creates) == len(TARGETS)
    for create in creates:
        sent = {op["path"]: op.get("value") for op in create.body}
        assert sent.get("/fields/System.State", "New") == "New", sent
        assert sent.get(f"/fields/{COLUMN}", "New") == "New", sent


@pytest.mark.parametrize("status", [503, 500, 502])
def test_a_create_answered_5xx_after_it_landed_leaves_one_card(sync: Sync, status: int) -> None:
    """R1: any 5xx to a create may have happened. The retry looks the tag up and links
    what it finds; it never makes a second work item."""
    from werkzeug.wrappers import Response

    from .conftest import wait_until

    sync.configure()
    app = sync.boards.app
    respond = app._respond
    lost = {"count": 0}

    def lose_first_create(request, raw, entry):  # type: ignore[no-untyped-def]
        answer = respond(request, raw, entry)
        creating = request.method == "POST" and "/_apis/wit/workitems/$" in request.path
        if creating and lost["count"] == 0:
            lost["count"] += 1
            body = b'{"message": "TF400898: An Internal Error Occurred.", "typeKey": "X"}'
            return Response(body, status=status, mimetype="application/json")
        return answer

    app._respond = lose_first_create
    try:
        issue = sync.seed()
        sync.publish(issue)
        wait_until(lambda: any(d.get("reason") == "healed" for d in sync.deliveries()), timeout=30)
    finally:
        del app._respond
    assert lost["count"] == 1
    assert len(sync.work_items_of(issue)) == 1
    creates = [
        r for r in sync.boards.requests if r.method == "POST" and "/_apis/wit/workitems/$" in r.path
    ]
    assert len(creates) == 1
