"""The client reads every list to its end, and reads a team's areas and classification nodes.

A small stub behind ``httpx.MockTransport`` stands in for Azure DevOps where the Boards
emulator is not needed: it pages as the real service does, and answers the new reads with
the official 7.1 examples (``../shared/specs``), so these tests pin the wire shapes.

Paging facts and their sources:
- teams: ``GET {org}/_apis/projects/{p}/teams`` takes ``$top``/``$skip`` (core.json
  ``Teams_Get Teams``) and answers 100 teams when ``$top`` is not given (Azure/azure-sdk-tools
  PR #181 "returns 100 teams by default"; microsoft/azure-boards-estimate#377);
- projects: ``GET {org}/_apis/projects`` answers 100 by default and names the next page in the
  ``x-ms-continuationtoken`` header, sent back as ``continuationToken`` (core.json
  ``Projects_List``; MicrosoftDocs/vsts-rest-api-specs#275).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_core.adapters.azure_devops import AzureDevOpsClient, PatAuth, RetryPolicy
from sync_core.adapters.azure_devops.models import TeamFieldValues

ORG = "fabrikam"
BASE = "https://ado.example"
#: The real default page size of both lists (sources above).
DEFAULT_PAGE = 100

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> AzureDevOpsClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return AzureDevOpsClient(
        organization=ORG, auth=PatAuth("pat"), base_url=BASE, http=http,
        retry=RetryPolicy(max_attempts=1), sleep=lambda _: None,
    )  # fmt: skip


def _listing(values: list[dict[str, Any]], **headers: str) -> httpx.Response:
    return httpx.Response(200, json={"count": len(values), "value": values}, headers=headers)


def _not_found(message: str) -> httpx.Response:
    return httpx.Response(404, json={"message": message, "typeKey": "NotFound"})


class TeamsStub:
    """``$top`` (default 100) and ``$skip`` over ``count`` teams, as the real service."""

    def __init__(self, count: int, *, ignores_skip: bool = False) -> None:
        self.teams = [{"id": f"t-{i}", "name": f"Team {i:03d}"} for i in range(count)]
        self.ignores_skip = ignores_skip
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/{ORG}/_apis/projects/Fabrikam/teams"
        query = dict(request.url.params)
        self.queries.append(query)
        top = int(query.get("$top", DEFAULT_PAGE))
        skip = 0 if self.ignores_skip else int(query.get("$skip", 0))
        return _listing(self.teams[skip : skip + top])


class ProjectsStub:
    """100 projects a page; the next page's token in ``x-ms-continuationtoken``."""

    def __init__(self, count: int) -> None:
        self.projects = [{"id": f"p-{i}", "name": f"Project {i:03d}"} for i in range(count)]
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/{ORG}/_apis/projects"
        query = dict(request.url.params)
        self.queries.append(query)
        start = int(query.get("continuationToken", 0))
        page = self.projects[start : start + DEFAULT_PAGE]
        after = start + len(page)
        headers = {"x-ms-continuationtoken": str(after)} if after < len(self.projects) else {}
        return _listing(page, **headers)


# ---------------------------------------------------------------------------- teams


def test_a_project_with_more_than_100_teams_is_read_to_its_last_team() -> None:
    stub = TeamsStub(250)
    with _client(stub) as client:
        teams = client.list_teams("Fabrikam")
    assert [t.name for t in teams] == [f"Team {i:03d}" for i in range(250)]
    assert [(q.get("$top"), q.get("$skip")) for q in stub.queries] == [
        ("100", "0"), ("100", "100"), ("100", "200"),
    ]  # fmt: skip
    assert all(q["api-version"] == "7.1" for q in stub.queries)


def test_a_team_past_the_first_page_is_found() -> None:
    with _client(TeamsStub(150)) as client:
        names = {t.name for t in client.list_teams("Fabrikam")}
    assert "Team 149" in names


def test_exactly_one_full_page_of_teams_asks_once_more_and_stops_at_the_empty_page() -> None:
    stub = TeamsStub(100)
    with _client(stub) as client:
        assert len(client.list_teams("Fabrikam")) == 100
    assert [q["$skip"] for q in stub.queries] == ["0", "100"]


def test_a_small_project_costs_one_request() -> None:
    stub = TeamsStub(3)
    with _client(stub) as client:
        assert len(client.list_teams("Fabrikam")) == 3
    assert len(stub.queries) == 1


def test_a_service_that_ignores_skip_does_not_loop_or_repeat_teams() -> None:
    stub = TeamsStub(250, ignores_skip=True)
    with _client(stub) as client:
        teams = client.list_teams("Fabrikam")
    assert len(teams) == 100 and len({t.id for t in teams}) == 100
    assert len(stub.queries) == 2


# ------------------------------------------------------------------------- projects


def test_projects_follow_the_continuation_token_to_the_last_page() -> None:
    stub = ProjectsStub(250)
    with _client(stub) as client:
        projects = client.list_projects()
    assert [p.name for p in projects] == [f"Project {i:03d}" for i in range(250)]
    assert [q.get("continuationToken") for q in stub.queries] == [None, "100", "200"]


def test_a_repeated_continuation_token_ends_the_listing() -> None:
    """A token that never moves on would loop forever: it ends the listing instead."""
    calls: list[str | None] = []

    def stuck(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params.get("continuationToken"))
        return _listing([{"id": "p-0", "name": "Only"}], **{"x-ms-continuationtoken": "same"})

    with _client(stuck) as client:
        assert [p.name for p in client.list_projects()] == ["Only"]
    assert calls == [None, "same"]


# ------------------------------------------------------------------ team field values


def _example(specs_dir: Path, relative: str) -> dict[str, Any]:
    path = specs_dir / "azure-devops" / relative
    return json.loads(path.read_text(encoding="utf-8-sig"))["responses"]["200"]["body"]


def test_team_field_values_reads_the_default_area_and_the_areas_of_the_official_example(
    specs_dir: Path,
) -> None:
    body = _example(
        specs_dir,
        "work/7.1/httpExamples/teamFieldValues/GET__work_teamsettings_teamfieldvalues.json",
    )
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=body)

    with _client(answer) as client:
        values = client.team_field_values("Fabrikam-Fiber", "Fiber Team")
    assert seen[0].raw_path.decode().split("?")[0] == (
        f"/{ORG}/Fabrikam-Fiber/Fiber%20Team/_apis/work/teamsettings/teamfieldvalues"
    )
    assert seen[0].params["api-version"] == "7.1"
    assert values.field_name == "System.AreaPath"
    assert values.default_value == "Fabrikam-Fiber\\Auto"
    assert [(v.value, v.include_children) for v in values.values] == [
        ("Fabrikam-Fiber\\Auto", False),
        ("Fabrikam-Fiber\\Fiber", False),
        ("Fabrikam-Fiber\\Optics", False),
    ]


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("Fabrikam\\Security", True),
        ("fabrikam\\security", True),  # area paths are case-insensitive
        ("Fabrikam\\Security\\Web", False),  # a child, but includeChildren is false
        ("Fabrikam\\Web", True),
        ("Fabrikam\\Web\\Api\\Login", True),  # under an area with includeChildren
        ("Fabrikam\\Website", False),  # a sibling that only shares a prefix
        ("Fabrikam", False),
        ("Payments\\Security", False),
    ],
)
def test_a_team_shows_its_areas_and_the_children_of_those_that_include_them(
    path: str, shown: bool
) -> None:
    values = TeamFieldValues.model_validate(
        {
            "field": {"referenceName": "System.AreaPath"},
            "defaultValue": "Fabrikam\\Security",
            "values": [
                {"value": "Fabrikam\\Security", "includeChildren": False},
                {"value": "Fabrikam\\Web", "includeChildren": True},
            ],
        }
    )
    assert values.shows(path) is shown


# --------------------------------------------------------------- classification nodes


@pytest.mark.parametrize(
    ("group", "path", "wire"),
    [
        ("Areas", "Fabrikam\\Security", "/Fabrikam/_apis/wit/classificationnodes/Areas/Security"),
        ("Areas", "Fabrikam", "/Fabrikam/_apis/wit/classificationnodes/Areas"),
        (
            "Iterations",
            "Fabrikam\\Release 1\\Sprint 2",
            "/Fabrikam/_apis/wit/classificationnodes/Iterations/Release%201/Sprint%202",
        ),
        (
            "Areas",
            "Fabrikam\\R&D #1?",
            "/Fabrikam/_apis/wit/classificationnodes/Areas/R%26D%20%231%3F",
        ),
    ],
)
def test_a_classification_node_is_asked_by_its_path_below_the_project(
    specs_dir: Path, group: str, path: str, wire: str
) -> None:
    body = _example(
        specs_dir,
        "wit/7.1/httpExamples/classificationNodes/GET__wit_classificationNodes_areas__areaPath_.json",
    )
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode().split("?")[0])
        return httpx.Response(200, json=body)

    with _client(answer) as client:
        assert client.classification_node_exists("Fabrikam", group, path) is True
    assert seen == [f"/{ORG}{wire}"]


def test_a_missing_classification_node_is_false_not_an_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return _not_found("VS402485: The node name 'Nope' could not be found")

    with _client(answer) as client:
        assert client.classification_node_exists("Fabrikam", "Areas", "Fabrikam\\Nope") is False


@pytest.mark.parametrize(
    "path", ["Payments\\Security", "Fabrikam\\\\Security", "Fabrikam\\Security\\", "", "\\"]
)
def test_a_path_outside_the_project_or_with_an_empty_node_cannot_exist_and_asks_nothing(
    path: str,
) -> None:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={"id": 1, "name": "x"})

    with _client(answer) as client:
        assert client.classification_node_exists("Fabrikam", "Areas", path) is False
    assert asked == []


def test_the_structure_group_is_areas_or_iterations() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request is made for an unknown group: {request.url}")

    with _client(answer) as client, pytest.raises(ValueError, match="Areas' or 'Iterations"):
        client.classification_node_exists("Fabrikam", "Teams", "Fabrikam")
