"""Conviso → Boards (R13): issues newest change first, down to the ``conviso`` watermark.

Each through ``outbound.apply_vulnerability`` (``conviso_apply.py``); the rules write only
what differs, and a snapshot already applied costs no Azure DevOps request (the link keeps
the card last seen). Because the listing is newest first, the watermark advances to the
newest ``updated_at`` seen only once the whole pass down to the old watermark succeeded; a
run killed midway leaves it where it was and the next run starts over from it, finding what
the dead run applied already applied (no second card: the claim protocol). A backfill lists
from the beginning, resuming from the cursor of one that did not finish (``backfill.py``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from ...rules import Level, Vulnerability, route_for
from ..backfill import Progress, clear_cursor, load_cursor, save_cursor
from ..refusals import conviso_answers
from .conviso_apply import apply_change
from .dry_run import dry_summary, plan_change
from .job import CONVISO_MARK, TRANSIENT, Run, Tallying
from .report import ConvisoPassReport, iso
from .watermarks import advance

__all__ = ["conviso_pass"]

log = logging.getLogger(__name__)


@dataclass
class _Walk:
    """What the pass has seen so far."""

    ctx: Tallying
    progress: Progress
    newest: datetime | None
    outcomes: Counter[str] = field(default_factory=Counter)
    seen: int = 0


def conviso_pass(run: Run) -> ConvisoPassReport:
    """List, apply (or, dry, plan) page by page, then move the watermark if nothing is left."""
    mark = run.ctx.state.watermarks.get(run.integration_id, CONVISO_MARK)
    since = None if run.backfill else mark.value
    progress = _begin_progress(run)
    # the pages of a dead backfill count towards the watermark
    resumed = progress.resumed.newest if progress.resumed is not None else None
    walk = _Walk(Tallying.around(run.ctx), progress, resumed)
    with conviso_answers():
        _list_and_apply(run, walk, since)
    if run.dry_run:
        return dry_summary(walk.seen, iso(since), walk.outcomes)
    return _report(run, walk, since)


def _list_and_apply(run: Run, walk: _Walk, since: datetime | None) -> None:
    apply = plan_change if run.dry_run else apply_change

    def step(vulnerability: Vulnerability) -> str:
        return apply(run, walk.ctx, vulnerability)

    listing = run.ctx.conviso_for(run.integration_id, run.config).iter_issues(
        run.config.conviso.company_id, since=since, per_page=run.per_page,
        **_paging(run, walk.progress),
    )  # fmt: skip
    with ThreadPoolExecutor(run.workers, thread_name_prefix="reconcile") as pool:
        for page in _pages(listing, run.per_page):
            run.renew()
            if not run.poll:
                _warm_layouts(run, page)
            _page_done(run, walk, page, list(pool.map(step, page)))
            if run.aborted:
                break
    _listed_all(run, walk.progress)


def _pages(items: Iterator[Vulnerability], size: int) -> Iterator[list[Vulnerability]]:
    while page := list(islice(items, size)):
        yield page


def _page_done(run: Run, walk: _Walk, page: list[Vulnerability], outcomes: list[str]) -> None:
    """Count the page, keep a backfill's cursor, and say the progress every so often."""
    walk.outcomes.update(outcomes)
    page_newest = max(v.updated_at for v in page)
    walk.newest = page_newest if walk.newest is None else max(walk.newest, page_newest)
    cursor = walk.progress.page_applied(page_newest, outcomes)
    if cursor is not None and run.backfill and not run.dry_run:
        save_cursor(run.ctx, run.integration_id, cursor)
    before, walk.seen = walk.seen, walk.seen + len(page)
    if not run.dry_run and walk.seen // run.progress_every > before // run.progress_every:
        # done of total (Conviso's ``totalCount``), requests Azure DevOps refused, time left
        run.note(Level.INFO, walk.progress.text(run.event_id, walk.ctx.counts()), "progress")


def _report(run: Run, walk: _Walk, since: datetime | None) -> ConvisoPassReport:
    outcomes = walk.outcomes
    deferred = outcomes.pop("deferred", 0)
    held = outcomes.pop("held", 0)
    # R14: the watermark never passes a vulnerability whose apply failed; the next pass
    # lists it again (``since`` is inclusive), so it is applied once its route works.
    stop = min(run.failed_at) if run.failed_at else walk.newest
    return {
        "seen": walk.seen,
        "since": iso(since),
        "progress": walk.progress.snapshot(),
        "outcomes": walk.ctx.counts(),
        "failed": outcomes.get("failed", 0),
        "deferred": deferred,
        "held_for_paused_routes": held,
        "watermark": advance(run, CONVISO_MARK, stop, deferred or run.aborted),
    }


def _warm_layouts(run: Run, page: list[Vulnerability]) -> None:
    """Read the page's board layouts once, before the workers all miss the cache at once."""
    routes = {route.key: route for v in page if (route := route_for(run.config, v.asset))}
    for route in routes.values():
        try:
            boards = run.ctx.boards_for(run.integration_id, run.config)
            run.ctx.layouts.get(run.integration_id, route, boards)
        except TRANSIENT:  # each vulnerability meets (and records) the failure itself
            log.info("the layout of route %s could not be read ahead", route.key)


def _begin_progress(run: Run) -> Progress:
    """A backfill resumes from the cursor of one that did not finish (``backfill.py``)."""
    resumable = run.backfill and not run.dry_run and not run.poll
    cursor = load_cursor(run.ctx, run.integration_id) if resumable else None
    return Progress(run.run_id, run.per_page, resumed=cursor, rate_limits=run.ctx.rate_limits)


def _paging(run: Run, progress: Progress) -> dict[str, Any]:
    """A backfill starts at its cursor's page and counts to ``totalCount``; an incremental
    pass lists as it always did."""
    if not run.backfill:
        return {}
    return {"start_page": progress.start_page, "on_page": progress.page_fetched}


def _listed_all(run: Run, progress: Progress) -> None:
    """The backfill went to the end of the listing: the next one starts from the top."""
    if run.backfill and not run.dry_run and not run.aborted:
        clear_cursor(run.ctx, run.integration_id, run.run_id)
