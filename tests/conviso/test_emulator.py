"""The emulator behaves as Conviso does where the client cannot show it: raw GraphQL answers,
the lifecycle table, query limits, companies/assets/projects, recording."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localdev.conviso_emulator import AssetRecord, ConvisoEmulator, permitted_statuses
from localdev.conviso_emulator.store import ConvisoStore

from .conftest import API_KEY, COMPANY_ID


def _post(conviso: ConvisoEmulator, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        conviso.url, json={"query": query, "variables": variables}, headers={"x-api-key": API_KEY}
    )


@pytest.mark.parametrize(
    ("current", "permitted"),
    [
        ("IDENTIFIED", ["IN_PROGRESS", "AWAITING_VALIDATION", "RISK_ACCEPTED", "FALSE_POSITIVE"]),
        ("IN_PROGRESS", ["IDENTIFIED", "AWAITING_VALIDATION", "RISK_ACCEPTED", "FALSE_POSITIVE"]),
        (
            "CREATED",
            ["IDENTIFIED", "IN_PROGRESS", "AWAITING_VALIDATION", "RISK_ACCEPTED", "FALSE_POSITIVE"],
        ),
        ("RISK_ACCEPTED", ["IDENTIFIED"]),
        ("FALSE_POSITIVE", ["IDENTIFIED"]),
        ("FIX_ACCEPTED", ["IDENTIFIED"]),
    ],
)
def test_fix_accepted_is_never_permitted_and_final_statuses_only_reopen(
    current: str, permitted: list[str]
) -> None:
    assert permitted_statuses(current) == permitted


def test_scans_never_revert_a_final_status(conviso: ConvisoEmulator, asset: AssetRecord) -> None:
    accepted = conviso.seed_issue(asset_id=asset.id, status="RISK_ACCEPTED")
    assert conviso.scan_missed(accepted.id).status == "RISK_ACCEPTED"
    assert conviso.scan_found(accepted.id).status == "RISK_ACCEPTED"
    assert conviso.status_changes == []


def test_a_scan_that_still_finds_an_open_issue_changes_nothing(
    conviso: ConvisoEmulator, asset: AssetRecord
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id, status="IN_PROGRESS")
    assert conviso.scan_found(issue.id).updated_at == issue.updated_at


def test_updated_at_always_moves_forward_even_within_one_second() -> None:
    store = ConvisoStore()
    store.add_company(id="1")
    store.add_asset("1", id="2")
    issue = store.seed_issue(asset_id="2")
    first = store.update_issue(issue.id, severity="LOW")
    second = store.update_issue(issue.id, severity="MEDIUM")
    assert issue.updated_at < first.updated_at < second.updated_at


def test_a_person_can_set_any_status_in_the_ui(
    conviso: ConvisoEmulator, asset: AssetRecord
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.set_status(issue.id, "FIX_ACCEPTED", "marked fixed by hand")
    assert [(c.status, c.source) for c in conviso.status_changes] == [("FIX_ACCEPTED", "user")]


def test_queries_over_conviso_depth_limit_are_refused(conviso: ConvisoEmulator) -> None:
    nested = "projects { assets { " * 4 + "id" + " } }" * 4
    answer = _post(conviso, f'{{ asset(id: "45") {{ {nested} }} }}')  # depth 10: fine
    assert answer.status_code == 200
    assert "errors" not in answer.json()
    deeper = "projects { assets { " * 7 + "id" + " } }" * 7
    answer = _post(conviso, f'{{ asset(id: "45") {{ {deeper} }} }}')
    assert answer.json()["errors"][0]["message"] == (
        "Query has depth of 16, which exceeds max depth of 15"
    )
    assert "data" not in answer.json()


def test_invalid_documents_are_graphql_errors_on_a_200(conviso: ConvisoEmulator) -> None:
    answer = _post(conviso, '{ issue(id: "1") { nonsense } }')
    assert answer.status_code == 200
    assert "Cannot query field 'nonsense'" in answer.json()["errors"][0]["message"]
    assert _post(conviso, "{ issue(").json()["errors"][0]["message"].startswith("Syntax Error")


def test_projects_need_the_company_scope(conviso: ConvisoEmulator, asset: AssetRecord) -> None:
    conviso.add_project(COMPANY_ID, "Pentest 2026", [asset.id])
    scoped = _post(
        conviso,
        "query($c: ID) { projects(params: {scopeIdEq: $c}) { collection { label assets { name } } "
        "metadata { totalCount } } }",
        c=COMPANY_ID,
    ).json()
    assert scoped["data"]["projects"]["collection"] == [
        {"label": "Pentest 2026", "assets": [{"name": "payments-api"}]}
    ]
    unscoped = _post(conviso, "{ projects { metadata { totalCount } } }").json()
    assert unscoped["errors"][0]["message"].startswith("Scope - Resource not accessible")


def test_companies_and_assets_are_listed(conviso: ConvisoEmulator, asset: AssetRecord) -> None:
    data = _post(
        conviso,
        "query($c: ID!) { companies { collection { id label } } "
        "assets(companyId: $c) { collection { id name company { label } projects { id } } } }",
        c=COMPANY_ID,
    ).json()["data"]
    assert data["companies"]["collection"] == [{"id": COMPANY_ID, "label": "Fabrikam"}]
    assert data["assets"]["collection"] == [
        {"id": asset.id, "name": "payments-api", "company": {"label": "Fabrikam"}, "projects": []}
    ]


def test_issues_filter_by_status_and_report_page_metadata(
    conviso: ConvisoEmulator, asset: AssetRecord
) -> None:
    for status in ("IDENTIFIED", "IDENTIFIED", "DRAFT"):
        conviso.seed_issue(asset_id=asset.id, status=status)
    answer = _post(
        conviso,
        "query($c: ID!) { issues(companyId: $c, pagination: {page: 1, perPage: 1}, "
        "filters: {statuses: [IDENTIFIED]}) { collection { id __typename } "
        "metadata { currentPage limitValue totalCount totalPages } } }",
        c=COMPANY_ID,
    ).json()
    issues = answer["data"]["issues"]
    assert issues["metadata"] == {
        "currentPage": 1,
        "limitValue": 1,
        "totalCount": 2,
        "totalPages": 2,
    }
    assert issues["collection"][0]["__typename"] == "SastFinding"


def test_every_request_is_recorded_without_the_key(conviso: ConvisoEmulator) -> None:
    _post(conviso, "query Probe { companies { metadata { totalCount } } }")
    httpx.post(conviso.url, json={"query": "{ companies { metadata { totalCount } } }"})
    [probe, anonymous] = conviso.requests
    assert (probe.operation_name, probe.status_code, probe.authenticated) == ("Probe", 200, True)
    assert (anonymous.status_code, anonymous.authenticated) == (401, False)
    assert API_KEY not in repr(conviso.requests)


def test_the_rate_limit_answers_429_with_retry_after(conviso: ConvisoEmulator) -> None:
    conviso.rate_limit.limit = 2
    answers = [_post(conviso, "{ companies { metadata { totalCount } } }") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 0 < int(answers[2].headers["Retry-After"]) <= 60


def test_only_post_on_graphql_is_served(conviso: ConvisoEmulator) -> None:
    assert httpx.get(conviso.url).status_code == 405
    assert httpx.post(f"{conviso.base_url}/other", json={}).status_code == 404
    bad = httpx.post(conviso.url, content=b"not json", headers={"x-api-key": API_KEY})
    assert bad.status_code == 400


def test_seeding_refuses_types_the_emulator_does_not_serve(
    conviso: ConvisoEmulator, asset: AssetRecord
) -> None:
    with pytest.raises(ValueError, match="NETWORK_VULNERABILITY"):
        conviso.seed_issue(asset_id=asset.id, type="NETWORK_VULNERABILITY")
