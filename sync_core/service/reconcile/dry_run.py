"""A dry run of the Conviso pass: what the rules would decide, from storage and reads only."""

from __future__ import annotations

from collections import Counter

from ...ports import Boards, WorkItemNotFound
from ...rules import (
    BoardLayout,
    CreateWorkItem,
    Link,
    UpdateWorkItem,
    Vulnerability,
    WorkItemView,
    plan_outbound,
    route_by_key,
    route_for,
    work_item_view,
)
from ...rules.decisions import OutboundDecision
from ..refusals import azure_devops_answers
from .job import Run, Tallying
from .report import ConvisoPassReport

__all__ = ["dry_summary", "plan_change"]


def plan_change(run: Run, ctx: Tallying, vulnerability: Vulnerability) -> str:
    """ "would_create", "would_update" or "skip:<reason>" for one vulnerability."""
    decision = _decide(run, vulnerability)
    if isinstance(decision, CreateWorkItem):
        return "would_create"
    if isinstance(decision, UpdateWorkItem):
        return "would_update"
    return f"skip:{decision.reason.value}"


def _decide(run: Run, vulnerability: Vulnerability) -> OutboundDecision:
    stored = run.ctx.state.links.get(run.integration_id, vulnerability.id)
    link = stored.link if stored else None
    route = route_for(run.config, vulnerability.asset)
    if link is not None:  # a linked card stays on its link's route (R3)
        route = route_by_key(run.config, link.route_key)
    if route is None:
        return plan_outbound(
            vulnerability, config=run.config, route=None, layout=None, link=link, card=None
        )
    with azure_devops_answers():
        boards = run.ctx.boards_for(run.integration_id, run.config)
        layout = run.ctx.layouts.get(run.integration_id, route, boards)
        card = link.card if link else None
        if link is not None and card is None:
            card = _read_card(boards, link, route.project, layout)
    # As outbound plans it: an unlinked vulnerability past IDENTIFIED is planned as on
    # backfill (R2, R9), so the dry run reports the card the real run would create.
    return plan_outbound(
        vulnerability, config=run.config, route=route, layout=layout, link=link,
        card=card, backfill=run.backfill or link is None,
    )  # fmt: skip


def _read_card(
    boards: Boards, link: Link, project: str, layout: BoardLayout
) -> WorkItemView | None:
    try:
        return work_item_view(boards.get_work_item(link.work_item_id, project=project), layout)
    except WorkItemNotFound:
        return None


def dry_summary(seen: int, since: str | None, outcomes: Counter[str]) -> ConvisoPassReport:
    """The dry pass's report: what would be created, updated, and skipped (by reason)."""
    skipped = {k.removeprefix("skip:"): n for k, n in outcomes.items() if k.startswith("skip:")}
    return {
        "seen": seen,
        "since": since,
        "would_create": outcomes.get("would_create", 0),
        "would_update": outcomes.get("would_update", 0),
        "skipped": skipped,
    }
