"""Duplicate storm (R1, R9): many copies of every event, many workers, one card each.

Peers create duplicate tickets when concurrent events race check-then-create
(peers.md §3.1). Here each vulnerability's event arrives 25 times at once — the same
event re-delivered, and distinct events about the same snapshot — while six queue
workers on two hosts (Azure Functions scaled out) take the messages.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from localdev.devhost import DevHost
from sync_core import bootstrap

from .conftest import Sync, all_deliveries, count, report, wait_until

COPIES = 25
#: of the 25 copies, this many distinct event ids (the rest re-deliver one of them)
DISTINCT = 5


def test_a_storm_of_copies_on_scaled_out_workers_makes_exactly_one_card_each(
    sync: Sync, scale_out: DevHost
) -> None:
    vulnerabilities = count(6, 20)
    sync.configure()
    issues = [sync.seed() for _ in range(vulnerabilities)]
    snapshots = {i: sync.snapshot(i) for i in issues}
    posts = [(issue, f"storm-{issue}-{n % DISTINCT}") for issue in issues for n in range(COPIES)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(
            pool.map(lambda p: sync.post_event(snapshots[p[0]], event_id=p[1]).status_code, posts)
        )
    accepted = time.monotonic() - started
    statuses = Counter(answers)
    assert set(statuses) <= {200, 202}, statuses
    assert statuses[202] == vulnerabilities * DISTINCT, statuses  # one per distinct event id

    def settled() -> bool:
        done = Counter(
            d["vulnerability_id"]
            for d in all_deliveries(sync)
            if d.get("vulnerability_id") in snapshots
        )
        return all(done[i] >= DISTINCT for i in issues)

    wait_until(settled, timeout=60 if vulnerabilities > 6 else 20, interval=0.2)
    elapsed = time.monotonic() - started

    for issue in issues:
        assert len(sync.work_items_of(issue)) == 1, issue
        stored = bootstrap.context().state.links.get(sync.id, issue)
        assert stored is not None
        assert sync.work_items_of(issue)[0]["id"] == stored.link.work_item_id
    creates = [r for r in sync.boards.requests if r.method == "POST" and "/$Bug" in r.path]
    assert len(creates) == vulnerabilities
    deliveries = all_deliveries(sync)
    assert not [d for d in deliveries if d["level"] == "error"]
    reasons = Counter(d.get("reason") for d in deliveries)
    assert reasons["created"] == vulnerabilities
    report(
        "duplicate storm",
        vulnerabilities=vulnerabilities,
        posts=len(posts),
        accepted=statuses[202],
        duplicates_refused=statuses[200],
        work_items=len(creates),
        reasons=dict(reasons),
        accept_s=round(accepted, 2),
        total_s=round(elapsed, 2),
    )
