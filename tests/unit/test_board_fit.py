"""R16: a route is checked against its board; a map whose targets cannot be told apart is
refused before it can make the two sides chase each other."""

from __future__ import annotations

from typing import Any

import pytest

from sync_core.rules import route_problems

from .builders import agile_layout, route


def test_the_example_route_fits_the_example_board() -> None:
    assert route_problems(route(), agile_layout()) == []


PROBLEMS = [
    pytest.param(
        {"status_map": {"IDENTIFIED": {"state": "Proposed"}}},
        {},
        "state 'Proposed' does not exist",
        id="unknown-state",
    ),
    pytest.param(
        {"status_map": {"IDENTIFIED": {"column": "Backlog"}}},
        {},
        "column 'Backlog' is not on board",
        id="unknown-column",
    ),
    pytest.param(
        {"status_map": {"IDENTIFIED": {"column": "Testing", "state": "New"}}},
        {},
        "stands for state 'Active'",
        id="column-and-state-disagree",
    ),
    pytest.param(
        {"status_map": {"IDENTIFIED": {"state": "Removed"}}},
        {},
        "shows state 'Removed'",
        id="state-not-on-the-board",
    ),
    pytest.param({"lane": "Ops"}, {}, "lane 'Ops'", id="unknown-lane"),
    pytest.param(
        {},
        {"states": {"New": "Proposed", "Active": "InProgress", "Risk Accepted": "Resolved"}},
        "Completed",
        id="no-completed-state-for-fix-accepted",
    ),
    pytest.param(
        {"status_map": {"IDENTIFIED": {"column": "Closed"}}},
        {},
        "FIX_ACCEPTED: a card placed there",
        id="identified-in-the-done-column-cannot-be-told-from-fixed",
    ),
    pytest.param(
        {"work_item_type": "Epic"}, {}, "has no state for 'Epic'", id="type-not-on-this-board"
    ),
    pytest.param(
        # both columns of state Active are other statuses' targets: a card in Testing written
        # to AWAITING_VALIDATION (state Active) would stay there and read as IN_PROGRESS
        {
            "status_map": {
                "IDENTIFIED": {"state": "New"},
                "IN_PROGRESS": {"column": "Testing"},
                "FIX_ACCEPTED": {"column": "Active"},
                "AWAITING_VALIDATION": {"state": "Active"},
            }
        },
        {},
        "AWAITING_VALIDATION: every column of state 'Active' stands for another status",
        id="state-only-target-with-no-column-of-its-own",
    ),
]


@pytest.mark.parametrize(("route_change", "layout_change", "expected"), PROBLEMS)
def test_route_problems_name_what_does_not_fit(
    route_change: dict[str, Any], layout_change: dict[str, Any], expected: str
) -> None:
    problems = route_problems(route(**route_change), agile_layout(**layout_change))
    assert any(expected in p for p in problems), problems
