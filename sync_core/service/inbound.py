"""Boards → Conviso: a person moved a card (R7, R8, R9).

Cheap checks first (no remote call): unlinked items, the integration's own echoes and
out-of-order events stop at ``screen_inbound``. Only a real move costs a Conviso read
(the current status and what it permits) and, when the status changes, one mutation.
"""

from __future__ import annotations

from ..adapters.conviso import StatusNotPermitted
from ..adapters.state import StaleEntity
from ..rules import (
    BoardChange,
    ChangeConvisoStatus,
    IntegrationConfig,
    Level,
    Link,
    Route,
    Vulnerability,
    WorkItemView,
    plan_inbound,
    screen_inbound,
)
from .context import SyncContext
from .errors import Retry
from .messages import InboundMessage

__all__ = ["apply_board_change", "route_by_key"]

_SAVE_ATTEMPTS = 3


def route_by_key(config: IntegrationConfig, key: str) -> Route | None:
    return next((r for r in config.routes if r.key == key), None)


def _seen(link: Link, change: BoardChange, layout_card: WorkItemView | None) -> Link:
    """The link after an event: its revision is the newest seen, its card where it went."""
    card = layout_card
    if card is not None:
        card = card.model_copy(
            update={
                "rev": change.rev,
                "state": change.state or card.state,
                "column": change.column or card.column,
                "changed_by_id": change.revised_by_id,
            }
        )
    return link.model_copy(
        update={"last_rev_seen": max(link.last_rev_seen, change.rev), "card": card}
    )


def apply_board_change(
    ctx: SyncContext, config: IntegrationConfig, message: InboundMessage
) -> None:
    """The inbound use case; raises ``Retry`` or an adapter's transient error to retry."""
    iid, change = message.integration_id, message.change
    stored = ctx.state.links.get_by_work_item(iid, change.work_item_id)
    link = stored.link if stored else None
    skipped = screen_inbound(change, link=link, service_identity=config.service_identity)
    details = {"event_id": message.event_id, "work_item_id": change.work_item_id}
    if skipped is not None or stored is None:
        assert skipped is not None
        ctx.record(
            iid,
            skipped.level,
            skipped.message,
            reason=skipped.reason.value,
            vulnerability_id=link.vulnerability_id if link else None,
            **details,
        )
        return
    link, etag = stored.link, stored.etag
    route = route_by_key(config, link.route_key)
    if route is None:
        ctx.record(
            iid,
            Level.WARN,
            f"route {link.route_key} of this card no longer exists",
            reason="no_route",
            vulnerability_id=link.vulnerability_id,
            **details,
        )
        return
    boards = ctx.boards_for(iid, config)
    layout = ctx.layouts.get(iid, route, boards)
    conviso = ctx.conviso_for(iid, config)
    current = conviso.get_issue(link.vulnerability_id)
    decision = plan_inbound(
        change,
        route=route,
        layout=layout,
        link=link,
        current=current.status,
        permitted=current.permitted_status,
    )
    applied = current
    if isinstance(decision, ChangeConvisoStatus):
        try:
            applied = conviso.change_issue_status(
                decision.vulnerability_id, decision.status, decision.reason
            )
            ctx.record(
                iid,
                Level.INFO,
                f"Conviso status {current.status.value} → "
                f"{decision.status.value}: {decision.reason}",
                reason="status_changed",
                vulnerability_id=link.vulnerability_id,
                route_key=route.key,
                **details,
            )
        except StatusNotPermitted as exc:
            ctx.record(
                iid,
                Level.WARN,
                f"Conviso refused {decision.status.value}: {exc}",
                reason="not_permitted",
                vulnerability_id=link.vulnerability_id,
                route_key=route.key,
                **details,
            )
    else:
        ctx.record(
            iid,
            decision.level,
            decision.message,
            reason=decision.reason.value,
            vulnerability_id=link.vulnerability_id,
            route_key=route.key,
            **details,
        )
    _remember(ctx, iid, change, link, etag, applied)


def _remember(
    ctx: SyncContext,
    iid: str,
    change: BoardChange,
    link: Link,
    etag: str,
    applied: Vulnerability,
) -> None:
    """Keep the newest revision and card position; the applied status is Conviso's now.

    Conviso's ``updatedAt`` is kept with it (R9): an outbound snapshot older than the
    status this move set is stale. Otherwise a person's change in Conviso made just
    before the move, processed after it, would put the card back where the move took it
    from, and only the echo of the move's own status change would bring it back."""
    for _ in range(_SAVE_ATTEMPTS):
        when = max(applied.updated_at, link.applied_updated_at or applied.updated_at)
        updated = _seen(link, change, link.card).model_copy(
            update={"applied_status": applied.status, "applied_updated_at": when}
        )
        try:
            ctx.state.links.save(iid, updated, etag)
            return
        except StaleEntity:
            fresh = ctx.state.links.get_by_work_item(iid, change.work_item_id)
            if fresh is None:
                return
            link, etag = fresh.link, fresh.etag
            if link.last_rev_seen >= change.rev:
                return
    raise Retry(f"the link of work item #{change.work_item_id} kept changing")
