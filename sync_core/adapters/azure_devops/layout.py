"""From Azure DevOps' board and work item answers to the rules' plain models.

The rules never see a WEF field name they were not given: the board tells which of its
extension fields hold the column, the lane and the done flag, so nothing is hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sync_core.ports import WorkItemRecord
from sync_core.rules.models import BoardColumn, BoardLayout, WorkItemView
from sync_core.rules.people import ASSIGNED_TO_FIELD, email_of
from sync_core.rules.vocabulary import (
    BOARD_COLUMN_FIELD,
    BOARD_LANE_FIELD,
    CHANGED_BY_FIELD,
    PRIORITY_FIELD,
    StateCategory,
)

from .models import Board, WorkItemStateInfo

__all__ = ["board_layout_from", "identity_id", "work_item_view"]

#: The column types the rules know; another (a future one) is read as an in-progress column.
_COLUMN_TYPES: dict[str, Literal["incoming", "inProgress", "outgoing"]] = {
    "incoming": "incoming",
    "inProgress": "inProgress",
    "outgoing": "outgoing",
}


def board_layout_from(board: Board, states: Iterable[WorkItemStateInfo]) -> BoardLayout:
    """The layout of one board for one work item type, its states in process order."""
    columns = tuple(
        BoardColumn(
            name=column.name,
            column_type=_COLUMN_TYPES.get(column.column_type, "inProgress"),
            state_mappings=dict(column.state_mappings),
            is_split=bool(column.is_split),
        )
        for column in board.columns
    )
    lanes = tuple(row.name or None for row in board.rows) or (None,)
    fields = board.fields
    return BoardLayout(
        column_field=fields.column_field.reference_name,
        lane_field=fields.row_field.reference_name if fields.row_field else None,
        done_field=fields.done_field.reference_name if fields.done_field else None,
        columns=columns,
        lanes=lanes,
        states={state.name: StateCategory(state.category) for state in states},
    )


def work_item_view(item: WorkItemRecord, layout: BoardLayout) -> WorkItemView:
    """The card as the rules compare it: this board's column and lane, not another team's."""
    fields = item.fields
    column = fields.get(layout.column_field) or fields.get(BOARD_COLUMN_FIELD)
    lane = fields.get(layout.lane_field) if layout.lane_field else fields.get(BOARD_LANE_FIELD)
    return WorkItemView(
        id=item.id,
        rev=item.rev,
        state=item.state or "",
        column=column if isinstance(column, str) and column else None,
        lane=lane if isinstance(lane, str) and lane else None,
        priority=_as_int(fields.get(PRIORITY_FIELD)),
        tags=item.tags,
        changed_by_id=identity_id(fields.get(CHANGED_BY_FIELD)),
        # R23: the card's Assigned To by e-mail; a full answer without it: nobody
        assigned_to=email_of(fields.get(ASSIGNED_TO_FIELD)) or "",
    )


def identity_id(value: object) -> str | None:
    """``System.ChangedBy`` is an identity reference in REST answers (a display string in
    some older payloads, which names no id)."""
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) and found else None
    return None


def _as_int(value: object) -> int | None:
    """Priority is an integer field; tolerate its string form (older payloads)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
