"""R5: where each Conviso status puts a card, and whether a route fits its board.

``FIX_ACCEPTED`` needs no entry in the map: by default it goes to the work item type's
state in category Completed, found by category and never by name (Agile calls it
"Closed", Scrum and Basic "Done").
"""

from __future__ import annotations

from .models import BoardLayout, Route, StatusTarget
from .vocabulary import MAPPABLE_STATUSES, ConvisoStatus

__all__ = ["claimed_columns", "route_problems", "target_of"]


def target_of(route: Route, layout: BoardLayout, status: ConvisoStatus) -> StatusTarget | None:
    """The status's target on this route, or ``None`` when the card should stay put."""
    explicit = route.status_map.get(status)
    if explicit is not None:
        return explicit
    if status == ConvisoStatus.FIX_ACCEPTED:
        completed = layout.completed_state()
        return StatusTarget(state=completed) if completed else None
    return None


def claimed_columns(route: Route, layout: BoardLayout, *, besides: ConvisoStatus) -> set[str]:
    """Columns that stand for some other status; a state-only target must avoid them."""
    claimed: set[str] = set()
    for status in MAPPABLE_STATUSES:
        target = target_of(route, layout, status)
        if status != besides and target is not None and target.column is not None:
            claimed.add(target.column)
    return claimed


def route_problems(route: Route, layout: BoardLayout) -> list[str]:
    """Everything in the route that the board or the work item type does not have (R16).

    An empty list means every mapped state and column exists, each column stands for a
    state of this work item type, and the lane exists.
    """
    problems: list[str] = []
    wit = route.work_item_type
    if not layout.states:
        problems.append(f"work item type '{wit}' has no states on this project")
    for status, target in route.status_map.items():
        where = f"status_map.{status.value}"
        if target.state is not None and target.state not in layout.states:
            problems.append(f"{where}: state '{target.state}' does not exist for '{wit}'")
        if target.column is None:
            continue
        column = layout.column(target.column)
        if column is None:
            problems.append(f"{where}: column '{target.column}' is not on board '{route.board}'")
            continue
        mapped = column.state_mappings.get(wit)
        if mapped is None:
            problems.append(f"{where}: column '{target.column}' has no state for '{wit}'")
        elif target.state is not None and mapped != target.state:
            problems.append(
                f"{where}: column '{target.column}' stands for state '{mapped}', "
                f"not '{target.state}'"
            )
    if ConvisoStatus.FIX_ACCEPTED not in route.status_map and layout.completed_state() is None:
        problems.append(f"'{wit}' has no state in category Completed for FIX_ACCEPTED")
    if route.lane is not None and route.lane not in layout.lanes:
        problems.append(f"lane '{route.lane}' is not on board '{route.board}'")
    return problems
