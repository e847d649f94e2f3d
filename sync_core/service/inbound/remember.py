"""What the link keeps of an inbound event (R9): the newest revision seen, the card's
place on the route's board, Conviso's status and assignee after it.

Saved under the link's ETag; a save that loses to another writer re-reads the link and
tries again, unless the fresh link has seen this revision already (then nothing is left
to keep). A link that keeps changing is retried as a whole (``Retry``).
"""

from __future__ import annotations

from ...ports import StaleEntity
from ...rules import BoardChange, Link, Vulnerability, WorkItemView
from ..errors import Retry
from .event import InboundEvent

__all__ = ["remember_move", "remember_seen", "seen"]

_SAVE_ATTEMPTS = 3


def seen(
    link: Link,
    change: BoardChange,
    layout_card: WorkItemView | None,
    column: str | None = None,
    assignee: str | None = None,
) -> Link:
    """The link after an event: its revision is the newest seen, its card where it went.

    ``column``: the card's column on the route's board after the event, when known (it
    may not have moved while the State did). ``assignee``: Conviso's assignee now, when
    the event's reassignment reached it (R23)."""
    card = layout_card
    if card is not None:
        card = card.model_copy(
            update={
                "rev": change.rev,
                "state": change.state or card.state,
                "column": change.column or column or card.column,
                "changed_by_id": change.revised_by_id,
                "assigned_to": (
                    card.assigned_to if change.assigned_to is None else change.assigned_to
                ),
            }
        )
    update: dict[str, object] = {
        "last_rev_seen": max(link.last_rev_seen, change.rev), "card": card
    }  # fmt: skip
    if assignee is not None:
        update["applied_assignee"] = assignee
    return link.model_copy(update=update)


def remember_seen(event: InboundEvent, column: str | None, assignee: str | None) -> None:
    """A move on another board, or a reassignment alone: the revision is seen (a late
    event older than it is stale), the card's place on the route's board is unchanged;
    Conviso's assignee is kept when the reassignment reached it (R23)."""
    links, iid, change = event.ctx.state.links, event.integration_id, event.change
    link, etag = event.link, event.etag
    for _ in range(_SAVE_ATTEMPTS):
        try:
            links.save(iid, seen(link, change, link.card, column, assignee), etag)
            return
        except StaleEntity:
            fresh = links.get_by_work_item(iid, change.work_item_id)
            if fresh is None or fresh.link.last_rev_seen >= change.rev:
                return
            link, etag = fresh.link, fresh.etag
    raise Retry(f"the link of work item #{change.work_item_id} kept changing")


def remember_move(
    event: InboundEvent,
    change: BoardChange,
    applied: Vulnerability,
    column: str | None,
    assignee: str | None,
) -> None:
    """Keep the newest revision and card position; the applied status is Conviso's now.

    Conviso's ``updatedAt`` is kept with it (R9): an outbound snapshot older than the
    status this move set is stale. Otherwise a person's change in Conviso made just
    before the move, processed after it, would put the card back where the move took it
    from, and only the echo of the move's own status change would bring it back."""
    links, iid = event.ctx.state.links, event.integration_id
    link, etag = event.link, event.etag
    for _ in range(_SAVE_ATTEMPTS):
        when = max(applied.updated_at, link.applied_updated_at or applied.updated_at)
        updated = seen(link, change, link.card, column, assignee).model_copy(
            update={"applied_status": applied.status, "applied_updated_at": when}
        )
        try:
            links.save(iid, updated, etag)
            return
        except StaleEntity:
            fresh = links.get_by_work_item(iid, change.work_item_id)
            if fresh is None:
                return
            link, etag = fresh.link, fresh.etag
            if link.last_rev_seen >= change.rev:
                return
    raise Retry(f"the link of work item #{change.work_item_id} kept changing")
