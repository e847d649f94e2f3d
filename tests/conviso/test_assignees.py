"""R23 and R24 over real HTTP: assignees read and set, unknown people refused, decisions
sent with who and until when, and the status history naming who decided and why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from localdev.conviso_emulator import AssetRecord, ConvisoEmulator
from sync_core.adapters.conviso import ConvisoClient, ConvisoQueryError
from sync_core.rules.vocabulary import ConvisoStatus


def test_assignees_are_read_with_the_issue(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    conviso.store.add_user("Ana@Fabrikam.com", "Ana")
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.store.assign(issue.id, ["ana@fabrikam.com"], source="user")
    got = client.get_issue(issue.id)
    assert got.assigned_users is not None
    assert [(u.email, u.name) for u in got.assigned_users] == [("ana@fabrikam.com", "Ana")]
    assert client.get_issue(conviso.seed_issue(asset_id=asset.id).id).assigned_users == ()


def test_update_issue_assignee_sets_them_in_one_request(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    conviso.store.add_user("ben@fabrikam.com", "Ben")
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.clear_records()
    assert client.update_issue_assignee(issue.id, ["Ben@Fabrikam.com"]) == ("ben@fabrikam.com",)
    assert conviso.operations() == ["UpdateIssueAssignee"]
    assert conviso.requests[0].variables["input"] == {
        "issueId": issue.id, "assigneeEmails": ["Ben@Fabrikam.com"],
    }  # fmt: skip
    stored = conviso.store.get_issue(issue.id)
    assert stored.assignees == ["ben@fabrikam.com"] and stored.updated_at > issue.updated_at
    assert client.update_issue_assignee(issue.id, []) == ()  # nobody


def test_an_unknown_e_mail_is_refused_and_changes_nothing(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    with pytest.raises(ConvisoQueryError) as refused:
        client.update_issue_assignee(issue.id, ["stranger@elsewhere.com"])
    assert "stranger@elsewhere.com" in str(refused.value)
    assert conviso.store.get_issue(issue.id).assignees == []
    assert conviso.operations() == ["UpdateIssueAssignee"]  # not retried


def test_a_decision_carries_who_and_until_when(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    conviso.store.add_user("jamal@fabrikam.com", "Jamal")
    issue = conviso.seed_issue(asset_id=asset.id)
    until = datetime(2027, 2, 26, tzinfo=UTC)
    got = client.change_issue_status(
        issue.id, ConvisoStatus.RISK_ACCEPTED, "moved by Jamal",
        external_author="jamal@fabrikam.com", risk_accepted_until=until,
    )  # fmt: skip
    sent = conviso.requests[-1].variables["input"]
    assert sent["externalAuthorIdentifier"] == "jamal@fabrikam.com"
    assert sent["riskAcceptedUntil"] == "2027-02-26T00:00:00Z"
    [change] = conviso.status_changes
    assert change.risk_accepted_until == until
    # the status history names the decider and the reason
    assert got.status_history is not None
    last = got.status_history[-1]
    assert last.status == ConvisoStatus.RISK_ACCEPTED and last.reason == "moved by Jamal"
    assert last.source is not None and last.source.email == "jamal@fabrikam.com"


def test_a_person_deciding_in_conviso_is_named_by_the_history(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    conviso.store.add_user("ciso@fabrikam.com", "Carla")
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.store.change_status(
        issue.id, "FALSE_POSITIVE", "test fixture", source="user", by="ciso@fabrikam.com"
    )
    [entry] = client.get_issue(issue.id).status_history or ()
    assert (entry.status, entry.reason) == (ConvisoStatus.FALSE_POSITIVE, "test fixture")
    assert entry.source is not None and (entry.source.name, entry.source.email) == (
        "Carla", "ciso@fabrikam.com",
    )  # fmt: skip
