"""A person's move whose hook event is still on its way is not undone (R7, R9).

Under load the ping-pong scenario caught this: a worker retrying a snapshot (its earlier
write refused or in doubt) re-reads the card, finds a person's fresh move there, and — with
Conviso not yet told of the move — wrote the applied status back over it. The person saw
the card jump back; when the move's event was processed, the card was written again.
"""

from __future__ import annotations

import uuid

from sync_core import bootstrap
from sync_core.service.messages import OutboundMessage
from sync_core.service.worker import run_outbound
from tests.harness import Sync, wait_until


def _retry_of(sync: Sync, issue: str) -> None:
    """The queue's second delivery of a message carrying Conviso's current snapshot, run
    through the same service function as the trigger (dequeue count 2: ``retried``)."""
    snapshot = sync.snapshot(issue)
    message = OutboundMessage(
        integration_id=sync.id, event_id=f"retry-{uuid.uuid4().hex}", issue_id=issue,
        snapshot=snapshot,
    )  # fmt: skip
    run_outbound(
        bootstrap.context(), message.model_dump_json(), message_id="m-1", dequeue_count=2
    )


def test_a_retried_snapshot_leaves_a_person_s_fresh_move_for_the_move_to_deliver(
    sync: Sync,
) -> None:
    sync.configure()  # no service hooks: the move's event has not arrived yet
    issue = sync.seed()
    sync.publish(issue)
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))
    [card] = sync.work_items_of(issue)
    moved = sync.boards.move_card(card["id"], state="Active", by="Jamal Hartnett")
    sync.boards.clear_requests()

    _retry_of(sync, issue)

    assert [r for r in sync.boards.requests if r.method == "PATCH"] == []  # not undone
    assert sync.work_items_of(issue)[0]["rev"] == moved["rev"]
    [skip] = [d for d in sync.deliveries() if d.get("reason") == "moved_by_person"]
    assert skip["work_item_id"] == card["id"] and skip["level"] == "info"

    # The person's next move does arrive (hooks on now): Conviso follows it, the card stays.
    sync.subscribe_hooks()
    sync.boards.move_card(card["id"], column="Testing", by="Jamal Hartnett")
    wait_until(lambda: sync.conviso.store.get_issue(issue).status == "AWAITING_VALIDATION")
    assert [r for r in sync.boards.requests if r.method == "PATCH"] == []


def test_a_revision_of_the_app_s_own_that_the_link_missed_is_still_converged(
    sync: Sync,
) -> None:
    sync.configure()
    issue = sync.seed()
    sync.publish(issue)
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))
    [card] = sync.work_items_of(issue)
    # a write of the app's own that landed after its answer was lost
    sync.boards.move_card(card["id"], state="Active", by="Conviso Sync")
    _retry_of(sync, issue)
    assert sync.work_items_of(issue)[0]["fields"]["System.State"] == "New"  # back on Conviso's
