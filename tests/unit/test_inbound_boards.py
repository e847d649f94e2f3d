"""R7: a card on several teams' boards carries one ``WEF_<guid>_Kanban.Column`` per board;
only the route's board counts (issue 17, audit W2).

The hooks here are built on the official example of a Bug on two boards
(specs/azure-devops/wit/7.1/httpExamples/workItems/PATCH__wit_workitems__bug1Id_.json:
``WEF_F9DC…_Kanban.Column`` and ``WEF_F571…_Kanban.Column`` on one work item).
"""

from __future__ import annotations

from typing import Any

import pytest

from sync_core.edge import board_change_from_hook
from sync_core.rules import BoardChange, Skip, SkipReason, screen_inbound
from sync_core.rules.inbound import for_route_board
from sync_core.service.messages import InboundMessage

from .builders import agile_layout, link

ROUTE_BOARD = "WEF_F9DCD9224F6E466499435017DB7D2D07_Kanban.Column"
OTHER_BOARD = "WEF_F571AABFDCE945628B5E816FF5294898_Kanban.Column"


def two_board_hook(changes: dict[str, tuple[str, str]], snapshot: dict[str, str]) -> dict:
    """A live-shaped ``workitem.updated``: ``changes`` field -> (old, new), ``snapshot`` the
    work item after the change (``revision.fields``)."""
    fields: dict[str, Any] = {
        name: {"oldValue": old, "newValue": new} for name, (old, new) in changes.items()
    }
    return {
        "id": "evt-two-boards",
        "eventType": "workitem.updated",
        "publisherId": "tfs",
        "resource": {
            "id": 7,
            "workItemId": 398,
            "rev": 8,
            "revisedBy": {"id": "d291b0c4-a05c-4ea6-8df1-4b41d5f39eff", "displayName": "Jamal"},
            "fields": fields,
            "revision": {
                "id": 398,
                "rev": 8,
                "fields": {"System.State": "Active", "System.Tags": "conviso-vuln-123", **snapshot},
            },
        },
    }


def test_every_boards_column_is_kept_and_only_the_moved_one_is_changed() -> None:
    hook = two_board_hook(
        {OTHER_BOARD: ("New", "Doing"), "System.BoardColumn": ("New", "Doing")},
        {ROUTE_BOARD: "New", OTHER_BOARD: "Doing", "System.BoardColumn": "Doing"},
    )
    change = board_change_from_hook(hook)
    assert change is not None
    assert change.columns == {ROUTE_BOARD: "New", OTHER_BOARD: "Doing"}
    assert OTHER_BOARD in change.changed_fields and ROUTE_BOARD not in change.changed_fields


def test_a_state_change_that_moves_every_board_keeps_each_boards_column() -> None:
    hook = two_board_hook(
        {
            "System.State": ("New", "Active"),
            ROUTE_BOARD: ("New", "Active"),
            OTHER_BOARD: ("New", "Doing"),
        },
        {ROUTE_BOARD: "Active", OTHER_BOARD: "Doing"},
    )
    change = board_change_from_hook(hook)
    assert change is not None
    assert change.columns == {ROUTE_BOARD: "Active", OTHER_BOARD: "Doing"}
    assert {ROUTE_BOARD, OTHER_BOARD, "System.State"} <= change.changed_fields


def _change(changed: set[str], columns: dict[str, str], state: str = "Active") -> BoardChange:
    return BoardChange(
        event_id="e",
        work_item_id=501,
        rev=4,
        changed_fields=frozenset(changed),
        state=state,
        columns=columns,
        revised_by_id="person-1",
        revised_by_name="Jamal Hartnett",
    )


LAYOUT = agile_layout(column_field=ROUTE_BOARD)
GUID = "5b7a3d4e-1c2f-4e6a-9b8d-0f1e2d3c4b5a"


def test_a_move_on_another_teams_board_alone_changes_nothing() -> None:
    change = _change(
        {OTHER_BOARD, "System.BoardColumn"}, {ROUTE_BOARD: "New", OTHER_BOARD: "Doing"}
    )
    read = for_route_board(change, LAYOUT)
    assert isinstance(read, Skip) and read.reason == SkipReason.OTHER_BOARD
    assert "another team's board" in read.message


def test_the_route_boards_column_is_read_not_another_boards() -> None:
    change = _change(
        {"System.State", ROUTE_BOARD, OTHER_BOARD},
        {OTHER_BOARD: "Closed", ROUTE_BOARD: "Testing"},
    )
    read = for_route_board(change, LAYOUT)
    assert isinstance(read, BoardChange)
    assert read.column == "Testing"
    assert "System.BoardColumn" in read.changed_fields and OTHER_BOARD not in read.changed_fields


def test_the_state_counts_when_the_routes_column_did_not_change() -> None:
    change = _change(
        {"System.State", OTHER_BOARD, "System.BoardColumn"},
        {OTHER_BOARD: "Closed", ROUTE_BOARD: "Active"},
        state="Active",
    )
    read = for_route_board(change, LAYOUT)
    assert isinstance(read, BoardChange)
    assert read.column is None and read.state == "Active"
    assert read.changed_fields == frozenset({"System.State"})


def test_a_message_queued_before_columns_existed_still_parses_and_reads_as_before() -> None:
    old = {
        "v": 1,
        "integration_id": "it-1",
        "event_id": "e",
        "kind": "board_change",
        "change": {
            "event_id": "e",
            "work_item_id": 501,
            "rev": 4,
            "changed_fields": ["System.State", "System.BoardColumn"],
            "state": "Active",
            "column": "Testing",
            "revised_by_id": "person-1",
            "revised_by_name": "Jamal Hartnett",
        },
    }
    message = InboundMessage.model_validate(old)
    assert message.change.columns == {}
    read = for_route_board(message.change, LAYOUT)
    assert read == message.change


@pytest.mark.parametrize(
    ("revised_by", "writer"),
    [
        pytest.param(GUID.upper(), GUID, id="case"),
        pytest.param("{" + GUID + "}", GUID, id="braces"),
    ],
)  # fmt: skip
def test_r8_the_writer_identity_is_an_echo_whatever_its_revision(
    revised_by: str, writer: str
) -> None:
    change = _change({"System.State"}, {}).model_copy(
        update={"rev": 99, "revised_by_id": revised_by}
    )
    skipped = screen_inbound(change, link=link(last_rev_written=3), service_identity=writer)
    assert skipped is not None and skipped.reason == SkipReason.ECHO


def test_r8_the_links_writer_is_an_echo_too() -> None:
    change = _change({"System.State"}, {}).model_copy(update={"rev": 99, "revised_by_id": "app"})
    skipped = screen_inbound(
        change, link=link(last_rev_written=3, writer_id="app"), service_identity=None
    )
    assert skipped is not None and skipped.reason == SkipReason.ECHO


def test_r8_a_person_is_not_an_echo() -> None:
    change = _change({"System.State"}, {}).model_copy(update={"rev": 99})
    assert screen_inbound(change, link=link(writer_id="app"), service_identity="app") is None
