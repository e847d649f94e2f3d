"""The emulator refuses what Azure DevOps refuses (issue 17): each rule over real HTTP.

docs/real-service-rules.md lists the rules with their sources; the emulator's code names the
source at each rule. These tests drive the emulator the way the app does (JSON Patch over
HTTP with the PAT) or the way a person does (``move_card``), never its internals.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from localdev.boards_emulator import BoardsEmulator

from .conftest import Receiver

TEAM_COLUMN = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column"
TEAM_LANE = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Lane"
SECURITY = "WEF_F571AABFDCE945628B5E816FF5294898"
SECURITY_COLUMN = f"{SECURITY}_Kanban.Column"
SECURITY_DONE = f"{SECURITY}_Kanban.Column.Done"
SECURITY_LANE = f"{SECURITY}_Kanban.Lane"
PAYMENTS_COLUMN = "WEF_EB329F44FE5F4A94ACB1DA153FDF38BA_Kanban.Column"
RULE_TYPE = (
    "Microsoft.TeamFoundation.WorkItemTracking.WebApi.RuleValidationException, "
    "Microsoft.TeamFoundation.WorkItemTracking.WebApi"
)
PATCH = {"Content-Type": "application/json-patch+json"}
V = {"api-version": "7.1"}


def _call(boards: BoardsEmulator, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": boards.basic_auth_header(), **kwargs.pop("headers", {})}
    params = {**V, **kwargs.pop("params", {})}
    return _http().request(
        method, boards.organization_url + path, headers=headers, params=params, **kwargs
    )


@functools.cache
def _http() -> httpx.Client:
    """One client for the module: httpx.request builds a client, and a TLS context, per call."""
    return httpx.Client()


def _ops(fields: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in fields.items()]


def _create(
    boards: BoardsEmulator, fields: dict[str, Any], project: str = "Fabrikam", kind: str = "Bug",
    **params: str,
) -> httpx.Response:  # fmt: skip
    body = _ops({"System.Title": "SQL injection in /login", **fields})
    return _call(boards, "POST", f"/{project}/_apis/wit/workitems/${kind}", headers=PATCH,
                 json=body, params=params)  # fmt: skip


def _update(boards: BoardsEmulator, work_item_id: int, fields: dict[str, Any]) -> httpx.Response:
    return _call(boards, "PATCH", f"/_apis/wit/workitems/{work_item_id}", headers=PATCH,
                 json=_ops(fields))  # fmt: skip


def _error(answer: httpx.Response) -> tuple[int, str, str]:
    body = answer.json()
    return answer.status_code, body["typeKey"], body["message"]


def _wef(fields: dict[str, Any]) -> list[str]:
    return [k for k in fields if k.startswith("WEF_")]


# ------------------------------------------------- 1. creates only in the initial state


@pytest.mark.parametrize("state", ["Active", "Resolved", "Risk Accepted", "Closed"])
def test_a_create_in_a_state_other_than_the_initial_one_is_refused(
    boards: BoardsEmulator, state: str
) -> None:
    answer = _create(boards, {"System.State": state})
    assert _error(answer) == (
        400,
        "RuleValidationException",
        f"The field 'State' contains the value '{state}' that is not in the list of "
        "supported values",
    )
    assert answer.json()["typeName"] == RULE_TYPE
    assert boards.store.items == {}  # nothing was created, no id was used
    assert _create(boards, {}).json()["id"] == 1


def test_validate_only_refuses_a_non_initial_create_too(boards: BoardsEmulator) -> None:
    answer = _create(boards, {"System.State": "Active"}, validateOnly="true")
    assert answer.status_code == 400


def test_the_initial_state_is_the_first_proposed_one_not_any_proposed_one(
    boards: BoardsEmulator,
) -> None:
    approved = _create(boards, {"System.State": "Approved"}, "Northwind", "Product Backlog Item")
    assert _error(approved)[:2] == (400, "RuleValidationException")
    created = _create(boards, {"System.State": "New"}, "Northwind", "Product Backlog Item")
    assert created.json()["fields"]["System.State"] == "New"
    to_do = _create(boards, {}, "Northwind", "Task")
    assert to_do.json()["fields"]["System.State"] == "To Do"


def test_a_create_into_a_column_mapped_to_a_non_initial_state_is_refused(
    boards: BoardsEmulator,
) -> None:
    answer = _create(boards, {TEAM_COLUMN: "Testing"})
    assert _error(answer) == (
        400,
        "RuleValidationException",
        "The field 'State' contains the value 'Resolved' that is not in the list of "
        "supported values",
    )


def test_a_create_into_the_incoming_column_with_the_initial_state_is_taken(
    boards: BoardsEmulator,
) -> None:
    fields = _create(boards, {"System.State": "New", TEAM_COLUMN: "New"}).json()["fields"]
    assert (fields["System.State"], fields[TEAM_COLUMN]) == ("New", "New")


def test_a_create_without_a_state_starts_in_every_boards_incoming_column(
    boards: BoardsEmulator,
) -> None:
    fields = _create(boards, {"System.AreaPath": "Fabrikam\\Security"}).json()["fields"]
    assert fields["System.State"] == "New"
    assert fields["System.Reason"] == "New"
    assert (fields[TEAM_COLUMN], fields[SECURITY_COLUMN]) == ("New", "Reported")
    assert fields[SECURITY_DONE] is False


def test_the_emulators_own_create_helper_obeys_the_same_rule(boards: BoardsEmulator) -> None:
    with pytest.raises(Exception, match="not in the list of supported values"):
        boards.create_work_item("Fabrikam", "Bug", {"System.Title": "t", "System.State": "Closed"})


# ---------------------------------------- 2. teams, their areas, and which boards show what


def test_team_field_values_answer_the_teams_areas_in_the_official_shape(
    boards: BoardsEmulator, specs_dir: Path
) -> None:
    example = json.loads(
        (
            specs_dir / "azure-devops/work/7.1/httpExamples/teamFieldValues"
            / "GET__work_teamsettings_teamfieldvalues.json"
        ).read_text(encoding="utf-8-sig")
    )["responses"]["200"]["body"]  # fmt: skip
    security = _call(boards, "GET", "/Fabrikam/Fabrikam Security/_apis/work/teamsettings/"
                     "teamfieldvalues").json()  # fmt: skip
    assert security.keys() == example.keys()
    assert security["_links"].keys() == example["_links"].keys()
    assert security["field"]["referenceName"] == "System.AreaPath"
    assert security["defaultValue"] == "Fabrikam\\Security"
    assert security["values"] == [{"value": "Fabrikam\\Security", "includeChildren": True}]
    team = _call(boards, "GET", "/Fabrikam/Fabrikam Team/_apis/work/teamsettings/teamfieldvalues")
    assert team.json()["values"] == [{"value": "Fabrikam", "includeChildren": True}]
    payments = _call(boards, "GET", "/Payments/Payments Team/_apis/work/teamsettings/"
                     "teamfieldvalues")  # fmt: skip
    assert payments.json()["values"] == [{"value": "Payments", "includeChildren": False}]
    missing = _call(boards, "GET", "/Fabrikam/Nobody/_apis/work/teamsettings/teamfieldvalues")
    assert _error(missing)[:2] == (404, "TeamNotFoundException")


def test_the_second_team_has_its_own_board_with_its_own_wef_fields(
    boards: BoardsEmulator,
) -> None:
    teams = _call(boards, "GET", "/_apis/projects/Fabrikam/teams").json()["value"]
    assert [t["name"] for t in teams] == ["Fabrikam Team", "Fabrikam Security"]
    board = _call(boards, "GET", "/Fabrikam/Fabrikam Security/_apis/work/boards/Issues").json()
    assert board["fields"]["columnField"]["referenceName"] == SECURITY_COLUMN
    assert board["fields"]["doneField"]["referenceName"] == SECURITY_DONE
    assert board["fields"]["rowField"]["referenceName"] == SECURITY_LANE


@pytest.mark.parametrize(
    ("area", "on"),
    [
        ("Fabrikam", [TEAM_COLUMN]),
        ("Fabrikam\\Web", [TEAM_COLUMN]),
        ("Fabrikam\\Security", [TEAM_COLUMN, SECURITY_COLUMN]),
        ("Fabrikam\\Security\\Pentest", [TEAM_COLUMN, SECURITY_COLUMN]),
    ],
)
def test_a_work_item_carries_the_wef_fields_of_the_boards_that_show_its_area(
    boards: BoardsEmulator, area: str, on: list[str]
) -> None:
    fields = _create(boards, {"System.AreaPath": area}).json()["fields"]
    assert [k for k in _wef(fields) if k.endswith("_Kanban.Column")] == on


def test_an_area_no_team_shows_puts_the_item_on_no_board(boards: BoardsEmulator) -> None:
    """Payments Team shows ``Payments`` without its children: ``Payments\\Cards`` is on no
    board, so the item has no WEF field and no System.BoardColumn."""
    fields = _create(boards, {"System.AreaPath": "Payments\\Cards"}, "Payments").json()["fields"]
    assert _wef(fields) == []
    assert "System.BoardColumn" not in fields
    assert fields["System.State"] == "New"


@pytest.mark.parametrize("field", [SECURITY_COLUMN, SECURITY_DONE, SECURITY_LANE])
def test_writing_the_fields_of_a_board_that_does_not_show_the_item_is_refused(
    boards: BoardsEmulator, field: str
) -> None:
    value: Any = {SECURITY_COLUMN: "Reported", SECURITY_DONE: False, SECURITY_LANE: "Hotfix"}
    item = _create(boards, {}).json()
    status, type_key, message = _error(_update(boards, item["id"], {field: value[field]}))
    assert (status, type_key) == (400, "RuleValidationException")
    assert message.startswith(f"TF401326: Invalid field status 'ReadOnly' for field '{field}'.")
    assert "the board 'Issues' of team 'Fabrikam Security'" in message
    created = _create(boards, {field: value[field]})
    assert _error(created)[:2] == (400, "RuleValidationException")
    assert (
        "Work item -1 is not on the board 'Issues' of team 'Fabrikam Security'"
        in (created.json()["message"])
    )


def test_another_projects_board_field_is_refused_too(boards: BoardsEmulator) -> None:
    answer = _create(boards, {PAYMENTS_COLUMN: "Triage"})
    assert _error(answer)[:2] == (400, "RuleValidationException")
    assert "team 'Payments Team'" in answer.json()["message"]


def test_moving_the_area_adds_and_removes_boards_in_one_revision(boards: BoardsEmulator) -> None:
    item = _create(boards, {}).json()
    _update(boards, item["id"], {"System.State": "Active"})
    joined = _update(boards, item["id"], {"System.AreaPath": "Fabrikam\\Security"}).json()
    assert (joined["fields"][TEAM_COLUMN], joined["fields"][SECURITY_COLUMN]) == (
        "Active", "Fixing",
    )  # fmt: skip
    assert joined["fields"]["System.BoardColumn"] == "Fixing"  # the area's own team's board
    left = _update(boards, item["id"], {"System.AreaPath": "Fabrikam\\Web"}).json()
    assert _wef(left["fields"]) == [TEAM_COLUMN, f"{TEAM_COLUMN}.Done"]
    assert left["fields"]["System.BoardColumn"] == "Active"


def test_an_area_change_and_the_new_boards_column_may_go_in_one_patch(
    boards: BoardsEmulator,
) -> None:
    item = _create(boards, {}).json()
    moved = _update(boards, item["id"], {"System.AreaPath": "Fabrikam\\Security",
                                         SECURITY_COLUMN: "Verifying"}).json()  # fmt: skip
    assert moved["fields"]["System.State"] == "Resolved"
    assert moved["fields"][TEAM_COLUMN] == "Testing"


def test_classification_nodes_answer_the_node_in_the_official_shape(
    boards: BoardsEmulator, specs_dir: Path
) -> None:
    folder = specs_dir / "azure-devops/wit/7.1/httpExamples/classificationNodes"
    area_example, iteration_example = (
        json.loads((folder / name).read_text(encoding="utf-8-sig"))["responses"]["200"]["body"]
        for name in ("GET__wit_classificationNodes_areas__areaPath_.json",
                     "GET__wit_classificationNodes_iterations__iterationPath_.json")
    )  # fmt: skip
    area = _call(boards, "GET", "/Fabrikam/_apis/wit/classificationnodes/Areas/Security").json()
    assert area.keys() == area_example.keys()
    assert (area["name"], area["structureType"], area["hasChildren"]) == ("Security", "area", True)
    assert area["path"] == "\\Fabrikam\\Area\\Security"
    assert area["_links"].keys() == {"self", "parent"}
    sprint = _call(boards, "GET", "/Fabrikam/_apis/wit/classificationnodes/Iterations/Sprint 1")
    assert sprint.json().keys() == iteration_example.keys()
    assert sprint.json()["path"] == "\\Fabrikam\\Iteration\\Sprint 1"
    assert sprint.json()["attributes"] == {
        "startDate": "2026-01-05T00:00:00Z", "finishDate": "2026-01-16T00:00:00Z",
    }  # fmt: skip


def test_classification_nodes_root_depth_and_case(boards: BoardsEmulator) -> None:
    root = _call(boards, "GET", "/Fabrikam/_apis/wit/classificationnodes/areas",
                 params={"$depth": "2"}).json()  # fmt: skip
    assert (root["name"], root["path"]) == ("Fabrikam", "\\Fabrikam\\Area")
    assert [c["name"] for c in root["children"]] == ["Security", "Web"]
    assert [c["name"] for c in root["children"][0]["children"]] == ["Pentest"]
    deep = _call(boards, "GET", "/fabrikam/_apis/wit/classificationnodes/AREAS/security/PENTEST")
    assert (deep.status_code, deep.json()["name"]) == (200, "Pentest")
    roots = _call(boards, "GET", "/Fabrikam/_apis/wit/classificationnodes").json()
    assert [n["structureType"] for n in roots["value"]] == ["area", "iteration"]


@pytest.mark.parametrize(
    "path", ["/Areas/Nope", "/Areas/Security/Nope", "/Iterations/Sprint 9", "/Areas/Web/Security"]
)
def test_an_unknown_classification_node_is_a_404(boards: BoardsEmulator, path: str) -> None:
    answer = _call(boards, "GET", "/Fabrikam/_apis/wit/classificationnodes" + path)
    status, type_key, message = _error(answer)
    assert (status, type_key) == (404, "WorkItemTrackingTreeNodeNotFoundException")
    assert message.startswith("VS402485: The Area/Iteration name is not recognized: Fabrikam\\")


def test_a_structure_group_other_than_areas_or_iterations_is_a_400(
    boards: BoardsEmulator,
) -> None:
    answer = _call(boards, "GET", "/Fabrikam/_apis/wit/classificationnodes/Teams/Security")
    assert answer.status_code == 400
    assert "Areas or Iterations" in answer.json()["message"]


# --------------------------------------------------- 3. one WEF column field per board


def _on_both_boards(boards: BoardsEmulator) -> int:
    return int(_create(boards, {"System.AreaPath": "Fabrikam\\Security"}).json()["id"])


def test_the_wef_fields_come_one_board_after_another_in_team_order(
    boards: BoardsEmulator,
) -> None:
    work_item_id = _on_both_boards(boards)
    fields = boards.move_card(work_item_id, team="Fabrikam Team", lane="Expedite")["fields"]
    assert _wef(fields) == [
        TEAM_COLUMN, f"{TEAM_COLUMN}.Done", TEAM_LANE, SECURITY_COLUMN, SECURITY_DONE,
    ]  # fmt: skip


def test_a_state_change_moves_every_boards_card(boards: BoardsEmulator) -> None:
    work_item_id = _on_both_boards(boards)
    fields = _update(boards, work_item_id, {"System.State": "Resolved"}).json()["fields"]
    assert (fields[TEAM_COLUMN], fields[SECURITY_COLUMN]) == ("Testing", "Verifying")
    fields = _update(boards, work_item_id, {"System.State": "Risk Accepted"}).json()["fields"]
    assert (fields[TEAM_COLUMN], fields[SECURITY_COLUMN]) == ("Risk Accepted", "Accepted Risk")


def test_a_drag_on_one_board_sets_the_state_and_the_other_boards_follow_it(
    boards: BoardsEmulator,
) -> None:
    work_item_id = _on_both_boards(boards)
    fields = boards.move_card(work_item_id, team="Fabrikam Security", column="Verifying")["fields"]
    assert fields["System.State"] == "Resolved"
    assert (fields[SECURITY_COLUMN], fields[TEAM_COLUMN]) == ("Verifying", "Testing")


def test_a_drag_within_one_state_changes_only_that_boards_field(boards: BoardsEmulator) -> None:
    work_item_id = _on_both_boards(boards)
    boards.move_card(work_item_id, state="Active")
    before = boards.work_item(work_item_id)["fields"]
    after = boards.move_card(work_item_id, team="Fabrikam Team", column="Code Review")["fields"]
    changed = {k for k in after if after.get(k) != before.get(k)} - {
        "System.Rev", "System.ChangedDate", "System.AuthorizedDate", "System.Watermark",
    }  # fmt: skip
    assert changed == {TEAM_COLUMN}
    assert after[SECURITY_COLUMN] == "Fixing"


def test_two_boards_columns_that_disagree_are_refused(boards: BoardsEmulator) -> None:
    work_item_id = _on_both_boards(boards)
    answer = _update(boards, work_item_id, {TEAM_COLUMN: "Active", SECURITY_COLUMN: "Verifying"})
    assert _error(answer)[:2] == (400, "RuleValidationException")
    agreeing = _update(boards, work_item_id, {TEAM_COLUMN: "Testing", SECURITY_COLUMN: "Verifying"})
    assert agreeing.json()["fields"]["System.State"] == "Resolved"


@pytest.mark.parametrize(
    ("area", "shown_by"),
    [
        ("Fabrikam\\Security", SECURITY_COLUMN),
        ("Fabrikam\\Security\\Pentest", SECURITY_COLUMN),
        ("Fabrikam\\Web", TEAM_COLUMN),
        ("Fabrikam", TEAM_COLUMN),
    ],
)
def test_board_column_shows_the_board_of_the_team_whose_area_holds_the_item_closest(
    boards: BoardsEmulator, area: str, shown_by: str
) -> None:
    item = _create(boards, {"System.AreaPath": area}).json()
    fields = boards.move_card(item["id"], state="Active")["fields"]
    assert fields["System.BoardColumn"] == fields[shown_by]


def _updated_fields(receiver: Receiver) -> list[dict[str, Any]]:
    return [b["resource"]["fields"] for b in receiver.bodies()]


def test_a_state_change_hook_carries_every_boards_column_in_the_items_order(
    boards: BoardsEmulator, receiver: Receiver
) -> None:
    work_item_id = _on_both_boards(boards)
    boards.subscribe(receiver.url)
    boards.edit_work_item(work_item_id, {"System.State": "Active"})
    assert boards.wait_for_deliveries()
    (fields,) = _updated_fields(receiver)
    assert fields[TEAM_COLUMN] == {"oldValue": "New", "newValue": "Active"}
    assert fields[SECURITY_COLUMN] == {"oldValue": "Reported", "newValue": "Fixing"}
    assert [k for k in fields if k.endswith("_Kanban.Column")] == [TEAM_COLUMN, SECURITY_COLUMN]
    assert fields["System.BoardColumn"] == {"oldValue": "Reported", "newValue": "Fixing"}
    revision = receiver.bodies()[0]["resource"]["revision"]["fields"]
    assert (revision[TEAM_COLUMN], revision[SECURITY_COLUMN]) == ("Active", "Fixing")


def test_a_drag_on_another_teams_board_carries_that_boards_field_not_only_the_route_s(
    boards: BoardsEmulator, receiver: Receiver
) -> None:
    """The audit's W2: a reader of the first WEF field would see the other team's column."""
    work_item_id = _on_both_boards(boards)
    boards.move_card(work_item_id, state="Active")
    boards.move_card(work_item_id, team="Fabrikam Team", column="Code Review")
    boards.subscribe(receiver.url)
    boards.move_card(work_item_id, team="Fabrikam Security", column="Accepted Risk")
    assert boards.wait_for_deliveries()
    (fields,) = _updated_fields(receiver)
    assert fields["System.State"] == {"oldValue": "Active", "newValue": "Risk Accepted"}
    assert [k for k in fields if k.endswith("_Kanban.Column")] == [TEAM_COLUMN, SECURITY_COLUMN]
    assert fields[TEAM_COLUMN] == {"oldValue": "Code Review", "newValue": "Risk Accepted"}
    assert fields[SECURITY_COLUMN] == {"oldValue": "Fixing", "newValue": "Accepted Risk"}


def test_a_same_state_drag_hook_carries_only_the_dragged_boards_field(
    boards: BoardsEmulator, receiver: Receiver
) -> None:
    work_item_id = _on_both_boards(boards)
    boards.move_card(work_item_id, state="Active")
    boards.subscribe(receiver.url)
    boards.move_card(work_item_id, team="Fabrikam Team", column="Code Review")
    assert boards.wait_for_deliveries()
    (fields,) = _updated_fields(receiver)
    assert _wef(fields) == [TEAM_COLUMN]
    assert "System.State" not in fields
    assert "System.BoardColumn" not in fields  # it shows the Security board, which stayed


# ------------------------------------------------------------------------------ 4. paging


def test_teams_come_100_a_page_with_top_and_skip(boards: BoardsEmulator) -> None:
    names = boards.add_teams("Fabrikam", 150)
    url = "/_apis/projects/Fabrikam/teams"
    first = _call(boards, "GET", url).json()
    assert first["count"] == 100
    assert [t["name"] for t in first["value"][:3]] == ["Fabrikam Team", "Fabrikam Security",
                                                        names[0]]  # fmt: skip
    rest = _call(boards, "GET", url, params={"$skip": "100"}).json()
    assert [t["name"] for t in rest["value"]] == names[98:]
    window = _call(boards, "GET", url, params={"$top": "2", "$skip": "1"}).json()
    assert [t["name"] for t in window["value"]] == ["Fabrikam Security", names[0]]
    assert "x-ms-continuationtoken" not in _call(boards, "GET", url).headers


@pytest.mark.parametrize(
    ("name", "value"), [("$top", "abc"), ("$top", "0"), ("$skip", "-1"), ("$top", "1.5")]
)
def test_a_bad_page_parameter_is_a_400_naming_it(
    boards: BoardsEmulator, name: str, value: str
) -> None:
    answer = _call(boards, "GET", "/_apis/projects/Fabrikam/teams", params={name: value})
    assert answer.status_code == 400
    assert name in answer.json()["message"]


def test_projects_come_100_a_page_and_name_the_next_in_a_continuation_header(
    boards: BoardsEmulator,
) -> None:
    for n in range(120):
        boards.add_project(f"Project {n:03d}")
    first = _call(boards, "GET", "/_apis/projects")
    assert first.json()["count"] == 100
    assert first.headers["x-ms-continuationtoken"] == "100"
    second = _call(boards, "GET", "/_apis/projects", params={"continuationToken": "100"})
    assert [p["name"] for p in second.json()["value"]] == [
        f"Project {n:03d}" for n in range(96, 120)
    ]
    assert "x-ms-continuationtoken" not in second.headers
    small = _call(boards, "GET", "/_apis/projects", params={"$top": "3"})
    assert (small.json()["count"], small.headers["x-ms-continuationtoken"]) == (3, "3")
    bad = _call(boards, "GET", "/_apis/projects", params={"continuationToken": "x"})
    assert bad.status_code == 400


def test_a_small_organization_answers_one_page_without_a_token(boards: BoardsEmulator) -> None:
    answer = _call(boards, "GET", "/_apis/projects")
    assert answer.json()["count"] == 4
    assert "x-ms-continuationtoken" not in answer.headers


def test_reset_forgets_what_a_test_added(boards: BoardsEmulator) -> None:
    boards.add_teams("Payments", 3)
    boards.add_project("Extra")
    boards.reset()
    teams = _call(boards, "GET", "/_apis/projects/Payments/teams").json()
    assert [t["name"] for t in teams["value"]] == ["Payments Team"]
    assert _call(boards, "GET", "/_apis/projects/Extra").status_code == 404


def test_an_added_team_shows_no_item_of_another_area(boards: BoardsEmulator) -> None:
    boards.add_team("Fabrikam", "Web Team", areas=[("Fabrikam\\Web", False)])
    values = _call(boards, "GET", "/Fabrikam/Web Team/_apis/work/teamsettings/teamfieldvalues")
    assert values.json()["defaultValue"] == "Fabrikam\\Web"
    with pytest.raises(ValueError, match="names no area"):
        boards.add_team("Fabrikam", "Ghosts", areas=[("Fabrikam\\Ghosts", True)])


# --------------------------------------------------- 5. unknown area and iteration paths


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("System.AreaPath", "Fabrikam\\Nope"),
        ("System.AreaPath", "Payments"),
        ("System.AreaPath", "Fabrikam\\"),
        ("System.AreaPath", "\\Fabrikam"),
        ("System.AreaPath", "Fabrikam%20Team"),
        ("System.IterationPath", "Fabrikam\\Sprint 9"),
        ("System.IterationPath", "Fabrikam\\Security"),
    ],
)
def test_an_unknown_path_on_create_is_tf401347_for_work_item_minus_one(
    boards: BoardsEmulator, field: str, value: str
) -> None:
    answer = _create(boards, {field: value})
    assert _error(answer) == (
        400,
        "WorkItemFieldInvalidTreeNameException",
        f"TF401347: Invalid tree name given for work item -1, field '{field}'.",
    )


def test_an_unknown_path_on_update_names_the_work_item(boards: BoardsEmulator) -> None:
    work_item_id = _create(boards, {}).json()["id"]
    answer = _update(boards, work_item_id, {"System.AreaPath": "Fabrikam\\Mobile"})
    assert _error(answer)[2] == (
        f"TF401347: Invalid tree name given for work item {work_item_id}, field 'System.AreaPath'."
    )


def test_known_paths_are_taken_case_insensitively_and_stored_as_the_node_spells_them(
    boards: BoardsEmulator,
) -> None:
    paths = {"System.AreaPath": "fabrikam\\SECURITY\\pentest",
             "System.IterationPath": "FABRIKAM\\sprint 2"}  # fmt: skip
    fields = _create(boards, paths).json()["fields"]
    assert fields["System.AreaPath"] == "Fabrikam\\Security\\Pentest"
    assert fields["System.IterationPath"] == "Fabrikam\\Sprint 2"
    default = _create(boards, {}).json()["fields"]
    assert (default["System.AreaPath"], default["System.IterationPath"]) == ("Fabrikam",) * 2
