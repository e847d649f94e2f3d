"""Ping-pong (R8, R9): people change one vulnerability on both sides, quickly, in turn.

Two-way peers loop: their own write comes back as an event and is written again
(peers.md §3.2). Here a person moves the card on the board (the emulator's service hooks
really POST to the app), then a person changes the status in Conviso, and so on; Conviso
sends an event for *every* status change, the app's own included, as its webhooks do.
Each change is made as soon as the previous one reached the other side, so the echoes of
one change are still in flight while the next is made. The system must settle with both
sides on the same status, having written each side exactly once per change made on the
other, and never because of an echo of its own write.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Collection
from typing import Any

import pytest

from localdev.devhost import DevHost

from .conftest import (
    COLUMN,
    EXPECTED_CARD,
    FULL,
    Sync,
    all_deliveries,
    card_matches,
    count,
    queues_empty,
    report,
    wait_until,
)

#: where a person puts the card for each status (a column move sets the state too)
COLUMN_FOR = {"IDENTIFIED": "New", "IN_PROGRESS": "Active", "AWAITING_VALIDATION": "Testing"}


class ConvisoWebhooks:
    """Conviso's side of the wire: every status change of ``issue`` becomes a signed
    event to the app, in order. Changes made through the API (the app's own) are echoes."""

    def __init__(self, sync: Sync, issue: str, snapshot: dict[str, Any]) -> None:
        self.sync, self.issue, self.snapshot = sync, issue, snapshot
        self.echo_ids: set[str] = set()
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="conviso-webhooks", daemon=True)

    def changes(self) -> list[Any]:
        return [c for c in self.sync.conviso.store.status_changes if c.issue_id == self.issue]

    def alive(self) -> bool:
        return self._thread.is_alive()

    def caught_up(self) -> bool:
        return self.sent == len(self.changes())

    def __enter__(self) -> ConvisoWebhooks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def body(self, change: Any) -> dict[str, Any]:
        """The snapshot Conviso's event carries after ``change``."""
        return {
            **self.snapshot,
            "status": change.status,
            "updatedAt": change.at.isoformat(),
            "permittedStatus": None,
        }

    def _run(self) -> None:
        while not self._stop.is_set():
            changes = self.changes()
            for change in changes[self.sent :]:
                echo = change.source == "api"
                event_id = f"{'echo' if echo else 'person'}-{self.issue}-{self.sent}"
                if echo:
                    self.echo_ids.add(event_id)
                body = self.body(change)
                answer = self.sync.post_event(body, event_id=event_id)
                assert answer.status_code == 202, answer.text
                self.sent += 1
            self._stop.wait(0.01)


def _in_step(sync: Sync, issue: str, status: str) -> bool:
    return sync.conviso.store.get_issue(issue).status == status and card_matches(
        sync, issue, status
    )


@pytest.mark.timeout(600 if FULL else 120)
def test_rapid_alternating_changes_on_both_sides_settle_without_echo_writes(
    sync: Sync, app_host: DevHost
) -> None:
    moves = count(20, 200)
    sync.configure()
    sync.subscribe_hooks()
    issue = sync.seed()
    snapshot = sync.snapshot(issue)
    sync.publish(issue)
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))
    work_item_id = sync.work_items_of(issue)[0]["id"]
    person = "Jamal Hartnett"
    rng = random.Random(200)
    made = Counter()
    status = "IDENTIFIED"
    started = time.monotonic()
    with ConvisoWebhooks(sync, issue, snapshot) as conviso_hooks:
        for n in range(moves):
            status = rng.choice([s for s in EXPECTED_CARD if s != status])
            if n % 2 == 0:
                sync.boards.move_card(work_item_id, column=COLUMN_FOR[status], by=person)
                made["boards"] += 1
            else:
                sync.conviso.store.change_status(issue, status, reason="triage", source="user")
                made["conviso"] += 1
            # the next change as soon as this one reached the other side
            try:
                wait_until(lambda s=status: _in_step(sync, issue, s), timeout=20, interval=0.01)
            except AssertionError:
                side = "boards" if n % 2 == 0 else "conviso"
                cards = [
                    (c["fields"].get("System.State"), c["fields"].get(COLUMN))
                    for c in sync.work_items_of(issue)
                ]
                head = (
                    f"change {n} ({side}) to {status}: Conviso "
                    f"{sync.conviso.store.get_issue(issue).status}, cards (state, column) "
                    f"{cards}; webhooks sent {conviso_hooks.sent} of "
                    f"{len(conviso_hooks.changes())}, sender alive {conviso_hooks.alive()}"
                )
                raise AssertionError(_explain_step(sync, issue, head)) from None
        stepped = time.monotonic() - started

        def settled() -> bool:
            # every echo delivered and worked off: nothing is left to bounce
            return (
                sync.boards.wait_for_deliveries(0.0)
                and conviso_hooks.caught_up()
                and queues_empty()
            )

        wait_until(settled, timeout=60, interval=0.1)
    elapsed = time.monotonic() - started

    assert _in_step(sync, issue, status)  # both sides on the last change
    service = sync.boards.world.service_identity.display_name
    # The app's writes: every PATCH that changed the card, every status change it asked
    # Conviso for (and the changes Conviso applied on its behalf). A PATCH refused by
    # ``test /rev`` (412: the card kept in the link was older than a person's move) changed
    # nothing; it is counted apart.
    patches = [r for r in sync.boards.requests if r.method == "PATCH"]
    boards_writes = [r for r in patches if r.status == 200]
    refused = [r for r in patches if r.status == 412]
    assert len(boards_writes) + len(refused) == len(patches)
    conviso_asked = sync.conviso.operations().count("ChangeIssueStatus")
    conviso_writes = [c for c in conviso_hooks.changes() if c.source == "api"]
    # each side written once per change made on the other side: none lost, none extra
    assert len(boards_writes) == made["conviso"], (len(boards_writes), made)
    assert conviso_asked == len(conviso_writes) == made["boards"], (conviso_asked, made)
    # and never because of an echo: no card write for the app's own Conviso changes, no
    # Conviso change for the app's own card writes
    deliveries = all_deliveries(sync)
    echo_writes = _echo_writes(deliveries, conviso_hooks.echo_ids)
    assert echo_writes == []
    assert [c for c in conviso_writes if service in (c.reason or "")] == []
    assert all(person in (c.reason or "") for c in conviso_writes)
    assert not [d for d in deliveries if d["level"] == "error"]
    reasons = Counter(d.get("reason") for d in deliveries)
    report(
        "ping-pong",
        moves=moves,
        boards_moves=made["boards"],
        conviso_changes=made["conviso"],
        boards_writes=len(boards_writes),
        boards_refused_412=len(refused),
        conviso_writes=len(conviso_writes),
        echo_writes=len(echo_writes),
        conviso_echo_events=len(conviso_hooks.echo_ids),
        reasons=dict(sorted(reasons.items())),
        stepped_s=round(stepped, 1),
        seconds=round(elapsed, 1),
    )


# ------------------------------------------------------------------ R23 reassignments

JAMAL = "fabrikamfiber4@hotmail.com"  # "Jamal Hartnett" in the Boards emulator's seed
NORMAN = "fabrikamfiber16@hotmail.com"  # "Norman Paulk"
ASSIGNED_TO = "System.AssignedTo"


class ConvisoAssigneeWebhooks(ConvisoWebhooks):
    """Every assignee change of ``issue`` as an event, in order; ``updateIssueAssignee``
    calls (the app's own) are echoes, as for status."""

    def changes(self) -> list[Any]:
        with self.sync.conviso.store.lock:
            found = list(self.sync.conviso.store.assignee_changes)
        return [c for c in found if c.issue_id == self.issue]

    def body(self, change: Any) -> dict[str, Any]:
        return {
            **self.snapshot,
            "assignedUsers": [{"email": e, "name": None} for e in change.assignees],
            "updatedAt": change.at.isoformat(),
            "permittedStatus": None,
        }


def _echo_writes(deliveries: list[dict], echo_ids: Collection[str]) -> list[dict]:
    """The card writes recorded under the event id of an echo of the app's own change."""
    return [
        d
        for d in deliveries
        if d.get("event_id") in echo_ids and d["reason"] in ("updated", "reopened")
    ]


def _card_assignee(sync: Sync, issue: str) -> str | None:
    items = sync.work_items_of(issue)
    found = items[0]["fields"].get(ASSIGNED_TO) if len(items) == 1 else None
    return found["uniqueName"].lower() if isinstance(found, dict) else None


@pytest.mark.timeout(600 if FULL else 120)
def test_rapid_alternating_reassignments_settle_without_echo_writes(
    sync: Sync, app_host: DevHost
) -> None:
    """R23 with R8: a person reassigns the card, a person reassigns the issue in Conviso,
    in turn, each as soon as the previous one reached the other side. Each side is written
    once per change made on the other (one PATCH, one ``updateIssueAssignee``) and never
    because of an echo; both end on the last person."""
    changes = count(10, 100)
    from tests.harness import HOOK_TOKEN, example_config

    config = example_config(sync.boards)
    config["routes"][0]["assignees"] = "sync"
    answer = sync.api.put(f"/integrations/{sync.id}", json=config)
    assert answer.status_code in (200, 201), answer.text
    url = f"{sync.host.url}/api/integrations/{sync.id}/boards-webhook?token={HOOK_TOKEN}"
    for field in ("System.BoardColumn", "System.State", ASSIGNED_TO):
        sync.boards.subscribe(url, project="Fabrikam", changed_fields=field)
    sync.conviso.store.add_user(JAMAL, "Jamal Hartnett")
    sync.conviso.store.add_user(NORMAN, "Norman Paulk")
    issue = sync.seed()
    snapshot = sync.snapshot(issue)
    sync.publish(issue)
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))
    work_item_id = sync.work_items_of(issue)[0]["id"]
    sync.boards.clear_requests()
    sync.conviso.clear_records()
    made = Counter()
    who = ""
    started = time.monotonic()
    with ConvisoAssigneeWebhooks(sync, issue, snapshot) as conviso_hooks:
        for n in range(changes):
            if n % 2 == 0:
                who = JAMAL
                sync.boards.edit_work_item(work_item_id, {ASSIGNED_TO: who}, by="Norman Paulk")
                made["boards"] += 1
            else:
                who = NORMAN
                sync.conviso.store.assign(issue, [who], source="user")
                made["conviso"] += 1

            def in_step(target: str = who) -> bool:
                conviso_side = sync.conviso.store.get_issue(issue).assignees == [target]
                return conviso_side and _card_assignee(sync, issue) == target

            try:
                wait_until(in_step, timeout=20, interval=0.01)
            except AssertionError:
                raise AssertionError(_explain_reassignment(sync, issue, n, who)) from None

        def settled() -> bool:
            return (
                sync.boards.wait_for_deliveries(0.0)
                and conviso_hooks.caught_up()
                and queues_empty()
            )

        wait_until(settled, timeout=60, interval=0.1)
    elapsed = time.monotonic() - started

    assert sync.conviso.store.get_issue(issue).assignees == [who]
    assert _card_assignee(sync, issue) == who
    patches = [r for r in sync.boards.requests if r.method == "PATCH"]
    boards_writes = [r for r in patches if r.status == 200]
    refused = [r for r in patches if r.status == 412]
    assert len(boards_writes) + len(refused) == len(patches)
    # one card write per Conviso reassignment, one Conviso request per board reassignment
    assert len(boards_writes) == made["conviso"], (len(boards_writes), made)
    operations = sync.conviso.operations()
    assert operations.count("UpdateIssueAssignee") == made["boards"], (operations, made)
    # no read per reassignment: the only reads are a card write's, deciding again on
    # Conviso's assignee after it met a concurrent change (a 412, or the link saved meanwhile)
    assert set(operations) <= {"UpdateIssueAssignee", "GetIssue"}, operations
    rereads = operations.count("GetIssue")
    assert rereads <= made["conviso"], (rereads, made)
    api_changes = [c for c in conviso_hooks.changes() if c.source == "api"]
    assert len(api_changes) == made["boards"]
    deliveries = all_deliveries(sync)
    echo_writes = _echo_writes(deliveries, conviso_hooks.echo_ids)
    # An echo's own snapshot is what the card already shows: it writes nothing. Under load
    # an echo's worker can meet the next change in flight (a 412, or the link saved
    # meanwhile), decide again on Conviso's current assignee and carry *that* change — a
    # write the count above already allows for, made under the echo's event id. So every
    # write attributed to an echo must have come from such a re-read.
    assert len(echo_writes) <= rereads, (echo_writes, rereads)
    assert not [d for d in deliveries if d["level"] == "error"]
    reasons = Counter(d.get("reason") for d in deliveries)
    report(
        "ping-pong reassignments",
        changes=changes,
        boards_changes=made["boards"],
        conviso_changes=made["conviso"],
        boards_writes=len(boards_writes),
        boards_refused_412=len(refused),
        conviso_writes=len(api_changes),
        echo_writes=len(echo_writes),
        conviso_rereads=rereads,
        reasons=dict(sorted(reasons.items())),
        seconds=round(elapsed, 1),
    )


def _explain_reassignment(sync: Sync, issue: str, n: int, who: str) -> str:
    """Why change ``n`` did not reach the other side: both sides, the link, the deliveries."""
    head = (
        f"change {n} to {who}: Conviso {sync.conviso.store.get_issue(issue).assignees}, "
        f"card {_card_assignee(sync, issue)}"
    )
    return _explain_step(sync, issue, head)


def _explain_step(sync: Sync, issue: str, head: str) -> str:
    """``head`` (both sides of one step), then the link, the latest deliveries (oldest
    first) and the last Azure DevOps requests, for a failure read from the log alone."""
    from sync_core import bootstrap as _bootstrap

    stored = _bootstrap.context().state.links.get(sync.id, issue)
    lines = [head, f"link: {stored.link.model_dump(mode='json') if stored else None}"]
    for d in reversed(all_deliveries(sync)[:30]):
        what = f"{d.get('level')} {d.get('reason')} {d.get('event_id')}"
        lines.append(f"  {what}: {d.get('message')}")
    for r in sync.boards.requests[-6:]:
        lines.append(f"  {r.method} {r.status} {r.body if r.method == 'PATCH' else ''}")
    return "\n".join(lines)
