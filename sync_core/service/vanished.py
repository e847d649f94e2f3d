"""R25: the reconcile pass notices linked vulnerabilities Conviso no longer returns.

The incremental pass (R13) sees only what changed; a deleted issue never shows up there
again. So each full reconcile also asks Conviso about a bounded slice of the links
(``DEFAULT_LIMIT``, one ``CheckIssues`` request), rotating through them run after run
(the cursor is kept with the watermarks), so every link is looked at within
``links / DEFAULT_LIMIT`` runs and a pass never costs more than one Conviso request for it.

For each one gone, the card gets one history note and moves to the route's
``status_map.VANISHED`` target where there is one, in one guarded PATCH (``rules.vanished``);
the link is kept, marked ``vanished_at``: nothing is deleted on either side, the card is
never recreated, and a move of it is not sent to Conviso. A warn delivery says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..ports import (
    AzureDevOpsError,
    Boards,
    ConvisoError,
    RevisionConflict,
    StaleEntity,
    StoredLink,
    WorkItemNotFound,
)
from ..rules import (
    IntegrationConfig,
    Level,
    Link,
    Route,
    WorkItemView,
    route_by_key,
    work_item_view,
)
from ..rules.vanished import plan_vanished
from .context import SyncContext

__all__ = ["DEFAULT_LIMIT", "check_vanished"]

log = logging.getLogger(__name__)

#: Links looked at per reconcile run: one Conviso request (``CHECK_ISSUES_BATCH``).
DEFAULT_LIMIT = 25
#: Where the rotation stands, kept beside the watermarks.
CURSOR = "vanished-cursor"
_ATTEMPTS = 3


def check_vanished(
    ctx: SyncContext,
    integration_id: str,
    config: IntegrationConfig,
    *,
    limit: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Look at the next ``limit`` links (``DEFAULT_LIMIT``); note and move the cards of
    those gone (R25)."""
    if dry_run:
        return {"skipped": "dry run"}
    limit = max(1, limit or DEFAULT_LIMIT)
    state = ctx.state
    cursor = (state.watermarks.last_run(integration_id, CURSOR) or {}).get("after")
    page = state.links.page_after(
        integration_id, cursor if isinstance(cursor, str) else None, limit
    )
    live = [stored for stored in page if stored.link.vanished_at is None]
    missing: set[str] = set()
    if live:
        conviso = ctx.conviso_for(integration_id, config)
        try:
            missing = conviso.missing_issues([s.link.vulnerability_id for s in live])
        except ConvisoError as exc:
            # never taken for a deletion: the next run asks again about the same slice
            log.warning("vanished check of %s skipped: %s", integration_id, type(exc).__name__)
            return {"checked": 0, "vanished": 0, "skipped": str(exc)[:300]}
    after = page[-1].link.vulnerability_id if len(page) >= limit else None
    state.watermarks.record_run(integration_id, CURSOR, {"after": after})
    noted = 0
    for stored in live:
        if stored.link.vulnerability_id in missing and _vanish(ctx, integration_id, config, stored):
            noted += 1
    return {"checked": len(live), "vanished": noted}


@dataclass(frozen=True)
class _Mark:
    """The link marked vanished, and how the delivery ends its sentence about the card."""

    link: Link
    message: str


def _vanish(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig, stored: StoredLink
) -> bool:
    """One card: the note (and the move) once, then the link marked. True when marked."""
    link, etag = stored
    route = route_by_key(config, link.route_key)
    boards = ctx.boards_for(integration_id, config)
    for _attempt in range(_ATTEMPTS):
        if route is None or (link.project is not None and link.project != route.project):
            # the card's route is gone: its board is unknown, so only the link is marked
            mark: _Mark | None = _Mark(
                link.model_copy(update={"vanished_at": datetime.now(UTC)}),
                f"; {_where(link)} is on no configured route and was left as it is",
            )
        else:
            try:
                mark = _note_card(ctx, integration_id, boards, route, link)
            except RevisionConflict:
                link = link.model_copy(update={"card": None})  # read it and plan again
                continue
        if mark is None or not _save_mark(ctx, integration_id, link, mark.link, etag):
            return False
        _record(ctx, integration_id, link, Level.WARN,
                f"Conviso no longer returns vulnerability #{link.vulnerability_id} (deleted, "
                f"or its branch removed){mark.message}; nothing was deleted")  # fmt: skip
        return True
    return False


def _where(link: Link) -> str:
    return f"work item #{link.work_item_id}"


def _note_card(
    ctx: SyncContext, integration_id: str, boards: Boards, route: Route, link: Link
) -> _Mark | None:
    """The note (and the move) on the card, in one guarded PATCH; None when there is
    nothing to write or Azure DevOps refused it (said; the next rotation tries again).
    Raises ``RevisionConflict``: the card changed, read it and plan again."""
    try:
        layout = ctx.layouts.get(integration_id, route, boards)
        card = link.card or work_item_view(
            boards.get_work_item(link.work_item_id, project=route.project), layout
        )
        decision = plan_vanished(route, layout, link, card)
        if decision is None:
            return None
        item = boards.update_work_item(
            card.id, expected_rev=decision.expected_rev, fields=decision.fields,
            project=route.project,
        )  # fmt: skip
    except RevisionConflict:
        raise
    except WorkItemNotFound:
        return _Mark(
            link.model_copy(update={"vanished_at": datetime.now(UTC)}),
            f"; {_where(link)} was deleted in Azure Boards too",
        )
    except AzureDevOpsError as exc:
        _record(ctx, integration_id, link, Level.WARN,
                f"Conviso no longer returns vulnerability #{link.vulnerability_id}, "
                f"but {_where(link)} could not be noted: {str(exc)[:300]}; the next "
                "rotation tries again")  # fmt: skip
        return None
    return _noted(link, route, work_item_view(item, layout))


def _noted(link: Link, route: Route, written: WorkItemView) -> _Mark:
    """The link marked, knowing the card as our note (and move) left it."""
    marked = link.model_copy(
        update={
            "vanished_at": datetime.now(UTC),
            "last_rev_written": max(link.last_rev_written, written.rev),
            "card": written,
            "writer_id": written.changed_by_id or link.writer_id,
        }
    )
    target = route.vanished_target
    moved = f", moved to {target.column or target.state}" if target else ""
    return _Mark(marked, f": noted on {_where(link)}{moved}")


def _save_mark(ctx: SyncContext, integration_id: str, link: Link, marked: Link, etag: str) -> bool:
    """The marked link saved; False when it kept changing (marked next rotation)."""
    try:
        ctx.state.links.save(integration_id, marked, etag)
        return True
    except StaleEntity:
        pass
    # saved meanwhile by a worker: keep its link, only add the mark (the note is
    # written; the card the worker saw may be older than ours, which test /rev
    # catches on its next write)
    again = ctx.state.links.get(integration_id, link.vulnerability_id)
    if again is None:
        return False
    fresh = again.link.model_copy(
        update={
            "vanished_at": marked.vanished_at,
            "last_rev_written": max(again.link.last_rev_written, marked.last_rev_written),
        }
    )
    try:
        ctx.state.links.save(integration_id, fresh, again.etag)
    except StaleEntity:
        log.info("link of %s kept changing; marked next rotation", link.vulnerability_id)
        return False
    return True


def _record(ctx: SyncContext, integration_id: str, link: Link, level: Level, message: str) -> None:
    ctx.record(
        integration_id, level, message, vulnerability_id=link.vulnerability_id,
        work_item_id=link.work_item_id, reason="vanished", route_key=link.route_key,
    )  # fmt: skip
