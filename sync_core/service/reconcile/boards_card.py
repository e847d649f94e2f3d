"""One changed tagged card of the Boards pass: what its tag and its revision reveal.

Outcomes: "duplicate", "late_write", "own", "not_linked", "unchanged", "done" (a move
sent to Conviso), "would_reapply" (dry), "failed" or "deferred".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ...ports import Boards, StoredLink, WorkItem
from ...rules import (
    BoardChange,
    BoardLayout,
    Level,
    WorkItemView,
    identity_id,
    parse_tags,
    route_by_key,
    work_item_view,
)
from ...rules.vocabulary import CHANGED_BY_FIELD, STATE_FIELD, TAGS_FIELD, tagged_vulnerability
from ..inbound import apply_board_change
from ..messages import InboundMessage
from .conviso_apply import apply_change
from .job import PERMANENT, TRANSIENT, Run, Tallying

__all__ = ["look_at_card"]

log = logging.getLogger(__name__)


def look_at_card(
    run: Run, ctx: Tallying, boards: Boards, item: WorkItem, project: str, me: str | None,
    links: Mapping[str, StoredLink],
) -> str:  # fmt: skip
    """What the card's tag reveals first; else the move of a person's, sent to Conviso.
    ``links``: the links of the vulnerabilities the pass's cards are tagged with."""
    tagged = _tagged_link(item, links)
    return _by_tag(run, ctx, item, project, me, tagged) or _reapply(
        run, ctx, boards, item, me, tagged
    )


def _tagged_link(item: WorkItem, links: Mapping[str, StoredLink]) -> StoredLink | None:
    """The link of the vulnerability a card's ``conviso-vuln-<id>`` tag names."""
    vulnerability_id = tagged_vulnerability(parse_tags(item.fields.get(TAGS_FIELD)))
    return None if vulnerability_id is None else links.get(vulnerability_id)


def _by_tag(
    run: Run, ctx: Tallying, item: WorkItem, project: str, me: str | None,
    stored: StoredLink | None,
) -> str | None:  # fmt: skip
    """What a card's tag (``stored``: the link it names) reveals that its revisions do not;
    None when nothing, and the card goes on to :func:`_reapply`.

    Both begin as writes of our own identity, whose hook events are ignored (R8), so nothing
    else would ever show them: a second card of a linked vulnerability (a create whose
    answer was lost, landing after the retry's tag search found nothing, R1), and a revision
    of ours the link does not know (an update that landed after the worker gave up on it
    and found the card in sync)."""
    if stored is None:
        return None  # no tag, or not linked (yet: a claim is a create in flight)
    vulnerability_id = stored.link.vulnerability_id
    if stored.link.work_item_id != item.id:
        route = route_by_key(run.config, stored.link.route_key)
        kind = str(item.fields.get("System.WorkItemType", ""))
        if (
            route is None
            or route.project.casefold() != project.casefold()
            or route.work_item_type.casefold() != kind.casefold()
        ):
            return None  # a card of another board or integration sharing the tag
        return _report_duplicate(run, ctx, item, vulnerability_id, stored.link.work_item_id)
    if me is not None and _changed_by_id(item) == me and item.rev > stored.link.last_rev_written:
        return _converge_late_write(run, ctx, vulnerability_id)
    return None


def _changed_by_id(item: WorkItem) -> str | None:
    return identity_id(item.fields.get(CHANGED_BY_FIELD))


def _converge_late_write(run: Run, ctx: Tallying, vulnerability_id: str) -> str:
    """Put the card back on Conviso's current state, reading the card first (``retried``):
    the revision the link knows is not the card's."""
    if run.dry_run:
        return "late_write"
    try:
        conviso = run.ctx.conviso_for(run.integration_id, run.config)
        vulnerability = conviso.get_issue(vulnerability_id)
    except TRANSIENT as exc:  # left as it is; the watermark still moves on
        log.info("vulnerability %s could not be read (%s)", vulnerability_id, type(exc).__name__)
        return "late_write"
    outcome = apply_change(run, ctx, vulnerability, retried=True)
    return "late_write" if outcome == "done" else outcome


def _report_duplicate(
    run: Run, ctx: Tallying, item: WorkItem, vulnerability_id: str, linked: int
) -> str:
    # Each pass looks again at the items of its watermark's second: report once a week.
    if not run.dry_run and run.ctx.state.events.first_time(
        run.integration_id, "duplicate-card", str(item.id)
    ):
        ctx.record(
            run.integration_id,
            Level.WARN,
            f"work item #{item.id} is a second card of vulnerability {vulnerability_id}, "
            f"which is linked to #{linked}: it is not kept in sync; remove it in Azure Boards",
            reason="duplicate",
            vulnerability_id=vulnerability_id,
            work_item_id=item.id,
            event_id=run.event_id,
        )
    return "duplicate"


def _reapply(
    run: Run, ctx: Tallying, boards: Boards, item: WorkItem, me: str | None,
    tagged: StoredLink | None,
) -> str:  # fmt: skip
    """A move of a person's the hook did not deliver, sent through the inbound path."""
    if me is not None and _changed_by_id(item) == me:
        return "own"  # our own write (R8): nothing to bring back, nothing to record
    stored = (  # the link its tag named, when that is this card's; else by its id
        tagged
        if tagged is not None and tagged.link.work_item_id == item.id
        else run.ctx.state.links.get_by_work_item(run.integration_id, item.id)
    )
    route = route_by_key(run.config, stored.link.route_key) if stored else None
    if stored is None or route is None:
        return "not_linked"  # a tagged item of another integration, or of an old route
    try:
        layout = run.ctx.layouts.get(run.integration_id, route, boards)
    except PERMANENT as exc:  # one route's broken board must not stop the others
        log.info("the layout of route %s cannot be read (%s)", route.key, type(exc).__name__)
        return "failed"
    view = work_item_view(item, layout)
    moved = _moved_fields(item, stored, layout, view)
    if not moved:
        return "unchanged"
    if run.dry_run:
        return "would_reapply"
    changed_by = item.fields.get(CHANGED_BY_FIELD)
    name = changed_by.get("displayName") if isinstance(changed_by, dict) else changed_by
    change = BoardChange(
        event_id=run.event_id, work_item_id=item.id, rev=item.rev,
        changed_fields=frozenset(moved), state=view.state or None, column=view.column,
        revised_by_id=_changed_by_id(item), revised_by_name=str(name) if name else None,
    )  # fmt: skip
    return _send(run, ctx, item, change)


def _moved_fields(
    item: WorkItem, stored: StoredLink, layout: BoardLayout, view: WorkItemView
) -> set[str]:
    """The fields the card moved in since the link last saw it; empty when none (or when
    the link has seen this revision already)."""
    seen = stored.link.card
    moved: set[str] = set()
    if seen is None or view.state != seen.state:
        moved.add(STATE_FIELD)
    if seen is None or view.column != seen.column:
        moved.add(layout.column_field)
    if item.rev <= stored.link.last_rev_seen:
        return set()
    return moved


def _send(run: Run, ctx: Tallying, item: WorkItem, change: BoardChange) -> str:
    """The move through ``inbound.apply_board_change``; "done", "failed" or "deferred"."""
    message = InboundMessage(
        integration_id=run.integration_id, event_id=run.event_id, change=change
    )
    try:
        apply_board_change(ctx, run.config, message)
        return "done"
    except PERMANENT as exc:
        ctx.record(
            run.integration_id, Level.ERROR, f"{exc.__class__.__name__}: {exc}",
            reason="configuration", event_id=run.event_id, work_item_id=item.id,
        )  # fmt: skip
        return "failed"
    except TRANSIENT as exc:  # the watermark stays, the next run tries again
        log.info("reconcile left work item %s for later (%s)", item.id, type(exc).__name__)
        return "deferred"
