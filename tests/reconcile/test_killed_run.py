"""A reconcile killed in the middle (SIGKILL, no clean-up) resumes from its watermark, and
every vulnerability still ends up with exactly one card, created exactly once (R1, R13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sync_core import bootstrap
from sync_core.service.reconcile.job import LEASE

from .conftest import Sync, ran, reconcile, wait_until

RUN = """
import sys
from datetime import timedelta
from sync_core import bootstrap
from sync_core.service.reconcile.job import LEASE
from sync_core.service.reconcile import reconcile
reconcile(bootstrap.context(), sys.argv[1], backfill=True, workers=2, per_page=5,
          lease_ttl=timedelta(seconds=3))
"""
SIZE = 30


def _created(sync: Sync) -> list:
    """Creates Azure DevOps carried out (answered 200), across every run."""
    return [
        r
        for r in sync.boards.requests
        if r.method == "POST" and "/_apis/wit/workitems/$" in r.path and r.status == 200
    ]


def test_a_killed_run_resumes_from_its_watermark_without_duplicates(sync: Sync) -> None:
    sync.configure()
    issues = [sync.seed() for _ in range(SIZE)]
    newest = max(sync.conviso.store.get_issue(i).updated_at for i in issues)
    sync.boards.inject_latency(0.1, times=10 * SIZE, method="POST", path="/$Bug")
    # The app's settings are in this process's environment (the harness put them there).
    victim = subprocess.Popen([sys.executable, "-c", RUN, sync.id], env=dict(os.environ))
    try:
        wait_until(lambda: len(_created(sync)) >= SIZE // 3, timeout=30)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    sync.boards.clear_faults()
    sync.boards.wait_for_deliveries(2.0)
    killed_at = len(_created(sync))
    assert SIZE // 3 <= killed_at < SIZE, "the run must die in the middle"
    state = bootstrap.context().state
    assert state.watermarks.get(sync.id, "conviso").value is None  # never advanced
    # Its lease outlives it for its time-to-live: a new run is refused until then.
    assert reconcile(sync, backfill="true").status_code == 409
    wait_until(lambda: not state.leases.held(sync.id, LEASE), timeout=10)  # 3 s from its start
    report = ran(sync, backfill="true")
    assert report["complete"]
    for issue in issues:
        assert len(sync.work_items_of(issue)) == 1, issue
    assert len(_created(sync)) == SIZE  # no create repeated, none lost
    assert state.watermarks.get(sync.id, "conviso").value == newest
