"""Discovery: what an operator needs to write a configuration, read from Azure DevOps with
the integration's own credentials; Azure DevOps' refusals keep their status and message."""

from __future__ import annotations

from .conftest import Sync


def _get(sync: Sync, path: str) -> dict:
    answer = sync.api.get(f"/integrations/{sync.id}/discovery/{path}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_projects_teams_and_boards_are_listed(sync: Sync) -> None:
    sync.configure()
    projects = {p["name"] for p in _get(sync, "projects")["items"]}
    assert {"Fabrikam", "Payments"} <= projects
    teams = {t["name"] for t in _get(sync, "projects/Payments/teams")["items"]}
    assert "Payments Team" in teams
    boards = {
        b["name"] for b in _get(sync, "projects/Payments/teams/Payments Team/boards")["items"]
    }
    assert "Bugs" in boards


def test_a_board_shows_columns_with_state_mappings_lanes_and_its_fields(sync: Sync) -> None:
    sync.configure()
    board = _get(sync, "projects/Payments/teams/Payments Team/boards/Bugs")["board"]
    triage = next(c for c in board["columns"] if c["name"] == "Triage")
    assert triage["state_mappings"] == {"Bug": "New"} and triage["column_type"] == "incoming"
    lanes = {lane["name"] for lane in board["lanes"]}
    assert "Security" in lanes and None in lanes  # the default lane has no name
    assert board["fields"]["column"].endswith("_Kanban.Column")
    assert board["fields"]["lane"].endswith("_Kanban.Lane")


def test_work_item_types_and_their_states_with_categories(sync: Sync) -> None:
    sync.configure()
    types = {t["name"] for t in _get(sync, "projects/Fabrikam/workitemtypes")["items"]}
    assert "Bug" in types
    states = {
        s["name"]: s["category"]
        for s in _get(sync, "projects/Fabrikam/workitemtypes/Bug/states")["items"]
    }
    assert states["New"] == "Proposed" and states["Closed"] == "Completed"
    assert states["Active"] == "InProgress"


def test_a_project_azure_devops_does_not_know_is_a_404_with_its_message(sync: Sync) -> None:
    sync.configure()
    answer = sync.api.get(f"/integrations/{sync.id}/discovery/projects/Nowhere/teams")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "not_found" and "Nowhere" in error["message"]


def test_unknown_paths_and_integrations_are_json_4xx(sync: Sync) -> None:
    sync.configure()
    answer = sync.api.get(f"/integrations/{sync.id}/discovery/projects/Fabrikam/secrets")
    assert answer.status_code == 400 and "projects/{project}/teams" in answer.text
    missing = sync.api.get("/integrations/nobody/discovery/projects")
    assert missing.status_code == 404


def test_refused_credentials_are_a_424_not_the_callers_401(sync: Sync) -> None:
    sync.configure(auth={"mode": "pat", "pat": "wrong"})
    answer = sync.api.get(f"/integrations/{sync.id}/discovery/projects")
    assert answer.status_code == 424
    assert answer.json()["error"]["code"] == "azure_devops_auth" and "wrong" not in answer.text
