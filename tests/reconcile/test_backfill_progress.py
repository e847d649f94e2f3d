"""A backfill shows its progress — done of total, refused requests, time left — and one
that did not finish is resumed from its cursor, not from page 1 (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime

from sync_core import bootstrap
from sync_core.adapters.conviso import ConvisoClient
from sync_core.service.backfill import CURSOR, BackfillCursor, load_cursor, save_cursor
from sync_core.service.reconcile import reconcile
from tests.harness import COMPANY

from .conftest import Sync


def _listed_pages(sync: Sync) -> list[int]:
    return [
        int(r.variables["page"]) for r in sync.conviso.requests if r.operation_name == "ListIssues"
    ]


def test_progress_counts_to_conviso_total_and_the_report_says_it(sync: Sync) -> None:
    sync.configure()
    issues = [sync.seed() for _ in range(5)]
    report = reconcile(bootstrap.context(), sync.id, backfill=True, per_page=2, progress_every=2)
    progress = report["conviso_to_boards"]["progress"]
    assert progress["done"] == progress["total"] == len(issues)
    assert progress["refused"] == 0 and progress["seconds_left"] == 0
    assert progress["resumed_from"] is None
    notes = [d["message"] for d in sync.deliveries(text="vulnerabilities so far")]
    assert any(f"2 of {len(issues)} vulnerabilities so far (40 %)" in n for n in notes), notes
    assert all("requests refused by Azure DevOps" in n for n in notes)
    # the whole listing went through: the next backfill starts from the top
    assert load_cursor(bootstrap.context(), sync.id) is None
    state = bootstrap.context().state
    assert state.watermarks.last_run(sync.id, CURSOR)["finished"] is True


def test_a_backfill_that_did_not_finish_resumes_at_its_cursor(sync: Sync) -> None:
    sync.configure()
    issues = [sync.seed() for _ in range(6)]
    ctx = bootstrap.context()
    with ConvisoClient(api_key=sync.conviso.api_key, api_url=sync.conviso.url) as conviso:
        first_pages = [
            v.id
            for page in (1, 2)
            for v in conviso.list_issues_page(COMPANY, page=page, per_page=2).issues
        ]
        newest = conviso.list_issues_page(COMPANY, page=1, per_page=2).issues[0]
    # A run that died after its first two pages of two (as ``page_applied`` saves it).
    save_cursor(ctx, sync.id, BackfillCursor(
        done=4, newest=newest.updated_at, run_id="dead", total=6, saved_at=datetime.now(UTC),
    ))  # fmt: skip
    sync.conviso.clear_records()
    report = reconcile(ctx, sync.id, backfill=True, per_page=2)
    assert report["complete"]
    assert _listed_pages(sync) == [3]  # not page 1 again
    progress = report["conviso_to_boards"]["progress"]
    assert (progress["done"], progress["total"], progress["resumed_from"]) == (6, 6, 4)
    resumed = [i for i in issues if i not in first_pages]
    assert len(resumed) == 2 and all(len(sync.work_items_of(i)) == 1 for i in resumed)
    # the dead run's pages were its own: this run did not list or apply them again
    assert all(sync.work_items_of(i) == [] for i in first_pages)
    # the watermark covers the dead run's pages too (their newest change)
    assert ctx.state.watermarks.get(sync.id, "conviso").value == newest.updated_at
    # finished: a new backfill starts from the top, and makes the cards the dead run owed
    sync.conviso.clear_records()
    reconcile(ctx, sync.id, backfill=True, per_page=2)
    assert _listed_pages(sync)[0] == 1
    assert all(len(sync.work_items_of(i)) == 1 for i in issues)


def test_the_cursor_stops_at_the_first_page_with_work_left() -> None:
    from sync_core.service.backfill import Progress

    progress = Progress("run", per_page=2)
    now = datetime.now(UTC)
    assert progress.page_applied(now, ["done", "unchanged"]) is not None
    assert progress.page_applied(now, ["done", "deferred"]) is None
    assert progress.page_applied(now, ["done", "done"]) is None  # frozen: not passed over
    assert progress.done_in_order == 2 and progress.seen == 6
