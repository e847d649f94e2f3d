"""R25 through the deployed app: a linked vulnerability Conviso no longer returns is
noticed by the reconcile pass; its card gets one note and moves to the route's VANISHED
target; nothing is deleted on either side; the check is bounded and rotates."""

from __future__ import annotations

from typing import Any

import pytest

from sync_core.service import vanished

from .conftest import Sync, azure_devops_writes, ran

VANISHED_MAP = {
    "IDENTIFIED": {"state": "New"},
    "IN_PROGRESS": {"state": "Active"},
    "VANISHED": {"state": "Resolved"},
}


def _configure(sync: Sync, status_map: dict[str, Any] | None = None) -> None:
    from tests.harness import example_config

    config = example_config(sync.boards)
    if status_map is not None:
        config["routes"][0]["status_map"] = status_map
    answer = sync.api.put(f"/integrations/{sync.id}", json=config)
    assert answer.status_code in (200, 201), answer.text


def _card(sync: Sync, issue: str) -> dict[str, Any]:
    items = sync.work_items_of(issue)
    assert len(items) == 1, items
    return items[0]


def _notes(sync: Sync, work_item_id: int) -> list[str]:
    return [note for _, note in sync.boards.store.items[work_item_id].history]


def _vanished_deliveries(sync: Sync) -> list[dict[str, Any]]:
    return [d for d in sync.deliveries() if d.get("reason") == "vanished"]


def test_a_deleted_vulnerability_s_card_gets_one_note_and_moves_to_vanished(sync: Sync) -> None:
    _configure(sync, VANISHED_MAP)
    gone, kept = sync.seed(), sync.seed()
    ran(sync)
    card = _card(sync, gone)
    sync.conviso.delete_issue(gone)
    report = ran(sync)
    assert report["vanished"] == {"checked": 2, "vanished": 1}
    after = _card(sync, gone)
    assert after["id"] == card["id"]  # the same card: nothing deleted, nothing recreated
    assert after["fields"]["System.State"] == "Resolved"
    notes = [n for n in _notes(sync, card["id"]) if "no longer returns" in n]
    assert len(notes) == 1 and f"vulnerability #{gone}" in notes[0]
    assert _card(sync, kept)["fields"]["System.State"] == "New"
    (said,) = _vanished_deliveries(sync)
    assert said["level"] == "warn" and said["vulnerability_id"] == gone
    assert said["route_key"] == "default" and "moved to Resolved" in said["message"]
    # a second pass neither notes again nor writes anything
    sync.boards.clear_requests()
    report = ran(sync)
    assert report["vanished"]["vanished"] == 0
    assert azure_devops_writes(sync) == []
    assert len([n for n in _notes(sync, card["id"]) if "no longer returns" in n]) == 1
    assert len(_vanished_deliveries(sync)) == 1


def test_without_a_vanished_target_the_card_only_gets_the_note(sync: Sync) -> None:
    _configure(sync)
    gone = sync.seed()
    ran(sync)
    sync.conviso.delete_issue(gone)
    ran(sync)
    card = _card(sync, gone)
    assert card["fields"]["System.State"] == "New"
    assert any("no longer returns" in n for n in _notes(sync, card["id"]))


def test_a_person_moving_a_vanished_card_changes_nothing_in_conviso(sync: Sync) -> None:
    _configure(sync, VANISHED_MAP)
    sync.subscribe_hooks()
    gone = sync.seed()
    ran(sync)
    sync.conviso.delete_issue(gone)
    ran(sync)
    card = _card(sync, gone)
    changes = len(sync.conviso.status_changes)
    sync.boards.move_card(card["id"], state="Active", by="Jamal Hartnett")
    from tests.harness import wait_until

    said = wait_until(
        lambda: [d for d in sync.deliveries() if d.get("reason") == "vanished"
                 and "nothing to change there" in d["message"]]
    )  # fmt: skip
    assert said and len(sync.conviso.status_changes) == changes


def test_the_check_is_bounded_and_rotates_through_the_links(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vanished, "DEFAULT_LIMIT", 2)
    _configure(sync)
    issues = [sync.seed() for _ in range(5)]
    ran(sync)
    for issue in issues:
        sync.conviso.delete_issue(issue)
    sync.conviso.clear_records()
    # the first run (which made the cards) looked at links 1-2 already: 3-4, 5, 1-2
    seen = [ran(sync)["vanished"] for _ in range(3)]
    assert [s["checked"] for s in seen] == [2, 1, 2]
    assert sum(s["vanished"] for s in seen) == 5
    assert all(any("no longer returns" in n for n in _notes(sync, _card(sync, i)["id"]))
               for i in issues)  # fmt: skip
    # one request per run while nothing is missing; a run that finds k missing asks up to
    # k more times (a missing issue nulls the whole answer)
    assert 3 <= sync.conviso.operations().count("CheckIssues") <= 3 + 5
