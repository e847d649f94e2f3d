"""changeIssueStatus over real HTTP (R7): applied with its reason, refused when not permitted."""

from __future__ import annotations

import pytest

from localdev.conviso_emulator import AssetRecord, ConvisoEmulator
from sync_core.adapters.conviso import ConvisoClient, ConvisoQueryError, StatusNotPermitted
from sync_core.rules.vocabulary import ConvisoStatus


def test_status_change_is_applied_with_its_reason_and_author(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    got = client.change_issue_status(
        issue.id,
        ConvisoStatus.IN_PROGRESS,
        "Work item 7 moved to Active by Ana",
        external_author="ana@fabrikam.test",
    )
    assert got.status == ConvisoStatus.IN_PROGRESS
    assert got.updated_at > issue.updated_at
    [change] = conviso.status_changes
    assert (change.issue_id, change.previous, change.status, change.source) == (
        issue.id,
        "IDENTIFIED",
        "IN_PROGRESS",
        "api",
    )
    assert change.reason == "Work item 7 moved to Active by Ana"
    assert change.external_author == "ana@fabrikam.test"
    assert conviso.requests[0].variables["input"]["status"] == "IN_PROGRESS"


def test_fix_accepted_through_the_api_is_refused(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    """Only a scan validates a fix; Conviso refuses FIX_ACCEPTED from the API."""
    issue = conviso.seed_issue(asset_id=asset.id, status="AWAITING_VALIDATION")
    with pytest.raises(StatusNotPermitted) as raised:
        client.change_issue_status(issue.id, ConvisoStatus.FIX_ACCEPTED, "closed on the board")
    refusal = raised.value
    assert (refusal.issue_id, refusal.status, refusal.current) == (
        issue.id,
        ConvisoStatus.FIX_ACCEPTED,
        ConvisoStatus.AWAITING_VALIDATION,
    )
    assert ConvisoStatus.FIX_ACCEPTED not in refusal.permitted
    assert "not permitted" in refusal.messages[0]  # Conviso's own words are kept
    assert isinstance(refusal, ConvisoQueryError)
    assert conviso.status_changes == []
    assert conviso.get_issue(issue.id).status == "AWAITING_VALIDATION"


def test_a_final_status_only_permits_reopening(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id, status="FALSE_POSITIVE")
    with pytest.raises(StatusNotPermitted) as raised:
        client.change_issue_status(issue.id, ConvisoStatus.IN_PROGRESS, "moved")
    assert raised.value.permitted == (ConvisoStatus.IDENTIFIED,)


def test_asking_for_the_current_status_is_not_an_error(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    """A change retried after a timeout may already have landed: same status, no error."""
    issue = conviso.seed_issue(asset_id=asset.id, status="IN_PROGRESS")
    got = client.change_issue_status(issue.id, ConvisoStatus.IN_PROGRESS, "again")
    assert got.status == ConvisoStatus.IN_PROGRESS
    assert conviso.operations() == ["ChangeIssueStatus", "GetIssue"]


def test_a_refusal_for_an_unknown_issue_stays_a_query_error(client: ConvisoClient) -> None:
    with pytest.raises(ConvisoQueryError) as raised:
        client.change_issue_status("424242", ConvisoStatus.IN_PROGRESS, "moved")
    assert not isinstance(raised.value, StatusNotPermitted)
    assert "Couldn't find Issue" in str(raised.value)


def test_scan_style_changes_are_what_the_client_reads_next(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id, status="AWAITING_VALIDATION")
    fixed = conviso.scan_missed(issue.id)
    assert client.get_issue(issue.id).status == ConvisoStatus.FIX_ACCEPTED
    reopened = conviso.scan_found(issue.id)
    got = client.get_issue(issue.id)
    assert got.status == ConvisoStatus.IDENTIFIED
    assert issue.updated_at < fixed.updated_at < reopened.updated_at == got.updated_at
    assert [(c.status, c.source) for c in conviso.status_changes] == [
        ("FIX_ACCEPTED", "scan"),
        ("IDENTIFIED", "scan"),
    ]
