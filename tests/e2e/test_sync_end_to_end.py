"""The product through its real stack: webhooks → queues → workers → emulators, both ways."""

from __future__ import annotations

import threading

from sync_core import bootstrap
from tests.harness import Sync, wait_until

COLUMN = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column"
LANE_PAYMENTS = "WEF_EB329F44FE5F4A94ACB1DA153FDF38BA_Kanban.Lane"
COLUMN_PAYMENTS = "WEF_EB329F44FE5F4A94ACB1DA153FDF38BA_Kanban.Column"


def _one_card(sync: Sync, issue_id: str) -> dict:
    items = wait_until(lambda: sync.work_items_of(issue_id))
    assert len(items) == 1, items
    return items[0]


def _writes(sync: Sync) -> list:
    return [
        r
        for r in sync.boards.requests
        if r.method in ("POST", "PATCH") and "/wit/workitems" in r.path
    ]


def test_an_identified_vulnerability_becomes_one_card_with_escaped_content(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed(
        title='XSS <script>alert("x")</script>',
        description="<img src=x onerror=alert(1)>",
        category="CWE-79",
    )
    assert sync.publish(issue).status_code == 202
    card = _one_card(sync, issue)
    fields = card["fields"]
    assert fields["System.WorkItemType"] == "Bug" and fields["System.TeamProject"] == "Fabrikam"
    assert fields["System.State"] == "New" and fields[COLUMN] == "New"
    assert fields["Microsoft.VSTS.Common.Priority"] == 2
    assert set(fields["System.Tags"].split("; ")) == {"conviso", f"conviso-vuln-{issue}"}
    assert fields["System.Title"].startswith(f"[Conviso #{issue}] XSS")
    assert (
        "<script" not in fields["System.Description"] and "<img" not in fields["System.Description"]
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in fields["System.Description"]
    assert any(r["rel"] == "Hyperlink" for r in card.get("relations", []))
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))


def test_the_same_event_again_and_ten_concurrent_copies_still_make_one_card(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    snapshot = sync.snapshot(issue)
    first = sync.post_event(snapshot, event_id="evt-dup")
    again = sync.post_event(snapshot, event_id="evt-dup")
    assert (
        first.status_code == 202
        and again.status_code == 200
        and again.json()["status"] == "duplicate"
    )
    answers: list[int] = []
    copies = [
        threading.Thread(
            target=lambda i=i: answers.append(
                sync.post_event(snapshot, event_id=f"evt-copy-{i}").status_code
            )
        )
        for i in range(10)
    ]
    for t in copies:
        t.start()
    for t in copies:
        t.join()
    assert answers == [202] * 10
    _one_card(sync, issue)
    wait_until(
        lambda: sum(1 for d in sync.deliveries() if d.get("vulnerability_id") == issue) >= 11
    )
    assert len(sync.work_items_of(issue)) == 1
    creates = [r for r in sync.boards.requests if r.method == "POST" and "/$Bug" in r.path]
    assert len(creates) == 1


def test_in_progress_moves_the_card_in_one_patch_guarded_by_rev(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    sync.publish(issue)
    card = _one_card(sync, issue)
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))
    sync.boards.clear_requests()
    sync.conviso.store.change_status(issue, "IN_PROGRESS", reason="dev started", source="user")
    sync.publish(issue)
    wait_until(lambda: sync.boards.work_item(card["id"])["fields"]["System.State"] == "Active")
    wait_until(lambda: any(d.get("reason") == "updated" for d in sync.deliveries()))
    calls = sync.boards.requests
    assert len(calls) == 1, [(r.method, r.path) for r in calls]  # steady state: one request
    patch = calls[0].body
    assert calls[0].method == "PATCH" and patch[0] == {
        "op": "test",
        "path": "/rev",
        "value": card["rev"],
    }
    assert {"op": "add", "path": "/fields/System.State", "value": "Active"} in patch


def _created(sync: Sync, issue: str) -> dict:
    sync.publish(issue)
    card = _one_card(sync, issue)
    wait_until(lambda: any(d.get("reason") == "created" for d in sync.deliveries()))
    return card


def _statuses_set_by_app(sync: Sync, issue: str) -> list[str]:
    return [
        c.status
        for c in sync.conviso.store.status_changes
        if c.issue_id == issue and c.source == "api"
    ]


def test_a_person_moving_the_card_to_testing_claims_the_fix_never_accepts_it(sync: Sync) -> None:
    sync.configure()
    sync.subscribe_hooks()
    issue = sync.seed()
    card = _created(sync, issue)
    sync.boards.move_card(card["id"], column="Testing", by="Jamal Hartnett")
    wait_until(lambda: _statuses_set_by_app(sync, issue) == ["AWAITING_VALIDATION"])
    change = next(c for c in sync.conviso.store.status_changes if c.issue_id == issue)
    assert f"#{card['id']}" in (change.reason or "") and "Jamal Hartnett" in (change.reason or "")
    # Closing it afterwards is still only a claim: AWAITING_VALIDATION stays, nothing new is sent.
    sync.boards.move_card(card["id"], state="Closed", by="Jamal Hartnett")
    wait_until(lambda: any(d.get("reason") == "in_sync" for d in sync.deliveries()))
    assert _statuses_set_by_app(sync, issue) == ["AWAITING_VALIDATION"]
    assert sync.conviso.store.get_issue(issue).status == "AWAITING_VALIDATION"


def test_closing_the_card_claims_the_fix(sync: Sync) -> None:
    sync.configure()
    sync.subscribe_hooks()
    issue = sync.seed()
    card = _created(sync, issue)
    sync.boards.move_card(card["id"], state="Closed")
    wait_until(lambda: _statuses_set_by_app(sync, issue) == ["AWAITING_VALIDATION"])
    assert "FIX_ACCEPTED" not in _statuses_set_by_app(sync, issue)


def test_the_echo_of_the_apps_own_write_calls_conviso_not_at_all(sync: Sync) -> None:
    sync.configure()
    sync.subscribe_hooks()
    issue = sync.seed()
    card = _created(sync, issue)
    sync.conviso.store.change_status(issue, "IN_PROGRESS", reason="dev started", source="user")
    sync.conviso.clear_records()
    sync.publish(issue)
    wait_until(lambda: sync.boards.work_item(card["id"])["fields"]["System.State"] == "Active")
    sync.boards.wait_for_deliveries(5)
    wait_until(lambda: any(d.get("reason") == "echo" for d in sync.deliveries()))
    assert "ChangeIssueStatus" not in sync.conviso.operations()
    assert _statuses_set_by_app(sync, issue) == []


def test_fixed_by_a_scan_closes_the_card_and_reappearance_reopens_the_same_one(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    card = _created(sync, issue)
    sync.conviso.scan_missed(issue)
    sync.publish(issue)
    wait_until(lambda: sync.boards.work_item(card["id"])["fields"]["System.State"] == "Closed")
    sync.conviso.scan_found(issue)
    sync.publish(issue)
    wait_until(lambda: sync.boards.work_item(card["id"])["fields"]["System.State"] == "New")
    assert len(sync.work_items_of(issue)) == 1
    history = " ".join(note for _, note in sync.boards.store.get(card["id"]).history)
    assert "found again" in history
    wait_until(lambda: any(d.get("reason") == "reopened" for d in sync.deliveries()))


def test_a_custom_route_beats_the_default(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed(asset="45")
    sync.publish(issue)
    card = _one_card(sync, issue)
    fields = card["fields"]
    assert fields["System.TeamProject"] == "Payments"
    assert fields[COLUMN_PAYMENTS] == "Triage" and fields[LANE_PAYMENTS] == "Security"


def test_created_or_outside_the_severity_policy_makes_no_card_but_says_why(sync: Sync) -> None:
    sync.configure()
    created = sync.seed(status="CREATED")
    low = sync.seed(severity="LOW")
    sync.publish(created)
    sync.publish(low)
    wait_until(
        lambda: (
            {"not_identified", "severity_policy"} <= {d.get("reason") for d in sync.deliveries()}
        )
    )
    assert sync.work_items_of(created) == [] and sync.work_items_of(low) == []
    assert not [r for r in sync.boards.requests if r.method == "POST" and "/$Bug" in r.path]


def test_a_route_whose_project_is_gone_is_an_error_and_other_routes_go_on(sync: Sync) -> None:
    sync.configure()
    with sync.boards._lock:
        sync.boards.world.projects = [p for p in sync.boards.world.projects if p.name != "Payments"]
    orphan = sync.seed(asset="45")
    fine = sync.seed(asset="9")
    sync.publish(orphan)
    sync.publish(fine)
    errors = wait_until(lambda: sync.deliveries(level="error"))
    assert errors[0]["vulnerability_id"] == orphan and errors[0]["route_key"] == "asset-45"
    assert "Payments" in errors[0]["message"]
    _one_card(sync, fine)
    status = sync.api.get(f"/integrations/{sync.id}").json()
    assert status["id"] == sync.id


def test_a_message_failing_five_times_is_an_error_delivery_and_replay_heals_it(sync: Sync) -> None:
    sync.configure()
    issue = sync.seed()
    sync.boards.inject_status(503, times=1000, method="POST")
    sync.publish(issue)
    poisoned = wait_until(
        lambda: [d for d in sync.deliveries(level="error") if d.get("reason") == "poisoned"],
        timeout=45,
    )
    assert (
        "conviso-to-boards-poison" in poisoned[0]["message"]
        and poisoned[0]["vulnerability_id"] == issue
    )
    assert sync.work_items_of(issue) == []
    # the error is recorded by the last attempt, just before the host moves the message
    queues = bootstrap.context().state.queues
    wait_until(
        lambda: any(
            (m.payload or {}).get("integration_id") == sync.id
            for m in queues.peek_poison("conviso-to-boards")
        )
    )
    sync.boards.clear_faults()
    answer = sync.api.post(f"/integrations/{sync.id}/replay")
    assert answer.status_code == 200 and answer.json()["total"] == 1
    _one_card(sync, issue)


def test_one_move_reported_by_both_hooks_reaches_conviso_once(sync: Sync) -> None:
    sync.configure()
    sync.subscribe_hooks()  # the seed's two hooks: Board Column and State
    issue = sync.seed()
    card = _created(sync, issue)
    sync.boards.move_card(card["id"], column="Active", state="Active")
    wait_until(lambda: _statuses_set_by_app(sync, issue) == ["IN_PROGRESS"])
    sync.boards.wait_for_deliveries(5)
    moved = [
        d
        for d in sync.boards.deliveries
        if d.work_item_id == card["id"] and d.result == "succeeded"
    ]
    assert len(moved) >= 2  # both subscriptions fired for the one revision, both answered 2xx
    assert _statuses_set_by_app(sync, issue) == ["IN_PROGRESS"]
