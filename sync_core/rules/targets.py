"""R5: where each Conviso status puts a card.

``FIX_ACCEPTED`` needs no entry in the map: by default it goes to the work item type's
state in category Completed, found by category and never by name (Agile calls it
"Closed", Scrum and Basic "Done").
"""

from __future__ import annotations

from .models import BoardLayout, Route, StatusTarget
from .vocabulary import MAPPABLE_STATUSES, ConvisoStatus

__all__ = ["claimed_columns", "target_of"]


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
