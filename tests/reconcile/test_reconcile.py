"""R13 through the deployed app: events that never arrived are healed by one reconcile, a
second one writes nothing, overlapping runs are refused, and a dry run only plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync_core import bootstrap
from tests.harness import forget_other_integrations

from .conftest import Sync, azure_devops_writes, ran, reconcile


def _card(sync: Sync, issue: str) -> dict:
    items = sync.work_items_of(issue)
    assert len(items) == 1, items
    return items[0]


def test_conviso_changes_nobody_sent_are_healed_by_one_reconcile(sync: Sync) -> None:
    sync.configure()
    issues = [sync.seed() for _ in range(3)]
    low = sync.seed(severity="LOW")  # outside the severity policy: never a card (R2)
    # Nothing is published: Conviso's events were lost.
    report = ran(sync)
    assert report["complete"] and report["conviso_to_boards"]["outcomes"]["created"] == 3
    cards = {issue: _card(sync, issue) for issue in issues}
    assert all(c["fields"]["System.State"] == "New" for c in cards.values())
    assert sync.work_items_of(low) == []
    sync.conviso.store.change_status(issues[0], "IN_PROGRESS", reason="dev", source="user")
    report = ran(sync)
    assert report["conviso_to_boards"]["outcomes"].get("updated") == 1
    assert _card(sync, issues[0])["fields"]["System.State"] == "Active"
    assert _card(sync, issues[0])["id"] == cards[issues[0]]["id"]  # the same card (R1)


def test_a_second_reconcile_writes_nothing(sync: Sync) -> None:
    sync.configure()
    for _ in range(3):
        sync.seed()
    ran(sync)
    sync.boards.clear_requests()
    changes_before = len(sync.conviso.status_changes)
    report = ran(sync)
    assert azure_devops_writes(sync) == []
    assert len(sync.conviso.status_changes) == changes_before
    # The issues at the watermark itself are looked at again (second precision), and
    # found applied: no Azure DevOps request is made for them at all.
    card_requests = [r for r in sync.boards.requests if "/wit/workitems/" in r.path]
    assert card_requests == [] and report["complete"]


def test_a_card_moved_while_the_hooks_were_down_reaches_conviso(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    ran(sync)
    card = _card(sync, issue)
    # No subscription exists: Azure DevOps tells nobody about this move.
    sync.boards.move_card(card["id"], state="Active", by="Jamal Hartnett")
    report = ran(sync)
    assert report["boards_to_conviso"]["reapplied"] == 1
    moved = [c for c in sync.conviso.status_changes if c.issue_id == issue and c.source == "api"]
    assert [c.status for c in moved] == ["IN_PROGRESS"]
    assert "Jamal Hartnett" in (moved[0].reason or "")
    # Healed once: the next pass neither writes to Azure DevOps nor changes Conviso again.
    sync.boards.clear_requests()
    ran(sync)
    assert azure_devops_writes(sync) == []
    assert [c for c in sync.conviso.status_changes if c.source == "api"] == moved


def test_backfill_creates_a_card_in_its_later_status_and_records_progress(sync: Sync) -> None:
    from sync_core.service.reconcile import reconcile as run

    sync.configure()
    started = sync.seed(status="IN_PROGRESS")
    fresh = [sync.seed() for _ in range(4)]
    report = run(bootstrap.context(), sync.id, backfill=True, progress_every=2, per_page=2)
    assert report["mode"] == "backfill" and report["complete"]
    assert _card(sync, started)["fields"]["System.State"] == "Active"  # R2 on backfill
    assert all(len(sync.work_items_of(i)) == 1 for i in fresh)
    progress = sync.deliveries(text="vulnerabilities so far")
    assert len(progress) >= 2, progress


def test_dry_run_reports_what_it_would_do_and_writes_nothing(sync: Sync) -> None:
    sync.configure()
    sync.seed(status="IN_PROGRESS")
    for _ in range(3):
        sync.seed()
    sync.seed(severity="LOW")
    sync.seed(status="DRAFT")
    sync.boards.clear_requests()
    report = ran(sync, backfill="true", dry_run="true")
    outbound = report["conviso_to_boards"]
    assert report["dry_run"] and outbound["would_create"] == 4 and outbound["would_update"] == 0
    assert outbound["skipped"] == {"severity_policy": 1, "not_identified": 1}
    assert azure_devops_writes(sync) == []
    assert sync.deliveries(text="reconcile") == []  # nothing recorded either
    # ...and it was an accurate plan: the real backfill creates exactly those four.
    real = ran(sync, backfill="true")
    assert real["conviso_to_boards"]["outcomes"]["created"] == 4


def test_overlapping_runs_of_one_integration_are_refused(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    leases = bootstrap.context().state.leases
    assert leases.acquire(sync.id, "reconcile", "another-run", timedelta(minutes=1))
    answer = reconcile(sync)
    assert answer.status_code == 409
    assert "already running" in answer.json()["error"]["message"]
    assert sync.work_items_of(issue) == []
    leases.release(sync.id, "reconcile", "another-run")
    assert ran(sync)["complete"] and len(sync.work_items_of(issue)) == 1


def test_bad_flags_and_unknown_integrations_are_json_4xx(sync: Sync) -> None:
    sync.configure()
    answer = reconcile(sync, dry_run="maybe")
    assert answer.status_code == 400 and "dry_run" in answer.json()["error"]["message"]
    missing = sync.api.post("/integrations/no-such-thing/reconcile")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_timer_reconciles_every_integration(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    forget_other_integrations(sync)  # finished tests' integrations share the emulators
    sync.host.run_timer("reconcile_timer")
    # this integration's link is the proof, and its card is the one linked
    stored = bootstrap.context().state.links.get(sync.id, issue)
    assert stored is not None
    assert sync.boards.work_item(stored.link.work_item_id)["fields"]["System.State"] == "New"


def test_each_reconcile_pass_trims_the_deliveries_to_the_latest_1000(sync: Sync) -> None:
    from sync_core.adapters.state.deliveries import Delivery
    from sync_core.rules import Level

    sync.configure()
    sync.seed()
    ran(sync)  # the card and its "created" delivery, the pass's own note
    deliveries = bootstrap.context().state.deliveries
    start = datetime.now(UTC)
    newer = [
        Delivery(time=start + timedelta(milliseconds=i), level=Level.INFO, message=f"newer {i}")
        for i in range(1_050)
    ]
    deliveries.record_many(sync.id, newer)
    report = ran(sync)
    assert report["deliveries_trimmed"] >= 52  # 50 of the newer ones' excess, the older two
    assert deliveries.trim(sync.id) == 1  # only the second pass's note, recorded after it
    kept = deliveries.query(sync.id, limit=1000).items
    assert len(kept) == 1000 and any("reconcile" in d.message for d in kept)
    # the newest kept, the oldest went: "newer 1049", "newer 1048", … without a gap
    rest = [int(d.message[6:]) for d in kept if d.message.startswith("newer ")]
    assert rest[0] == 1049 and rest == list(range(1049, 1049 - len(rest), -1))
    assert len(rest) >= 990  # at most the second pass's few own deliveries among them


def test_a_second_card_of_a_linked_vulnerability_is_reported_once_not_synced(sync: Sync) -> None:
    sync.configure()
    issue, other = sync.seed(), sync.seed()
    ran(sync)
    linked = _card(sync, issue)
    # A create whose answer was lost, landing after the retry's tag search: a second card,
    # written by the integration's own identity, tagged like the first.
    late = sync.boards.create_work_item(
        "Fabrikam", "Bug",
        {"System.Title": linked["fields"]["System.Title"],
         "System.Tags": f"conviso; conviso-vuln-{issue}"},
        by="Conviso Sync",
    )  # fmt: skip
    # Someone else's card that mentions the tag of a vulnerability on a board of another type
    # is not ours to judge.
    sync.boards.create_work_item(
        "Fabrikam", "Task", {"System.Title": "notes", "System.Tags": f"conviso-vuln-{other}"}
    )
    sync.boards.clear_requests()
    report = ran(sync)
    assert report["boards_to_conviso"]["duplicates"] == 1
    [warning] = sync.deliveries(text="second card")
    assert warning["level"] == "warn" and warning["reason"] == "duplicate"
    assert (warning["work_item_id"], warning["vulnerability_id"]) == (late["id"], issue)
    assert f"#{linked['id']}" in warning["message"]
    assert azure_devops_writes(sync) == []  # reported, never deleted or changed
    ran(sync)  # the watermark's second is looked at again (second precision) ...
    assert len(sync.deliveries(text="second card")) == 1  # ... and it is reported once
    assert azure_devops_writes(sync) == []


def test_an_update_of_ours_landing_late_is_put_back_on_conviso_s_status(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    ran(sync)
    card = _card(sync, issue)
    assert card["fields"]["System.State"] == "New"
    # A PATCH the worker gave up on lands now, after the card was found in sync: written by
    # the integration's own identity, so no hook event would ever bring it back.
    sync.boards.move_card(card["id"], state="Active", by="Conviso Sync")
    report = ran(sync)
    assert report["boards_to_conviso"]["late_writes"] == 1
    assert _card(sync, issue)["fields"]["System.State"] == "New"  # Conviso says IDENTIFIED
    assert [c for c in sync.conviso.status_changes if c.source == "api"] == []  # never back
    sync.boards.clear_requests()
    report = ran(sync)
    assert azure_devops_writes(sync) == []  # the link knows the revision now
    assert report["boards_to_conviso"].get("late_writes", 0) == 0
