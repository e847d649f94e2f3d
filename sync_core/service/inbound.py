"""Boards → Conviso: a person moved a card (R7, R8, R9).

Cheap checks first (no remote call): unlinked items, the integration's own echoes and
out-of-order events stop at ``screen_inbound``. Only a real move costs a Conviso read
(the current status and what it permits) and, when the status changes, one mutation.

The identity the integration writes as is what tells its own revisions from a person's
(R8) when the answer to its write was lost. It is learned when the configuration is
saved, else here, by the first event that needs it (one connectionData read), and kept
with the integration. A card on several teams' boards is read on the route's board only
(R7): the message carries every board's column, and only here is the route known.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TypedDict

from ..ports import ConvisoQueryError, StaleEntity, StatusNotPermitted
from ..rules import (
    BoardChange,
    ChangeConvisoStatus,
    IntegrationConfig,
    Level,
    Link,
    Route,
    Skip,
    Vulnerability,
    WorkItemView,
    plan_inbound,
    screen_inbound,
)
from ..rules.decisions import ChangeConvisoAssignee
from ..rules.inbound import for_route_board, is_status_move, same_identity
from ..rules.people import plan_assignee, unknown_assignee_warning
from .context import SyncContext
from .errors import Retry
from .messages import InboundMessage

__all__ = ["apply_board_change", "learn_writer_identity", "route_by_key"]

log = logging.getLogger(__name__)

_SAVE_ATTEMPTS = 3


class _EventSubject(TypedDict):
    """The event and the card every line about an inbound event names (the keywords of
    ``SyncContext.record`` that no call below passes itself)."""

    event_id: str | None
    work_item_id: int | None


def learn_writer_identity(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> str | None:
    """Ask Azure DevOps who the integration's credentials are (connectionData's
    ``authenticatedUser.id``) and keep it with the integration (R8); the id, or None when
    Azure DevOps names no id. Errors are the caller's: the save logs them, an event is
    retried (an event that may be an echo is never acted on unsure)."""
    boards = ctx.boards_for(integration_id, config)
    identity = boards.current_identity().id
    if identity:
        ctx.state.integrations.set_writer_identity(integration_id, identity)
        ctx.configs.forget(integration_id)  # the next read of the configuration carries it
        log.info("integration %s writes as identity %s", integration_id, identity)
    return identity or None


def learn_writer_identity_on_save(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> None:
    """The save's attempt: a failure only leaves the identity to the first event."""
    try:
        learn_writer_identity(ctx, integration_id, config)
    except Exception as exc:  # Azure DevOps unreachable or refusing: saved all the same
        log.info(
            "the writer identity of %s is left for the first event (%s)",
            integration_id,
            type(exc).__name__,
        )


def _needs_identity(change: BoardChange, link: Link | None) -> bool:
    """Only a revision the link cannot place as ours, made by someone named, needs it."""
    return (
        link is not None
        and change.rev > link.last_rev_written
        and change.revised_by_id is not None
        and not same_identity(change.revised_by_id, link.writer_id)
    )


def route_by_key(config: IntegrationConfig, key: str) -> Route | None:
    return next((r for r in config.routes if r.key == key), None)


def _seen(
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


def apply_board_change(
    ctx: SyncContext, config: IntegrationConfig, message: InboundMessage
) -> None:
    """The inbound use case; raises ``Retry`` or an adapter's transient error to retry."""
    iid, change = message.integration_id, message.change
    stored = ctx.state.links.get_by_work_item(iid, change.work_item_id)
    link = stored.link if stored else None
    identity = config.service_identity
    if identity is None and _needs_identity(change, link):
        identity = learn_writer_identity(ctx, iid, config)
    skipped = screen_inbound(change, link=link, service_identity=identity)
    details: _EventSubject = {"event_id": message.event_id, "work_item_id": change.work_item_id}
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
    on_board = for_route_board(change, layout)
    # R23: a reassignment is the assignee's own change, whatever the card's position did
    reassigned = plan_assignee(change, route=route, link=link)
    if isinstance(on_board, Skip):
        ctx.record(
            iid,
            on_board.level,
            on_board.message,
            reason=on_board.reason.value,
            vulnerability_id=link.vulnerability_id,
            route_key=route.key,
            **details,
        )
        assignee = _reassign(ctx, iid, config, reassigned, link, route, details)
        column = change.columns.get(layout.column_field)
        _remember_seen(ctx, iid, change, link, etag, column, assignee)
        return
    if not is_status_move(on_board.changed_fields):
        # a reassignment alone: one Conviso request, no status read (R23)
        assignee = _reassign(ctx, iid, config, reassigned, link, route, details)
        column = change.columns.get(layout.column_field)
        _remember_seen(ctx, iid, change, link, etag, column, assignee)
        return
    column_here = change.columns.get(layout.column_field)
    change = on_board
    conviso = ctx.conviso_for(iid, config)
    current = conviso.get_issue(link.vulnerability_id)
    decision = plan_inbound(
        change,
        route=route,
        layout=layout,
        link=link,
        current=current.status,
        permitted=current.permitted_status,
        today=datetime.now(UTC).date(),
    )
    applied = current
    if isinstance(decision, ChangeConvisoStatus):
        try:
            # R24: the mover's e-mail, and until when a risk acceptance lasts
            applied = conviso.change_issue_status(
                decision.vulnerability_id,
                decision.status,
                decision.reason,
                external_author=decision.external_author,
                risk_accepted_until=decision.risk_accepted_until,
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
    assignee = _reassign(ctx, iid, config, reassigned, link, route, details)
    _remember(ctx, iid, change, link, etag, applied, column_here, assignee)


def _reassign(
    ctx: SyncContext,
    iid: str,
    config: IntegrationConfig,
    decision: ChangeConvisoAssignee | Skip | None,
    link: Link,
    route: Route,
    details: _EventSubject,
) -> str | None:
    """R23: carry a person's reassignment to Conviso (``updateIssueAssignee``, one request)
    and return Conviso's assignee now (None: nothing to keep). A refusal — a person
    Conviso does not know, or this least certain of the 2026 additions answered with a
    GraphQL error — is a warning delivery naming them, never an error or a retry."""
    if decision is None:
        return None
    if isinstance(decision, Skip):
        ctx.record(
            iid, decision.level, decision.message, reason=decision.reason.value,
            vulnerability_id=link.vulnerability_id, route_key=route.key, **details,
        )  # fmt: skip
        return None
    conviso = ctx.conviso_for(iid, config)
    wanted = [decision.assignee] if decision.assignee else []
    try:
        now = conviso.update_issue_assignee(decision.vulnerability_id, wanted)
    except ConvisoQueryError as refused:
        warning = unknown_assignee_warning(
            decision.vulnerability_id, decision.work_item_id, decision.assignee, side="conviso"
        )
        ctx.record(
            iid, warning.level, f"{warning.message}: {refused}", reason=warning.reason.value,
            vulnerability_id=link.vulnerability_id, route_key=route.key, **details,
        )  # fmt: skip
        return None
    by = f" by {decision.by}" if decision.by else ""
    ctx.record(
        iid, Level.INFO,
        f"Conviso assignee → {decision.assignee or 'nobody'} (work item "
        f"#{decision.work_item_id} reassigned{by})",
        reason="assignee_changed", vulnerability_id=link.vulnerability_id,
        route_key=route.key, **details,
    )  # fmt: skip
    return now[0] if now else ""


def _remember_seen(
    ctx: SyncContext,
    iid: str,
    change: BoardChange,
    link: Link,
    etag: str,
    column: str | None,
    assignee: str | None = None,
) -> None:
    """A move on another board, or a reassignment alone: the revision is seen (a late
    event older than it is stale), the card's place on the route's board is unchanged;
    Conviso's assignee is kept when the reassignment reached it (R23)."""
    for _ in range(_SAVE_ATTEMPTS):
        try:
            ctx.state.links.save(iid, _seen(link, change, link.card, column, assignee), etag)
            return
        except StaleEntity:
            fresh = ctx.state.links.get_by_work_item(iid, change.work_item_id)
            if fresh is None or fresh.link.last_rev_seen >= change.rev:
                return
            link, etag = fresh.link, fresh.etag
    raise Retry(f"the link of work item #{change.work_item_id} kept changing")


def _remember(
    ctx: SyncContext,
    iid: str,
    change: BoardChange,
    link: Link,
    etag: str,
    applied: Vulnerability,
    column: str | None = None,
    assignee: str | None = None,
) -> None:
    """Keep the newest revision and card position; the applied status is Conviso's now.

    Conviso's ``updatedAt`` is kept with it (R9): an outbound snapshot older than the
    status this move set is stale. Otherwise a person's change in Conviso made just
    before the move, processed after it, would put the card back where the move took it
    from, and only the echo of the move's own status change would bring it back."""
    for _ in range(_SAVE_ATTEMPTS):
        when = max(applied.updated_at, link.applied_updated_at or applied.updated_at)
        updated = _seen(link, change, link.card, column, assignee).model_copy(
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
