"""Runs that outlive an HTTP answer: ``Prefer: respond-async`` queues the run (202) and a
queue trigger carries it out, reporting in the deliveries like a synchronous run."""

from __future__ import annotations

import json
from datetime import timedelta

from sync_core import bootstrap
from sync_core.adapters.state.queues import RECONCILE_QUEUE
from sync_core.service import reconcile_runs
from sync_core.service.reconcile_runs import run_requested

from .conftest import Sync, wait_until

ASYNC = {"Prefer": "respond-async"}


def _post(sync: Sync, integration: str | None = None, **params: str):
    return sync.api.post(
        f"/integrations/{integration or sync.id}/reconcile", params=params, headers=ASYNC
    )


def _messages_on(queue: str) -> int:
    """Visible and hidden messages alike (a delayed re-send is hidden)."""
    service = bootstrap.context().state.queues._service  # the test reads the real queue
    return service.get_queue_client(queue).get_queue_properties().approximate_message_count


def test_the_queue_name_is_spelled_the_same_in_the_trigger_and_the_state() -> None:
    from blueprints import operations

    assert operations.RECONCILE_QUEUE == RECONCILE_QUEUE


def test_a_backfill_asked_to_respond_async_is_queued_and_carried_out(sync: Sync) -> None:
    sync.configure()
    later = sync.seed(status="IN_PROGRESS")
    fresh = [sync.seed() for _ in range(4)]
    answer = _post(sync, backfill="true")
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["queued"] and body["mode"] == "backfill"
    assert body["progress"] == f"/api/integrations/{sync.id}/deliveries?text=reconcile"
    wait_until(lambda: all(len(sync.work_items_of(i)) == 1 for i in [later, *fresh]), timeout=30)
    # Created in the initial state, then moved by one update (R5): wait for the move too.
    wait_until(
        lambda: sync.work_items_of(later)[0]["fields"]["System.State"] == "Active", timeout=30
    )
    card = sync.work_items_of(later)[0]
    assert card["fields"]["System.State"] == "Active"  # R2: a backfill creates it there
    texts = [d["message"] for d in sync.deliveries(text="backfill")]
    assert "backfill queued" in texts
    wait_until(
        lambda: any(
            "vulnerabilities and" in t
            for t in (d["message"] for d in sync.deliveries(text="backfill"))
        )
    )


def test_a_queued_run_is_refused_while_one_is_running_and_unknown_ids_are_404(sync: Sync) -> None:
    sync.configure()
    leases = bootstrap.context().state.leases
    assert leases.acquire(sync.id, "reconcile", "another-run", timedelta(minutes=1))
    try:
        refused = _post(sync, backfill="true")
        assert refused.status_code == 409
        assert "already running" in refused.json()["error"]["message"]
    finally:
        leases.release(sync.id, "reconcile", "another-run")
    assert _post(sync, "no-such-integration").status_code == 404


def test_a_dry_run_always_answers_in_the_request(sync: Sync) -> None:
    sync.configure()
    sync.seed()
    answer = _post(sync, backfill="true", dry_run="true")
    assert answer.status_code == 200
    assert answer.json()["conviso_to_boards"]["would_create"] == 1


def test_a_run_that_finds_one_running_waits_and_in_the_end_gives_up_loudly(sync: Sync) -> None:
    sync.configure()
    ctx = bootstrap.context()
    assert ctx.state.leases.acquire(sync.id, "reconcile", "another-run", timedelta(minutes=1))
    try:
        before = _messages_on(RECONCILE_QUEUE)
        request = {
            "integration_id": sync.id,
            "backfill": True,
            "requested_at": "2026-11-28T00:00:00Z",
        }
        assert run_requested(ctx, json.dumps(request)) is None
        assert _messages_on(RECONCILE_QUEUE) == before + 1  # sent again, a minute later
        assert sync.deliveries(level="error") == []
        exhausted = {**request, "busy_waits": reconcile_runs.MAX_BUSY_WAITS}
        assert run_requested(ctx, json.dumps(exhausted)) is None
        assert _messages_on(RECONCILE_QUEUE) == before + 1  # not again
        errors = sync.deliveries(level="error")
        assert [e["message"] for e in errors] == [
            "queued backfill given up: another run held the integration for 30 minutes; ask again"
        ]
    finally:
        ctx.state.leases.release(sync.id, "reconcile", "another-run")


def test_a_message_that_is_not_a_request_is_dropped_not_retried(sync: Sync) -> None:
    ctx = bootstrap.context()
    assert run_requested(ctx, "not json") is None
    assert run_requested(ctx, json.dumps({"integration_id": sync.id})) is None  # no time
