"""From Azure DevOps' board and work item answers to the rules' plain models.

Pure: these read values already fetched. Their inputs are typed by the few members they
read (small Protocols below), so the rules name no adapter and no port; the adapters'
answers (``ports.WorkItem``, ``ports.Board``) and any fake with the same members fit.
The rules never see a WEF field name they were not given: the board tells which of its
extension fields hold the column, the lane and the done flag, so nothing is hard-coded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

from .models import BoardColumn, BoardLayout, WorkItemView
from .people import ASSIGNED_TO_FIELD, email_of
from .vocabulary import (
    BOARD_COLUMN_FIELD,
    BOARD_LANE_FIELD,
    CHANGED_BY_FIELD,
    PRIORITY_FIELD,
    StateCategory,
)

__all__ = [
    "InvalidIntegrationId",
    "WorkItemRecord",
    "board_layout_from",
    "check_integration_id",
    "identity_id",
    "parse_tags",
    "work_item_view",
]


class WorkItemRecord(Protocol):
    """A work item as Azure DevOps answers it: what ``work_item_view`` reads of one (the
    Boards port hands these to the service).

    Read-only properties, not attributes: the adapter's answer (a frozen model) cannot be
    assigned to, and a settable protocol member would make it fail to match.
    """

    @property
    def id(self) -> int: ...

    @property
    def rev(self) -> int: ...

    @property
    def fields(self) -> Mapping[str, Any]: ...

    @property
    def state(self) -> str | None: ...

    @property
    def tags(self) -> frozenset[str]: ...


class _FieldRef(Protocol):
    @property
    def reference_name(self) -> str: ...


class _BoardFields(Protocol):
    @property
    def column_field(self) -> _FieldRef: ...

    @property
    def row_field(self) -> _FieldRef | None: ...

    @property
    def done_field(self) -> _FieldRef | None: ...


class _Column(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def column_type(self) -> str: ...

    @property
    def state_mappings(self) -> Mapping[str, str]: ...

    @property
    def is_split(self) -> bool | None: ...


class _Row(Protocol):
    @property
    def name(self) -> str | None: ...


class _Board(Protocol):
    """What ``board_layout_from`` reads of a board (``ports.Board`` fits)."""

    @property
    def columns(self) -> Sequence[_Column]: ...

    @property
    def rows(self) -> Sequence[_Row]: ...

    @property
    def fields(self) -> _BoardFields: ...


class _State(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def category(self) -> str: ...


#: The column types the rules know; another (a future one) is read as an in-progress column.
_COLUMN_TYPES: dict[str, Literal["incoming", "inProgress", "outgoing"]] = {
    "incoming": "incoming",
    "inProgress": "inProgress",
    "outgoing": "outgoing",
}


def board_layout_from(board: _Board, states: Iterable[_State]) -> BoardLayout:
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


def parse_tags(value: object) -> frozenset[str]:
    """``System.Tags`` is one string, tags separated by ``"; "``."""
    if not isinstance(value, str):
        return frozenset()
    return frozenset(tag.strip() for tag in value.split(";") if tag.strip())


def _as_int(value: object) -> int | None:
    """Priority is an integer field; tolerate its string form (older payloads)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# ------------------------------------------------------------------ integration ids

_INTEGRATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class InvalidIntegrationId(ValueError):
    """An integration id that is not 1-64 letters, digits, '-' or '_' (bad input: a 400).

    The state adapter raises its ``InvalidKey`` for the same check, since the id is the
    PartitionKey of every table; here it is a plain ``ValueError`` so the rules stay free
    of the state's error tree.
    """


def check_integration_id(value: object) -> str:
    """An integration id is the PartitionKey of every table, and part of URLs: keep it plain."""
    if not isinstance(value, str) or not _INTEGRATION_ID.match(value):
        shown = _shown(value) if isinstance(value, str) else type(value).__name__
        raise InvalidIntegrationId(
            f"integration id {shown} must be 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return value


def _shown(value: str) -> str:
    """A short, escaped rendering of a bad id for the error message (ids are not secrets)."""
    return repr(value[:60] + ("…" if len(value) > 60 else ""))
