"""R7 through the real stack: a card shown on two teams' boards moves Conviso only by the
route's board (issue 17, audit W2).

The emulator's Fabrikam project has two teams whose boards both show ``Fabrikam\\Security``:
"Fabrikam Team" (areas Fabrikam and below; its board's column field ``WEF_6CB5…``) and
"Fabrikam Security" (``WEF_F571…``). The route here is the Security team's board, so the
*other* board's column field is the first in every payload — the one the edge used to read.
"""

from __future__ import annotations

from typing import Any

from sync_core import bootstrap
from tests.harness import HOOK_TOKEN, Sync, wait_until

TEAM_BOARD = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column"
SECURITY_BOARD = "WEF_F571AABFDCE945628B5E816FF5294898_Kanban.Column"


def _security_route() -> dict[str, Any]:
    return {
        "default": True,
        "project": "Fabrikam",
        "team": "Fabrikam Security",
        "board": "Issues",
        "work_item_type": "Bug",
        "area_path": "Fabrikam\\Security",
        "status_map": {
            "IDENTIFIED": {"state": "New"},
            "IN_PROGRESS": {"state": "Active"},
            "AWAITING_VALIDATION": {"column": "Verifying"},
            "RISK_ACCEPTED": {"state": "Risk Accepted"},
            "FALSE_POSITIVE": {"state": "Closed"},
        },
    }


def _app_status_changes(sync: Sync, issue: str) -> list[str]:
    return [
        c.status
        for c in sync.conviso.store.status_changes
        if c.issue_id == issue and c.source == "api"
    ]


def test_r7_only_the_route_boards_column_moves_the_vulnerability(sync: Sync) -> None:
    sync.configure(routes=[_security_route()])
    # every update, whatever changed: a drag on one board alone changes no System.* field
    url = f"{sync.host.url}/api/integrations/{sync.id}/boards-webhook?token={HOOK_TOKEN}"
    sync.boards.subscribe(url, project="Fabrikam")
    issue = sync.seed()
    sync.publish(issue)
    [card] = wait_until(lambda: sync.work_items_of(issue))
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))
    fields = sync.boards.work_item(card["id"])["fields"]
    assert fields[TEAM_BOARD] == "New" and fields[SECURITY_BOARD] == "Reported"  # on both

    # A person starts work on the other team's board: the State changes, so every board's
    # column moves in one revision; the route's board says "Fixing" (Active).
    sync.boards.edit_work_item(card["id"], {TEAM_BOARD: "Active"})
    wait_until(lambda: _app_status_changes(sync, issue) == ["IN_PROGRESS"])

    # A drag within the other team's board (Active -> Code Review, both Active): only its
    # own field changes. Nothing changes in Conviso, and the delivery says why.
    moved = sync.boards.edit_work_item(card["id"], {TEAM_BOARD: "Code Review"})
    assert moved["fields"][SECURITY_BOARD] == "Fixing"
    wait_until(
        lambda: any(
            d.get("reason") == "other_board" and d.get("work_item_id") == card["id"]
            for d in sync.deliveries()
        )
    )
    assert _app_status_changes(sync, issue) == ["IN_PROGRESS"]

    # Testing on the other board is Resolved: the route's board shows "Verifying", which
    # is what the change is read as (and named after), not the other board's "Testing".
    sync.boards.edit_work_item(card["id"], {TEAM_BOARD: "Testing"})
    wait_until(lambda: _app_status_changes(sync, issue) == ["IN_PROGRESS", "AWAITING_VALIDATION"])
    change = [c for c in sync.conviso.store.status_changes if c.issue_id == issue][-1]
    assert "'Verifying'" in (change.reason or "") and "'Testing'" not in (change.reason or "")

    def card_kept() -> Any:
        card = bootstrap.context().state.links.get(sync.id, issue).link.card
        return card is not None and card.rev == moved["rev"] + 1 and card

    assert wait_until(card_kept).column == "Verifying"  # the route's board, as the link keeps it
