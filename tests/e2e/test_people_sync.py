"""R23 and R24 end to end: the real app in the development host, Azurite, and both
emulators over HTTP. An assignment on each side reaches the other once; unknown people are
warnings; a drag to Risk Accepted sends the mover's e-mail and until when; a decision made
in Conviso adds exactly one note naming who and why; the third service hook."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from localdev.boards_emulator.world import FieldSpec
from tests.harness import HOOK_TOKEN, Sync, example_config, wait_until

JAMAL = "fabrikamfiber4@hotmail.com"  # "Jamal Hartnett" in the Boards emulator's seed
NORMAN = "fabrikamfiber16@hotmail.com"  # "Norman Paulk"
ASSIGNED_TO = "System.AssignedTo"


def configure(sync: Sync, **route_keys: Any) -> None:
    """The example configuration with ``route_keys`` on its default route (Fabrikam)."""
    config = example_config(sync.boards)
    config["routes"][0].update(route_keys)
    answer = sync.api.put(f"/integrations/{sync.id}", json=config)
    assert answer.status_code in (200, 201), answer.text


def subscribe(sync: Sync) -> None:
    """The seed's two hooks plus the one on Assigned To (R23)."""
    url = f"{sync.host.url}/api/integrations/{sync.id}/boards-webhook?token={HOOK_TOKEN}"
    for field in ("System.BoardColumn", "System.State", ASSIGNED_TO):
        sync.boards.subscribe(url, project="Fabrikam", changed_fields=field)


def conviso_people(sync: Sync) -> None:
    sync.conviso.store.add_user(JAMAL, "Jamal Hartnett")
    sync.conviso.store.add_user(NORMAN, "Norman Paulk")


def assignee_of(sync: Sync, issue: str) -> str | None:
    [card] = sync.work_items_of(issue)
    found = card["fields"].get(ASSIGNED_TO)
    return found["uniqueName"].lower() if isinstance(found, dict) else None


def delivered(sync: Sync, reason: str) -> list[dict[str, Any]]:
    return [d for d in sync.deliveries() if d.get("reason") == reason]


def patches(sync: Sync) -> list[Any]:
    return [r for r in sync.boards.requests if r.method == "PATCH"]


def created_card(sync: Sync, issue: str) -> int:
    sync.publish(issue)
    wait_until(lambda: delivered(sync, "created"))
    return int(sync.work_items_of(issue)[0]["id"])


def test_an_assignment_on_each_side_reaches_the_other_once(sync: Sync) -> None:
    configure(sync, assignees="sync")
    subscribe(sync)
    conviso_people(sync)
    issue = sync.seed()
    sync.conviso.store.assign(issue, [JAMAL], source="user")
    work_item = created_card(sync, issue)
    assert assignee_of(sync, issue) == JAMAL  # in the create itself

    # Conviso -> Boards: one PATCH, carrying the new assignee
    sync.boards.clear_requests()
    sync.conviso.store.assign(issue, [NORMAN], source="user")
    sync.publish(issue)
    wait_until(lambda: assignee_of(sync, issue) == NORMAN)
    [patch] = patches(sync)
    assert {"op": "add", "path": f"/fields/{ASSIGNED_TO}", "value": NORMAN} in patch.body

    # Boards -> Conviso: one request, updateIssueAssignee, and nothing back to the card
    sync.boards.wait_for_deliveries()
    sync.boards.clear_requests()
    sync.conviso.clear_records()
    sync.boards.edit_work_item(work_item, {ASSIGNED_TO: JAMAL}, by="Norman Paulk")
    wait_until(lambda: sync.conviso.store.get_issue(issue).assignees == [JAMAL])
    wait_until(lambda: delivered(sync, "assignee_changed"))
    assert sync.conviso.operations() == ["UpdateIssueAssignee"]
    # Conviso's echo of it changes nothing on the card (R8)
    sync.publish(issue)
    wait_until(lambda: sum(1 for d in sync.deliveries() if d.get("reason") == "in_sync") >= 1)
    sync.boards.wait_for_deliveries()
    assert patches(sync) == []
    assert not [r for r in sync.boards.requests if r.method != "GET"]
    assert not [d for d in sync.deliveries() if d["level"] == "error"]


def test_a_new_card_takes_the_default_assignee_when_conviso_names_nobody(sync: Sync) -> None:
    configure(sync, assignees="sync", default_assignee=NORMAN.upper())
    issue = sync.seed()
    created_card(sync, issue)
    assert assignee_of(sync, issue) == NORMAN


def test_people_the_other_side_does_not_know_are_warnings(sync: Sync) -> None:
    configure(sync, assignees="sync")
    subscribe(sync)
    sync.conviso.store.add_user("ghost@fabrikam.com", "Ghost")  # in Conviso only
    issue = sync.seed()
    sync.conviso.store.assign(issue, ["ghost@fabrikam.com"], source="user")
    work_item = created_card(sync, issue)
    assert assignee_of(sync, issue) is None  # the card is made, without them
    [warning] = delivered(sync, "unknown_assignee")
    assert warning["level"] == "warn" and "ghost@fabrikam.com" in warning["message"]
    # the next snapshot does not try again (no retry loop)
    sync.boards.clear_requests()
    sync.publish(issue)
    wait_until(lambda: delivered(sync, "in_sync"))
    assert patches(sync) == [] and len(delivered(sync, "unknown_assignee")) == 1

    # Norman is known to Azure DevOps, not to Conviso: a warning naming him
    sync.boards.edit_work_item(work_item, {ASSIGNED_TO: NORMAN}, by="Jamal Hartnett")
    wait_until(lambda: len(delivered(sync, "unknown_assignee")) == 2)
    refusal = delivered(sync, "unknown_assignee")[0]
    assert NORMAN in refusal["message"] and refusal["level"] == "warn"
    assert sync.conviso.store.get_issue(issue).assignees == ["ghost@fabrikam.com"]
    assert sync.conviso.operations().count("UpdateIssueAssignee") == 1
    assert not [d for d in sync.deliveries() if d["level"] == "error"]


def test_the_boards_emulator_refuses_an_unknown_identity_as_azure_devops_does(
    sync: Sync,
) -> None:
    configure(sync)
    issue = sync.seed()
    work_item = created_card(sync, issue)
    with pytest.raises(Exception, match="is an unknown identity"):
        sync.boards.edit_work_item(work_item, {ASSIGNED_TO: "nobody@nowhere.example"})
    sync.boards.edit_work_item(work_item, {ASSIGNED_TO: "Norman Paulk <" + NORMAN + ">"})
    assert assignee_of(sync, issue) == NORMAN


def test_a_drag_to_risk_accepted_sends_the_movers_e_mail_and_until_when(sync: Sync) -> None:
    configure(sync, risk_acceptance_days=30)
    subscribe(sync)
    issue = sync.seed()
    work_item = created_card(sync, issue)
    sync.boards.wait_for_deliveries()
    sync.boards.clear_requests()
    sync.boards.move_card(work_item, state="Risk Accepted", by="Jamal Hartnett")
    wait_until(lambda: sync.conviso.store.get_issue(issue).status == "RISK_ACCEPTED")
    [change] = [c for c in sync.conviso.status_changes if c.status == "RISK_ACCEPTED"]
    assert change.external_author == JAMAL
    today = datetime.now(UTC).date()
    expected = {
        datetime.combine(day + timedelta(days=30), datetime.min.time(), tzinfo=UTC)
        for day in (today - timedelta(days=1), today)  # the test may straddle midnight
    }
    assert change.risk_accepted_until in expected
    assert sync.boards.requests == []  # 0 Azure DevOps requests for the move (R24)


def test_a_risk_acceptance_lasts_until_the_cards_own_date(sync: Sync) -> None:
    bug = sync.boards.world.project("Fabrikam").work_item_type("Bug")
    bug.fields["custom.riskaccepteduntil"] = FieldSpec(
        "Custom.RiskAcceptedUntil", "Risk Accepted Until"
    )
    configure(sync, fields={"risk_accepted_until": "Custom.RiskAcceptedUntil"})
    subscribe(sync)
    issue = sync.seed()
    work_item = created_card(sync, issue)
    sync.boards.edit_work_item(
        work_item,
        {"System.State": "Risk Accepted", "Custom.RiskAcceptedUntil": "2027-03-31T00:00:00Z"},
        by="Norman Paulk",
    )
    wait_until(lambda: sync.conviso.store.get_issue(issue).status == "RISK_ACCEPTED")
    [change] = [c for c in sync.conviso.status_changes if c.status == "RISK_ACCEPTED"]
    assert change.risk_accepted_until == datetime(2027, 3, 31, tzinfo=UTC)
    assert change.external_author == NORMAN


def _notes(sync: Sync, issue: str) -> list[str]:
    [card] = sync.work_items_of(issue)
    return [text for _, text in sync.boards.store.items[card["id"]].history]


def test_a_conviso_decision_adds_exactly_one_note_naming_who_and_why(sync: Sync) -> None:
    configure(sync)
    sync.conviso.store.add_user("ciso@fabrikam.com", "Carla CISO")
    issue = sync.seed()
    created_card(sync, issue)
    sync.conviso.store.change_status(
        issue, "FALSE_POSITIVE", "test fixture, not production code",
        source="user", by="ciso@fabrikam.com",
    )  # fmt: skip
    snapshot = sync.snapshot(issue)
    # an event without the status history: the worker reads the issue to name who
    bare = {k: v for k, v in snapshot.items() if k != "statusHistory"}
    assert sync.post_event(bare).status_code == 202
    wait_until(lambda: sync.work_items_of(issue)[0]["fields"]["System.State"] == "Closed")
    # the same decision again, twice, with its history: no second note
    for _ in range(2):
        assert sync.post_event(copy.deepcopy(snapshot)).status_code == 202
    wait_until(lambda: len(delivered(sync, "in_sync")) >= 2)
    decided = [n for n in _notes(sync, issue) if "false positive" in n]
    assert len(decided) == 1, _notes(sync, issue)
    assert "Carla CISO &lt;ciso@fabrikam.com&gt;" in decided[0]
    assert "test fixture, not production code" in decided[0]


def test_route_keys_are_checked_on_save(sync: Sync) -> None:
    for key, value in (
        ("assignees", "both"),
        ("default_assignee", "not-an-email"),
        ("risk_acceptance_days", 0),
        ("risk_acceptance_days", 3651),
    ):
        config = example_config(sync.boards)
        config["routes"][0][key] = value
        answer = sync.api.put(f"/integrations/{sync.id}", json=config)
        assert answer.status_code == 400, (key, answer.text)
        assert key in answer.json()["error"]["message"], answer.text


@pytest.fixture
def public_url(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PUBLIC_BASE_URL", sync.host.url)
    monkeypatch.delenv("WEBSITE_HOSTNAME", raising=False)
    return sync.host.url


def test_a_route_syncing_assignees_gets_a_third_hook_and_check_connection_sees_it(
    sync: Sync, public_url: str
) -> None:
    configure(sync, assignees="sync")
    answer = sync.api.post(f"/integrations/{sync.id}/service-hooks")
    assert answer.status_code == 200, answer.text
    made = {(s["project"], s["changed_fields"]) for s in answer.json()["subscriptions"]}
    assert ("Fabrikam", ASSIGNED_TO) in made
    assert ("Payments", ASSIGNED_TO) not in made  # its route does not sync assignees
    check = sync.api.post(f"/integrations/{sync.id}/check").json()
    item = next(i for i in check["items"] if i["item"] == f"service_hooks:Fabrikam/{ASSIGNED_TO}")
    assert item["ok"], item
