"""The emulator behaves like Azure Boards: board rules, revisions, errors, service hooks."""

from __future__ import annotations

import base64

import httpx
import pytest

from localdev.boards_emulator import BoardsEmulator
from sync_core.adapters.azure_devops import AzureDevOpsClient, WorkItemUpdatedEvent

from .conftest import Receiver

COLUMN = "WEF_6CB513B6E70E43499D9FC94E5BBFB784_Kanban.Column"
PAYMENTS_COLUMN = "WEF_EB329F44FE5F4A94ACB1DA153FDF38BA_Kanban.Column"


def _bug(boards: BoardsEmulator, project: str = "Fabrikam", **fields) -> dict:
    return boards.create_work_item(project, "Bug", {"System.Title": "bug", **fields})


def _raw(boards: BoardsEmulator, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": boards.basic_auth_header(), **kwargs.pop("headers", {})}
    return httpx.request(method, boards.organization_url + path, headers=headers, **kwargs)


def test_writing_a_column_sets_the_state_it_maps_to(boards: BoardsEmulator) -> None:
    item = boards.move_card(_bug(boards)["id"], column="Testing")
    assert item["fields"]["System.State"] == "Resolved"
    assert item["fields"]["System.BoardColumn"] == "Testing"


def test_writing_a_state_keeps_a_column_that_already_maps_to_it(boards: BoardsEmulator) -> None:
    work_item_id = _bug(boards)["id"]
    boards.move_card(work_item_id, column="Code Review")
    item = boards.move_card(work_item_id, state="Active")
    assert item["fields"][COLUMN] == "Code Review"
    item = boards.move_card(work_item_id, state="Resolved")
    assert item["fields"][COLUMN] == "Testing"


def test_a_state_no_column_shows_takes_the_card_off_that_board(boards: BoardsEmulator) -> None:
    item = boards.move_card(_bug(boards, "Payments")["id"], state="Risk Accepted")
    assert PAYMENTS_COLUMN not in item["fields"]
    assert "System.BoardColumn" not in item["fields"]


def test_a_column_and_a_state_that_disagree_are_refused(boards: BoardsEmulator) -> None:
    work_item_id = _bug(boards)["id"]
    answer = _raw(
        boards, "PATCH", f"/_apis/wit/workitems/{work_item_id}", params={"api-version": "7.1"},
        headers={"Content-Type": "application/json-patch+json"},
        json=[{"op": "add", "path": f"/fields/{COLUMN}", "value": "Closed"},
              {"op": "add", "path": "/fields/System.State", "value": "Active"}],
    )  # fmt: skip
    assert answer.status_code == 400


def test_rev_increments_per_write_but_not_on_validate_only(boards: BoardsEmulator) -> None:
    work_item_id = _bug(boards)["id"]
    patch = [{"op": "add", "path": "/fields/System.Title", "value": "renamed"}]
    headers = {"Content-Type": "application/json-patch+json"}
    url = f"/_apis/wit/workitems/{work_item_id}"
    dry = _raw(boards, "PATCH", url, params={"api-version": "7.1", "validateOnly": "true"},
               headers=headers, json=patch)  # fmt: skip
    assert dry.json()["rev"] == 1
    real = _raw(boards, "PATCH", url, params={"api-version": "7.1"}, headers=headers, json=patch)
    assert real.json()["rev"] == 2


def test_tags_add_appends_and_replace_sets(boards: BoardsEmulator) -> None:
    work_item_id = _bug(boards, **{"System.Tags": "Tag0"})["id"]
    headers = {"Content-Type": "application/json-patch+json"}
    url, params = f"/_apis/wit/workitems/{work_item_id}", {"api-version": "7.1"}
    add = [{"op": "add", "path": "/fields/System.Tags", "value": "Tag1; Tag2"}]
    added = _raw(boards, "PATCH", url, params=params, headers=headers, json=add)
    assert added.json()["fields"]["System.Tags"] == "Tag0; Tag1; Tag2"
    replace = [{"op": "replace", "path": "/fields/System.Tags", "value": "Only"}]
    replaced = _raw(boards, "PATCH", url, params=params, headers=headers, json=replace)
    assert replaced.json()["fields"]["System.Tags"] == "Only"


def test_writes_need_an_api_version_and_the_json_patch_content_type(boards: BoardsEmulator) -> None:
    url = "/Fabrikam/_apis/wit/workitems/$Bug"
    patch = [{"op": "add", "path": "/fields/System.Title", "value": "t"}]
    no_version = _raw(boards, "POST", url, json=patch,
                      headers={"Content-Type": "application/json-patch+json"})  # fmt: skip
    assert no_version.status_code == 400
    assert no_version.json()["typeKey"] == "VssVersionNotSpecifiedException"
    wrong_type = _raw(boards, "POST", url, params={"api-version": "7.1"}, json=patch)
    assert wrong_type.status_code == 415


def test_lists_answer_count_and_value_and_basic_has_no_bug(boards: BoardsEmulator) -> None:
    states = _raw(boards, "GET", "/Northwind/_apis/wit/workitemtypes/Bug/states",
                  params={"api-version": "7.1"}).json()  # fmt: skip
    assert states["count"] == len(states["value"]) == 5
    assert [s["name"] for s in states["value"]][-2:] == ["Done", "Removed"]
    missing = _raw(boards, "GET", "/Tailspin/_apis/wit/workitemtypes/Bug/states",
                   params={"api-version": "7.1"})  # fmt: skip
    assert missing.status_code == 404


def test_a_persons_move_posts_a_workitem_updated_hook_with_auth_and_headers(
    boards: BoardsEmulator, receiver: Receiver
) -> None:
    boards.subscribe(receiver.url, changed_fields="System.State", basic_auth=("boards", "pw"),
                     headers={"X-Sync-Source": "ado"})  # fmt: skip
    work_item_id = _bug(boards)["id"]
    boards.move_card(work_item_id, column="Testing", by="Jamal Hartnett")
    assert boards.wait_for_deliveries()
    (delivery,) = receiver.received
    assert (
        delivery["headers"]["Authorization"] == "Basic " + base64.b64encode(b"boards:pw").decode()
    )
    assert delivery["headers"]["X-Sync-Source"] == "ado"
    payload = delivery["json"]
    assert payload["eventType"] == "workitem.updated"
    assert payload["resource"]["workItemId"] == work_item_id
    assert payload["resource"]["revisedBy"]["displayName"] == "Jamal Hartnett"
    assert payload["resource"]["fields"]["System.State"] == {
        "oldValue": "New",
        "newValue": "Resolved",
    }
    assert "System.Title" not in payload["resource"]["fields"]
    change = WorkItemUpdatedEvent.model_validate(payload).board_change(column_field=COLUMN)
    assert (change.state, change.column, change.rev) == ("Resolved", "Testing", 2)
    assert "System.BoardColumn" in change.changed_fields


def test_the_apps_own_writes_are_signed_by_its_service_identity(
    boards: BoardsEmulator, client: AzureDevOpsClient, receiver: Receiver
) -> None:
    boards.subscribe(receiver.url, changed_fields="System.BoardColumn")
    item = client.create_work_item("Fabrikam", "Bug", {"System.Title": "t"})
    client.update_work_item(item.id, expected_rev=item.rev, fields={COLUMN: "Active"})
    client.add_history_note(item.id, "only a note: no hook for a BoardColumn filter")
    assert boards.wait_for_deliveries()
    (payload,) = receiver.bodies()
    assert payload["resource"]["revisedBy"]["id"] == boards.service_identity_id


def test_transient_hook_failures_are_retried_and_enduring_ones_put_it_on_probation(
    boards: BoardsEmulator, receiver: Receiver
) -> None:
    subscription = boards.subscribe(receiver.url)
    receiver.answers.extend([503, 504])
    boards.move_card(_bug(boards)["id"], state="Active")
    assert boards.wait_for_deliveries()
    assert boards.deliveries[-1].status_codes == [503, 504, 202]
    assert boards.deliveries[-1].result == "succeeded"
    receiver.answers.append(500)
    boards.move_card(boards.deliveries[-1].work_item_id, state="Closed")
    assert boards.wait_for_deliveries()
    assert boards.deliveries[-1].status_codes == [500]
    assert boards.subscriptions.get(subscription["id"])["status"] == "onProbation"


def test_a_410_disables_the_subscription(boards: BoardsEmulator, receiver: Receiver) -> None:
    subscription = boards.subscribe(receiver.url)
    receiver.answers.append(410)
    boards.move_card(_bug(boards)["id"], state="Active")
    assert boards.wait_for_deliveries()
    assert boards.subscriptions.get(subscription["id"])["status"] == "disabledBySystem"


@pytest.mark.parametrize("project", ["Fabrikam", "Payments"])
def test_created_items_start_in_the_incoming_column(boards: BoardsEmulator, project: str) -> None:
    item = _bug(boards, project)
    assert item["fields"]["System.State"] == "New"
    assert item["fields"]["System.BoardColumn"] == ("New" if project == "Fabrikam" else "Triage")
