"""Reading a card's position as a Conviso status, and the fields that put it somewhere.

Both directions share this one reading, which is what makes the sync settle: the
outbound side writes only when the card does not already *read as* the vulnerability's
status, and the inbound side changes Conviso only when the card reads as something else.
Feeding a write back through the other side is therefore a no-op by construction (R8).

A column target is more specific than a state target: a card in the "Testing" column
(state Active) reads as the status mapped to "Testing", not as the one mapped to
"Active" — otherwise a Board Column move within one state could never be seen (R7).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .models import BoardLayout, Route, WorkItemView
from .targets import claimed_columns, target_of
from .vocabulary import FINAL_STATUSES, MAPPABLE_STATUSES, STATE_FIELD, ConvisoStatus

__all__ = ["Reading", "position_fields", "read_position"]

_LIFECYCLE_ORDER = {status: i for i, status in enumerate(MAPPABLE_STATUSES)}


class Reading(BaseModel):
    """What a position means: a status, or why it means none."""

    model_config = ConfigDict(frozen=True)

    status: ConvisoStatus | None
    ambiguous: bool = False
    fix_claimed: bool = False


def _matches(
    route: Route, layout: BoardLayout, state: str | None, column: str | None
) -> list[ConvisoStatus]:
    """Statuses whose target the position meets, the most specific level only."""
    by_column: list[ConvisoStatus] = []
    by_state: list[ConvisoStatus] = []
    for status in MAPPABLE_STATUSES:
        target = target_of(route, layout, status)
        if target is None:
            continue
        if target.column is not None:
            if target.column == column and target.state in (None, state):
                by_column.append(status)
        elif target.state == state:
            by_state.append(status)
    done_column = layout.column(column) if column else None
    if (
        done_column is not None
        and done_column.column_type == "outgoing"
        and ConvisoStatus.FIX_ACCEPTED not in by_state
    ):
        by_state.append(ConvisoStatus.FIX_ACCEPTED)
    return by_column or by_state


def read_position(
    route: Route,
    layout: BoardLayout,
    *,
    state: str | None,
    column: str | None,
    current: ConvisoStatus,
) -> Reading:
    """R7: the status a card at (state, column) stands for, given Conviso's current one.

    The current status is kept when it is among the candidates; a move never yields
    ``FIX_ACCEPTED`` (a person can only *claim* a fix: ``AWAITING_VALIDATION``) and never
    infers a final status from an ambiguous target.
    """
    candidates = _matches(route, layout, state, column)
    if not candidates:
        return Reading(status=None)
    if current in candidates:
        return Reading(status=current)
    fix_claimed = ConvisoStatus.FIX_ACCEPTED in candidates
    claimed = {
        ConvisoStatus.AWAITING_VALIDATION if s == ConvisoStatus.FIX_ACCEPTED else s
        for s in candidates
    }
    if current in claimed:
        return Reading(status=current, fix_claimed=fix_claimed)
    if len(claimed) > 1:
        claimed -= FINAL_STATUSES
        if not claimed:
            return Reading(status=None, ambiguous=True)
    chosen = min(claimed, key=_LIFECYCLE_ORDER.__getitem__)
    return Reading(status=chosen, fix_claimed=fix_claimed)


def position_fields(
    route: Route, layout: BoardLayout, status: ConvisoStatus, card: WorkItemView | None
) -> dict[str, str]:
    """The State and board-column fields that put the card at ``status``'s target.

    Only fields that differ from the card are returned (``card=None`` means a new card).
    The column goes through the board's own ``WEF_…_Kanban.Column`` field; a state-only
    target also names a column when the card would otherwise sit in a column that stands
    for another status.
    """
    target = target_of(route, layout, status)
    if target is None:
        return {}
    wit = route.work_item_type
    column_name: str | None = None
    if target.column is not None:
        column = layout.column(target.column)
        state = target.state or (column.state_mappings.get(wit) if column else None)
        column_name = target.column
    else:
        state = target.state
        claimed = claimed_columns(route, layout, besides=status)
        current = layout.column(card.column) if card and card.column else None
        fits = (
            current is not None
            and current.name not in claimed
            and current.state_mappings.get(wit) == state
        )
        if not fits:
            column_name = next(
                (
                    c.name
                    for c in layout.columns
                    if c.state_mappings.get(wit) == state and c.name not in claimed
                ),
                None,
            )
    fields: dict[str, str] = {}
    if state is not None and (card is None or card.state != state):
        fields[STATE_FIELD] = state
    if column_name is not None and (card is None or card.column != column_name):
        fields[layout.column_field] = column_name
    return fields
