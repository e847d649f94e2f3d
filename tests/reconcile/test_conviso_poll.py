"""R18 through the deployed app: a change in Conviso reaches its card with no event sent, by
the poll timer; a poll that finds nothing new costs one Conviso request and no Azure DevOps
request, writes no delivery; the poll never overlaps a reconcile."""

from __future__ import annotations

from sync_core import bootstrap
from sync_core.service.poll import poll
from sync_core.service.reconcile import LEASE
from tests.harness import forget_other_integrations

from .conftest import Sync, ran, wait_until


def _card(sync: Sync, issue: str) -> dict:
    items = sync.work_items_of(issue)
    assert len(items) == 1, items
    return items[0]


def _quiet(sync: Sync) -> bool:
    """No earlier test's work still in flight: the emulators reuse ids (vulnerability 1001,
    work item #1), so a straggler would act on this test's card."""
    from tests.harness import settled

    return settled(sync.boards)


def test_the_poll_timer_carries_a_conviso_change_nobody_sent(sync: Sync) -> None:
    wait_until(lambda: _quiet(sync), timeout=60)
    sync.configure()
    issue = sync.seed()
    ran(sync)  # the first card, and the watermark
    # nothing of the reconcile's still in flight: only the poll may carry the change
    wait_until(lambda: _quiet(sync), timeout=60)
    forget_other_integrations(sync)  # the timer polls every integration there is
    sync.conviso.store.change_status(issue, "IN_PROGRESS", reason="dev", source="user")
    sync.host.run_timer("conviso_poll_timer")  # no event is sent: Conviso has no webhooks
    wait_until(lambda: _card(sync, issue)["fields"]["System.State"] == "Active", timeout=30)
    last = sync.api.get(f"/integrations/{sync.id}").json()["last_poll"]
    assert last["seen"] >= 1 and last["applied"] >= 1 and last["at"]
    health = sync.api.get("/health").json()
    assert health["conviso_poll"][sync.id]["ok"] is True


def test_a_quiet_poll_costs_one_conviso_request_and_nothing_else(sync: Sync) -> None:
    sync.configure()
    for _ in range(3):
        sync.seed()
    ran(sync)
    poll(bootstrap.context(), sync.id)  # anything the reconcile left at its watermark
    sync.boards.clear_requests()
    sync.conviso.clear_records()
    deliveries_before = len(sync.deliveries())
    for _ in range(3):
        report = poll(bootstrap.context(), sync.id)
        assert report["applied"] == 0 and report["failed"] == 0
    assert sync.boards.requests == []
    assert len(sync.conviso.requests) == 3  # one page per poll, newest first, at the watermark
    assert len(sync.deliveries()) == deliveries_before


def test_a_poll_skips_while_a_reconcile_holds_the_integration(sync: Sync) -> None:
    from datetime import timedelta

    from sync_core.service.reconcile import ReconcileBusy

    sync.configure()
    sync.seed()
    leases = bootstrap.context().state.leases
    assert leases.acquire(sync.id, LEASE, "someone-else", timedelta(minutes=1))
    try:
        try:
            poll(bootstrap.context(), sync.id)
        except ReconcileBusy:
            pass
        else:
            raise AssertionError("a poll ran while a reconcile held the lease")
    finally:
        leases.release(sync.id, LEASE, "someone-else")
    assert poll(bootstrap.context(), sync.id)["failed"] == 0
