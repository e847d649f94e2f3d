"""A backfill's report counts the requests Azure DevOps refused during the run, read
through ``SyncContext.rate_limits`` (issue 19: the service no longer imports the Boards
transport's counters; bootstrap hands them over)."""

from __future__ import annotations

from sync_core.service.backfill import Progress


def test_progress_counts_the_refusals_since_it_began() -> None:
    counters = {"refused": 7.0}
    progress = Progress("run", per_page=10, rate_limits=lambda: counters, clock=lambda: 0.0)
    counters["refused"] = 10.0
    assert progress.snapshot()["refused"] == 3


def test_without_counters_nothing_was_refused() -> None:
    assert Progress("run", per_page=10, clock=lambda: 0.0).snapshot()["refused"] == 0
