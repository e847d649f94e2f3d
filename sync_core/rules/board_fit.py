"""R16: whether a route fits its board — checked when a configuration is saved, by
check connection, and before every write (a board can change under a saved route)."""

from __future__ import annotations

from .models import BoardLayout, Route
from .position import position_fields, read_position
from .targets import claimed_columns, target_of
from .vocabulary import MAPPABLE_STATUSES, STATE_FIELD, VANISHED, ConvisoStatus

__all__ = ["route_problems"]


def _target_problems(route: Route, layout: BoardLayout) -> list[str]:
    problems: list[str] = []
    wit = route.work_item_type
    shown = {c.state_mappings.get(wit) for c in layout.columns}
    targets = [(status.value, target) for status, target in route.status_map.items()]
    if route.vanished_target is not None:  # R25
        targets.append((VANISHED, route.vanished_target))
    for status_name, target in targets:
        where = f"status_map.{status_name}"
        if target.state is not None and target.state not in layout.states:
            problems.append(f"{where}: state '{target.state}' does not exist for '{wit}'")
        elif target.state is not None and target.column is None and target.state not in shown:
            problems.append(
                f"{where}: no column of board '{route.board}' shows state '{target.state}'"
            )
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
    return problems


def _no_free_column(route: Route, layout: BoardLayout, status: ConvisoStatus) -> str | None:
    """A state-only target whose every column stands for another status: a card already in
    one of them cannot be moved to a position of the status's own, so it would read back as
    the other status (found by the property test of R5/R8)."""
    target = target_of(route, layout, status)
    if target is None or target.column is not None or target.state is None:
        return None
    wit = route.work_item_type
    columns = [c.name for c in layout.columns if c.state_mappings.get(wit) == target.state]
    claimed = claimed_columns(route, layout, besides=status)
    if not columns or any(name not in claimed for name in columns):
        return None
    return (
        f"status_map.{status.value}: every column of state '{target.state}' stands for another "
        "status; give it a column of its own"
    )


def _unsettled(route: Route, layout: BoardLayout) -> list[str]:
    """Targets that would read back as another status: the two sides would never settle."""
    problems: list[str] = []
    wit = route.work_item_type
    for status in MAPPABLE_STATUSES:
        if target_of(route, layout, status) is None:
            continue
        crowded = _no_free_column(route, layout, status)
        if crowded is not None:
            problems.append(crowded)
        fields = position_fields(route, layout, status, None)
        state = fields.get(STATE_FIELD)
        column = fields.get(layout.column_field) or next(
            (c.name for c in layout.columns if c.state_mappings.get(wit) == state), None
        )
        reading = read_position(route, layout, state=state, column=column, current=status)
        if reading.status != status:
            seen_as = reading.status.value if reading.status else "no status"
            problems.append(
                f"status_map.{status.value}: a card placed there reads as {seen_as}; "
                "give the two statuses distinct targets"
            )
    return problems


def route_problems(route: Route, layout: BoardLayout) -> list[str]:
    """Everything in the route that its board or work item type contradicts.

    Empty means: every mapped state exists and is shown by a column, every mapped column
    exists and stands for a state of this type, the lane exists, ``FIX_ACCEPTED`` has a
    target, and every target reads back as its own status.
    """
    wit = route.work_item_type
    if not layout.states:
        return [f"work item type '{wit}' has no states on this project"]
    problems = _target_problems(route, layout)
    if ConvisoStatus.FIX_ACCEPTED not in route.status_map and layout.completed_state() is None:
        problems.append(f"'{wit}' has no state in category Completed for FIX_ACCEPTED")
    if route.lane is not None and route.lane not in layout.lanes:
        problems.append(f"lane '{route.lane}' is not on board '{route.board}'")
    if not problems:
        problems = _unsettled(route, layout)
    return problems
