"""Boards → Conviso: what a card move asks of the vulnerability (R7, R8, R9).

Split in two so the service spends a Conviso request only when it must:
``screen_inbound`` needs only the event and the link (echoes, stale or irrelevant
events stop there); ``plan_inbound`` also needs Conviso's current status.
"""

from __future__ import annotations

from .decisions import ChangeConvisoStatus, Decision, Level, Skip, SkipReason
from .models import BoardChange, BoardLayout, Link, Route
from .position import read_position
from .vocabulary import BOARD_COLUMN_FIELD, STATE_FIELD, ConvisoStatus

__all__ = ["is_status_move", "plan_inbound", "screen_inbound"]


def is_status_move(changed_fields: frozenset[str]) -> bool:
    """Only a State or board-column change can move a vulnerability."""
    return any(
        name in (STATE_FIELD, BOARD_COLUMN_FIELD) or name.endswith("_Kanban.Column")
        for name in changed_fields
    )


def screen_inbound(
    change: BoardChange, *, link: Link | None, service_identity: str | None
) -> Skip | None:
    """The checks that need no remote call; ``None`` means: go on and plan."""
    if link is None:
        return Skip(
            reason=SkipReason.NOT_LINKED,
            message=f"work item #{change.work_item_id} is not linked to a Conviso vulnerability",
        )
    if change.rev <= link.last_rev_written or (
        service_identity is not None and change.revised_by_id == service_identity
    ):
        return Skip(
            reason=SkipReason.ECHO, message=f"revision {change.rev} was written by this integration"
        )
    if change.rev <= link.last_rev_seen:
        return Skip(
            reason=SkipReason.STALE_EVENT,
            message=f"revision {change.rev} is older than rev {link.last_rev_seen}, already seen",
        )
    if not is_status_move(change.changed_fields):
        return Skip(
            reason=SkipReason.NO_STATUS_CHANGE, message="neither State nor board column changed"
        )
    return None


def _where(change: BoardChange) -> str:
    if change.column and change.state:
        return f"column '{change.column}' (state '{change.state}')"
    return f"state '{change.state}'" if change.state else f"column '{change.column}'"


def plan_inbound(
    change: BoardChange,
    *,
    route: Route,
    layout: BoardLayout,
    link: Link,
    current: ConvisoStatus,
    permitted: tuple[ConvisoStatus, ...] | None,
) -> Decision:
    """R7: the Conviso status a move stands for — never ``FIX_ACCEPTED``, never a guess."""
    reading = read_position(
        route, layout, state=change.state, column=change.column, current=current
    )
    where = _where(change)
    if reading.status is None:
        if reading.ambiguous:
            return Skip(
                reason=SkipReason.AMBIGUOUS_TARGET,
                message=f"{where} stands only for final statuses; a move never infers one",
                level=Level.WARN,
            )
        return Skip(
            reason=SkipReason.UNMAPPED_TARGET, message=f"{where} is not mapped to a Conviso status"
        )
    if reading.status == current:
        return Skip(
            reason=SkipReason.IN_SYNC, message=f"{where} already stands for {current.value}"
        )
    if permitted is not None and reading.status not in permitted:
        return Skip(
            reason=SkipReason.NOT_PERMITTED,
            message=f"Conviso does not permit {current.value} → {reading.status.value}",
            level=Level.WARN,
        )
    who = change.revised_by_name or "someone"
    claim = " (fix claimed; only a scan validates it)" if reading.fix_claimed else ""
    return ChangeConvisoStatus(
        vulnerability_id=link.vulnerability_id,
        work_item_id=change.work_item_id,
        status=reading.status,
        reason=f"Azure Boards work item #{change.work_item_id} moved to {where} by {who}{claim}",
    )
