"""Sync is state-based (R2, R9): an unlinked vulnerability's events in any order.

The event that says IDENTIFIED can be lost, or processed after a later one by another
worker. An unlinked vulnerability already in a later mapped status is therefore treated
as on backfill: its card is created directly in that status's target, and the older
IDENTIFIED snapshot, arriving afterwards, changes nothing. Statuses that never make a card
(``CREATED``, ``DRAFT``, ``SUPPRESSED``) still make none.
"""

from __future__ import annotations

from tests.harness import Sync, wait_until

COLUMN = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column"


def _reasons(sync: Sync, issue: str) -> list[str]:
    return [d["reason"] for d in reversed(sync.deliveries()) if d.get("vulnerability_id") == issue]


def test_a_later_status_seen_first_creates_the_card_in_its_target_and_the_older_event_is_stale(
    sync: Sync,
) -> None:
    sync.configure()
    issue = sync.seed()
    identified = sync.snapshot(issue)
    sync.conviso.store.change_status(issue, "IN_PROGRESS", reason="dev started", source="user")
    sync.conviso.store.change_status(issue, "AWAITING_VALIDATION", reason="fixed", source="user")
    assert sync.publish(issue).status_code == 202  # the newest snapshot arrives first
    wait_until(lambda: _reasons(sync, issue) == ["created"])
    [card] = sync.work_items_of(issue)
    assert (card["fields"]["System.State"], card["fields"][COLUMN]) == ("Resolved", "Testing")

    assert sync.post_event(identified).status_code == 202  # the IDENTIFIED event, late
    wait_until(lambda: _reasons(sync, issue) == ["created", "stale_snapshot"])
    [again] = sync.work_items_of(issue)
    assert again["id"] == card["id"] and again["rev"] == card["rev"]
    creates = [r for r in sync.boards.requests if r.method == "POST" and "/$Bug" in r.path]
    assert len(creates) == 1


def test_a_suppressed_vulnerability_seen_first_still_makes_no_card(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed(status="SUPPRESSED")
    sync.publish(issue)
    wait_until(lambda: _reasons(sync, issue) == ["not_identified"])
    assert sync.work_items_of(issue) == []
