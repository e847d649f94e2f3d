"""Reading what R20-R22 and R25 need, over real HTTP against the emulator: the SLA, the
CVSS score, the asset's tags, and which linked issues Conviso no longer returns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import GraphQLError

from localdev.conviso_emulator import AssetRecord, ConvisoEmulator, emulator_schema
from sync_core.adapters.conviso import ConvisoClient, ConvisoQueryError
from sync_core.adapters.conviso.queries import CHECK_ISSUES_BATCH
from sync_core.rules.vocabulary import SlaState

DUE = datetime(2026, 12, 15, 0, 0, tzinfo=UTC)


def test_an_issue_carries_its_sla_cvss_and_asset_tags(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    conviso.set_asset_tags(asset.id, ["pci", "internet-facing"])
    seeded = conviso.seed_issue(
        asset_id=asset.id,
        type="SCA_FINDING",
        detail={"cve": "CVE-2021-44228", "cvssScore": 10.0, "cvssMetric": "CVSS:3.1/AV:N"},
    )
    conviso.set_sla(seeded.id, state="APPROACHING", due_at=DUE, days_remaining=3)
    got = client.get_issue(seeded.id)
    assert got.sla is not None
    assert (got.sla.state, got.sla.due_at, got.sla.days_remaining) == (
        SlaState.APPROACHING,
        DUE,
        3,
    )
    assert got.detail.cvss_score == 10.0 and got.detail.cvss_metric == "CVSS:3.1/AV:N"
    assert got.asset.tags == ("pci", "internet-facing")


def test_an_issue_without_an_sla_or_tags_reads_as_none_and_empty(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    got = client.get_issue(conviso.seed_issue(asset_id=asset.id).id)
    assert got.sla is None and got.asset.tags == ()


def test_missing_issues_names_only_the_deleted_ones_in_one_request(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    ids = [conviso.seed_issue(asset_id=asset.id).id for _ in range(4)]
    conviso.delete_issue(ids[1])
    conviso.delete_issue(ids[3])
    conviso.clear_records()
    assert client.missing_issues(ids) == {ids[1], ids[3]}
    assert set(conviso.operations()) == {"CheckIssues"}  # as many as the server needs


def test_missing_issues_is_empty_when_all_exist_and_batches_large_lists(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    ids = [conviso.seed_issue(asset_id=asset.id).id for _ in range(CHECK_ISSUES_BATCH + 3)]
    conviso.clear_records()
    assert client.missing_issues(ids) == set()
    assert conviso.operations() == ["CheckIssues", "CheckIssues"]


def test_an_error_that_is_not_a_missing_issue_is_raised_never_taken_for_a_deletion(
    conviso: ConvisoEmulator,
    asset: AssetRecord,
    client: ConvisoClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id).id

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise GraphQLError("Scope - Resource not accessible")

    query = emulator_schema().query_type
    assert query is not None
    monkeypatch.setattr(query.fields["issue"], "resolve", refuse)
    with pytest.raises(ConvisoQueryError):
        client.missing_issues([issue])
