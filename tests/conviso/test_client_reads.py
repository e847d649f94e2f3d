"""Reading issues over real HTTP: one issue with its card fields; paging to a watermark (R13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from localdev.conviso_emulator import AssetRecord, ConvisoEmulator
from sync_core.adapters.conviso import ConvisoClient, ConvisoQueryError
from sync_core.rules.vocabulary import ConvisoStatus, Severity

from .conftest import COMPANY_ID

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_get_issue_reads_a_sast_finding_with_file_line_and_snippet(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    seeded = conviso.seed_issue(
        asset_id=asset.id,
        type="SAST_FINDING",
        title="SQL injection in /login",
        severity="CRITICAL",
        category="CWE-89",
        description="<script>alert(1)</script>",
        solution="Use bound parameters",
        detail={"fileName": "app/login.py", "vulnerableLine": 42, "codeSnippet": "q = f'{x}'"},
        updated_at=T0,
    )
    got = client.get_issue(seeded.id)
    assert (got.id, got.status, got.severity, got.type) == (
        seeded.id,
        ConvisoStatus.IDENTIFIED,
        Severity.CRITICAL,
        "SAST_FINDING",
    )
    assert (got.category, got.solution, got.description) == (
        "CWE-89",
        "Use bound parameters",
        "<script>alert(1)</script>",
    )
    assert (got.detail.file_name, got.detail.vulnerable_line, got.detail.code_snippet) == (
        "app/login.py",
        42,
        "q = f'{x}'",
    )
    assert (got.asset.id, got.asset.name) == ("45", "payments-api")
    assert got.updated_at == T0
    assert got.permitted_status is not None
    assert ConvisoStatus.IN_PROGRESS in got.permitted_status
    assert ConvisoStatus.FIX_ACCEPTED not in got.permitted_status


def test_get_issue_reads_package_and_cve_of_an_sca_finding(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    seeded = conviso.seed_issue(
        asset_id=asset.id,
        type="SCA_FINDING",
        detail={"package": "lodash", "affectedVersion": "4.17.15", "cve": "CVE-2020-8203"},
    )
    got = client.get_issue(seeded.id)
    assert (got.detail.package, got.detail.affected_version, got.detail.cve) == (
        "lodash",
        "4.17.15",
        "CVE-2020-8203",
    )


@pytest.mark.parametrize("issue_type", ["DAST_FINDING", "WEB_VULNERABILITY"])
def test_get_issue_reads_url_and_method_of_web_issues(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient, issue_type: str
) -> None:
    seeded = conviso.seed_issue(
        asset_id=asset.id,
        type=issue_type,
        severity="MEDIUM",
        solution="Encode output",
        detail={"url": "https://shop.test/search", "method": "POST"},
    )
    got = client.get_issue(seeded.id)
    assert (got.type, got.severity, got.solution) == (issue_type, Severity.MEDIUM, "Encode output")
    assert (got.detail.url, got.detail.method) == ("https://shop.test/search", "POST")


def test_unknown_issue_is_a_query_error_with_convisos_message(client: ConvisoClient) -> None:
    with pytest.raises(ConvisoQueryError) as raised:
        client.get_issue("999999")
    assert raised.value.messages == ("Couldn't find Issue with 'id'=999999",)
    assert raised.value.operation == "GetIssue"


def _seed_minutes_apart(conviso: ConvisoEmulator, asset: AssetRecord, count: int) -> list[str]:
    """Issue n changed n minutes after T0; returned newest first, as Conviso sorts them."""
    ids = [
        conviso.seed_issue(asset_id=asset.id, updated_at=T0 + timedelta(minutes=n)).id
        for n in range(count)
    ]
    return ids[::-1]


def test_paging_stops_at_the_watermark_across_several_pages(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    newest_first = _seed_minutes_apart(conviso, asset, 12)
    since = T0 + timedelta(minutes=4)  # issues 4..11 are at or after it: 8 of them

    got = [v.id for v in client.iter_issues(COMPANY_ID, since=since, per_page=3)]

    assert got == newest_first[:8]
    pages = [r.variables["page"] for r in conviso.requests if r.operation_name == "ListIssues"]
    assert pages == [1, 2, 3]  # page 3 holds the first older issue; page 4 is never asked for


def test_paging_without_a_watermark_reads_every_page_once(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    newest_first = _seed_minutes_apart(conviso, asset, 7)
    assert [v.id for v in client.iter_issues(COMPANY_ID, per_page=3)] == newest_first
    assert len(conviso.requests) == 3  # totalPages = 3


def test_paging_is_lazy(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    _seed_minutes_apart(conviso, asset, 5)
    first = next(client.iter_issues(COMPANY_ID, per_page=2))
    assert first.updated_at == T0 + timedelta(minutes=4)
    assert len(conviso.requests) == 1


def test_paging_sends_the_company_and_page_variables(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    conviso.seed_issue(asset_id=asset.id)
    list(client.iter_issues(COMPANY_ID, per_page=50))
    assert conviso.requests[0].variables == {"companyId": COMPANY_ID, "page": 1, "perPage": 50}


def test_a_change_during_paging_moves_the_issue_past_the_watermark(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    """An issue updated mid-pass is newer than everything seen, so the next pass gets it."""
    newest_first = _seed_minutes_apart(conviso, asset, 6)
    pages = client.iter_issues(COMPANY_ID, per_page=2)
    seen = [next(pages).id, next(pages).id]
    conviso.update_issue(newest_first[-1], severity="CRITICAL", at=T0 + timedelta(hours=1))
    seen += [v.id for v in pages]
    watermark = T0 + timedelta(minutes=5)  # the newest updated_at of the first pass
    again = [v.id for v in client.iter_issues(COMPANY_ID, since=watermark, per_page=2)]
    assert newest_first[-1] in again
    assert len(seen) == len(set(seen))  # a shifted page never yields an issue twice


def test_other_companies_issues_are_never_listed(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    other = conviso.add_asset(conviso.add_company("Contoso", id="88").id, "intranet")
    mine = conviso.seed_issue(asset_id=asset.id).id
    conviso.seed_issue(asset_id=other.id)
    assert [v.id for v in client.iter_issues(COMPANY_ID)] == [mine]


def test_an_unknown_company_is_a_query_error(client: ConvisoClient) -> None:
    with pytest.raises(ConvisoQueryError, match="Scope - Resource not accessible"):
        list(client.iter_issues("404"))


def test_a_naive_watermark_is_refused_before_any_request(
    conviso: ConvisoEmulator, client: ConvisoClient
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next(client.iter_issues(COMPANY_ID, since=datetime(2026, 1, 1)))
    assert conviso.requests == []
