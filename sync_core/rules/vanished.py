"""R25: a linked vulnerability Conviso no longer returns (deleted, or its branch removed).

Its card gets one history note and, where the route maps ``VANISHED`` in its status map,
moves there, in one guarded JSON Patch. Nothing is deleted on either side: the link stays
(marked ``vanished_at``) so the card is never recreated and a move of it is not sent to
Conviso; a snapshot of the vulnerability arriving later clears the mark (it is back).
"""

from __future__ import annotations

from .card import history_note
from .decisions import UpdateWorkItem
from .models import BoardLayout, Link, Route, StatusTarget, WorkItemView
from .vocabulary import HISTORY_FIELD, STATE_FIELD, ConvisoStatus

__all__ = ["plan_vanished", "vanished_note"]


def vanished_note(vulnerability_id: str, target: StatusTarget | None) -> str:
    where = ""
    if target is not None:
        where = f" The card is moved to {target.column or target.state} (status_map.VANISHED)."
    return history_note(
        f"Conviso no longer returns vulnerability #{vulnerability_id}: it was deleted, or "
        f"the branch it was found on was removed. Nothing was deleted here.{where}"
    )


def _target_fields(
    route: Route, layout: BoardLayout, target: StatusTarget, card: WorkItemView
) -> dict[str, str]:
    """State and board column that put the card at ``target`` (only what differs)."""
    wit = route.work_item_type
    state = target.state
    column_name = target.column
    if column_name is not None:
        column = layout.column(column_name)
        state = state or (column.state_mappings.get(wit) if column else None)
    else:
        current = layout.column(card.column) if card.column else None
        if current is None or current.state_mappings.get(wit) != state:
            column_name = next(
                (c.name for c in layout.columns if c.state_mappings.get(wit) == state), None
            )
    fields: dict[str, str] = {}
    if state is not None and card.state != state:
        fields[STATE_FIELD] = state
    if column_name is not None and card.column != column_name:
        fields[layout.column_field] = column_name
    return fields


def plan_vanished(
    route: Route, layout: BoardLayout, link: Link, card: WorkItemView
) -> UpdateWorkItem | None:
    """The one write a vanished vulnerability asks of its card; None once it was said."""
    if link.vanished_at is not None:
        return None
    target = route.vanished_target
    fields: dict[str, str | int] = {HISTORY_FIELD: vanished_note(link.vulnerability_id, target)}
    if target is not None:
        fields.update(_target_fields(route, layout, target, card))
    return UpdateWorkItem(
        vulnerability_id=link.vulnerability_id,
        work_item_id=card.id,
        expected_rev=card.rev,
        fields=fields,
        status=link.applied_status or ConvisoStatus.IDENTIFIED,
    )
