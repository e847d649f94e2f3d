"""Boards → Conviso: what a card move asks of the vulnerability (R7, R8, R9).

Split in two so the service spends a Conviso request only when it must:
``screen_inbound`` needs only the event and the link (echoes, stale or irrelevant
events stop there); ``plan_inbound`` also needs Conviso's current status.
"""

from __future__ import annotations

from datetime import date

from .decisions import ChangeConvisoStatus, Level, Skip, SkipReason
from .models import BoardChange, BoardLayout, Link, Route
from .people import external_author, risk_accepted_until
from .position import read_position
from .vocabulary import BOARD_COLUMN_FIELD, STATE_FIELD, ConvisoStatus

__all__ = [
    "for_route_board",
    "is_column_field",
    "is_status_move",
    "plan_inbound",
    "same_identity",
    "screen_inbound",
]

_COLUMN_SUFFIX = "_Kanban.Column"


def is_column_field(name: str) -> bool:
    """A board's own column field, ``WEF_<guid>_Kanban.Column`` (one per team board)."""
    return name.startswith("WEF_") and name.endswith(_COLUMN_SUFFIX)


def is_status_move(changed_fields: frozenset[str]) -> bool:
    """Only a State or board-column change can move a vulnerability."""
    return any(
        name in (STATE_FIELD, BOARD_COLUMN_FIELD) or name.endswith(_COLUMN_SUFFIX)
        for name in changed_fields
    )


def _identity_key(value: str) -> str:
    """An identity id as compared: a GUID, whatever its case or braces.

    Service-hook ``revisedBy.id`` and connectionData's ``authenticatedUser.id`` both name
    the identity by its GUID (research/azure-devops.md §3.5, §5); nothing documents their
    spelling as identical, so case and ``{}`` are not allowed to make a difference."""
    return value.strip().strip("{}").lower()


def same_identity(a: str | None, b: str | None) -> bool:
    return bool(a and b) and _identity_key(a or "") == _identity_key(b or "")


def screen_inbound(
    change: BoardChange,
    *,
    link: Link | None,
    service_identity: str | None,
) -> Skip | None:
    """The checks that need no remote call; ``None`` means: go on and plan.

    R8: a revision by the identity the integration writes as (``service_identity``, learned
    from connectionData, or the link's ``writer_id`` read off its own write's answer) is an
    echo whatever its number: the answer to that write may have been lost, so the link
    may not know the revision, and a later Conviso decision must not be undone by it."""
    if link is None:
        return Skip(
            reason=SkipReason.NOT_LINKED,
            message=f"work item #{change.work_item_id} is not linked to a Conviso vulnerability",
        )
    if change.rev <= link.last_rev_written:
        return Skip(
            reason=SkipReason.ECHO, message=f"revision {change.rev} was written by this integration"
        )
    if same_identity(change.revised_by_id, service_identity) or same_identity(
        change.revised_by_id, link.writer_id
    ):
        return Skip(
            reason=SkipReason.ECHO,
            message=f"revision {change.rev} was made by the identity this integration writes as",
        )
    if change.rev <= link.last_rev_seen:
        return Skip(
            reason=SkipReason.STALE_EVENT,
            message=f"revision {change.rev} is older than rev {link.last_rev_seen}, already seen",
        )
    if not is_status_move(change.changed_fields) and change.assigned_to is None:
        # R23: a reassignment alone is planned by ``rules.people`` once the route is known
        return Skip(
            reason=SkipReason.NO_STATUS_CHANGE, message="neither State nor board column changed"
        )
    if link.vanished_at is not None:
        # R25: nothing in Conviso to change any more (its move there would be refused)
        return Skip(
            reason=SkipReason.VANISHED,
            message=f"work item #{change.work_item_id} moved, but Conviso no longer returns "
            f"vulnerability #{link.vulnerability_id}: nothing to change there",
            level=Level.WARN,
        )
    return None


def for_route_board(change: BoardChange, layout: BoardLayout) -> BoardChange | Skip:
    """R7: the change as the route's board sees it, or why it is no move of the route's.

    A card on several teams' boards has one column field per board; a drag on another
    team's board changes only that board's field, and a State change moves every board
    at once. Only ``layout.column_field`` counts: its column when it changed, else the
    State alone. ``System.BoardColumn`` shows whichever board owns the card's area, not
    necessarily the route's, so it is dropped when the boards' own fields are known. A
    change without ``columns`` (a message queued before they were kept, or reconcile's,
    which reads the route's column itself) is already the route's view.
    """
    if not change.columns:
        return change
    mine = layout.column_field
    moved_here = mine in change.changed_fields
    others = sorted(f for f in change.changed_fields if is_column_field(f) and f != mine)
    if not moved_here and STATE_FIELD not in change.changed_fields:
        if not others:
            return change  # neither State nor any column: screening says so
        where = ", ".join(f"'{change.columns.get(f, '?')}'" for f in others)
        return Skip(
            reason=SkipReason.OTHER_BOARD,
            message=f"work item #{change.work_item_id} moved on another team's board (to "
            f"{where}); only the route's board ({mine}) moves the vulnerability",
        )
    kept = {
        f
        for f in change.changed_fields
        if f != BOARD_COLUMN_FIELD and not (is_column_field(f) and f != mine)
    }
    if moved_here:
        kept.add(BOARD_COLUMN_FIELD)
    return change.model_copy(
        update={
            "column": change.columns.get(mine) if moved_here else None,
            "changed_fields": frozenset(kept),
        }
    )


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
    today: date | None = None,
) -> Skip | ChangeConvisoStatus:
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
    until = None
    if reading.status == ConvisoStatus.RISK_ACCEPTED:
        # R24: a risk acceptance says until when
        until = risk_accepted_until(change, route, today or date.today())
    return ChangeConvisoStatus(
        vulnerability_id=link.vulnerability_id,
        work_item_id=change.work_item_id,
        status=reading.status,
        reason=f"Azure Boards work item #{change.work_item_id} moved to {where} by {who}{claim}",
        external_author=external_author(change),
        risk_accepted_until=until,
    )
