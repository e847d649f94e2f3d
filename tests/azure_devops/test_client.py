"""The Azure DevOps client against the emulator over real HTTP: data, limits and errors."""

from __future__ import annotations

import base64

import httpx
import pytest

from localdev.boards_emulator import BoardsEmulator
from sync_core.adapters.azure_devops import (
    AuthenticationError,
    AzureDevOpsClient,
    BearerTokenAuth,
    ConfigurationError,
    PatAuth,
    RevisionConflict,
    TransientError,
    WorkItemNotFound,
    work_item_view,
)
from sync_core.rules.vocabulary import StateCategory

from .conftest import FakeClock, make_client

FABRIKAM = ("Fabrikam", "Fabrikam Team", "Issues", "Bug")
PAYMENTS = ("Payments", "Payments Team", "Bugs", "Bug")


def _new_bug(client: AzureDevOpsClient, title: str = "[Conviso #1] SQL injection", **fields):
    return client.create_work_item(
        "Fabrikam", "Bug", {"System.Title": title, **fields},
        tags=["conviso", "conviso-vuln-1"], hyperlink="https://app.convisoappsec.com/issues/1",
    )  # fmt: skip


def _calls(boards: BoardsEmulator, method: str, fragment: str) -> int:
    return sum(1 for r in boards.requests if r.method == method and fragment in r.path.lower())


# ---------------------------------------------------------------- auth and identity


def test_pat_is_basic_auth_with_an_empty_user_name_and_stays_out_of_repr() -> None:
    auth = PatAuth("s3cret-pat")
    scheme, token = auth.authorization().split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == ":s3cret-pat"
    assert "s3cret" not in repr(auth)


def test_every_request_suppresses_the_sign_in_redirect_and_records_no_credentials(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    client.list_projects()
    (request,) = boards.requests
    assert request.headers["X-Tfs-Fedauthredirect"] == "Suppress"
    assert not any(k.lower() == "authorization" for k in request.headers)
    assert boards.pat not in repr(request)


def test_current_identity_is_the_service_identity_that_signs_the_apps_writes(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    identity = client.current_identity()
    assert identity.id == boards.service_identity_id
    assert identity.name == "Conviso Sync"
    item = _new_bug(client)
    assert item.fields["System.ChangedBy"]["id"] == identity.id


def test_a_bearer_token_provider_is_asked_on_every_request(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    boards.accept_bearer_token("entra-token")
    asked: list[int] = []

    def provider() -> str:
        asked.append(1)
        return "entra-token"

    with make_client(boards, clock, auth=BearerTokenAuth(provider)) as client:
        client.check_connection()
        client.list_projects()
    assert len(asked) == 2


@pytest.mark.parametrize("mode", ["signin_203", "unauthorized_401", "redirect_302"])
def test_a_wrong_pat_is_an_authentication_failure_never_data_and_never_retried(
    boards: BoardsEmulator, clock: FakeClock, mode: str
) -> None:
    boards.set_auth_failure(mode)  # type: ignore[arg-type]
    with (
        make_client(boards, clock, auth=PatAuth("wrong")) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.list_projects()
    assert "wrong" not in str(caught.value)
    assert len(boards.requests) == 1
    assert clock.sleeps == []


def test_an_html_page_answered_with_200_is_an_authentication_failure(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    def sign_in(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, html="<html><body>Sign in</body></html>")

    http = httpx.Client(transport=httpx.MockTransport(sign_in))
    with make_client(boards, clock, http=http) as client, pytest.raises(AuthenticationError):
        client.list_projects()


# ------------------------------------------------------------------------ discovery


def test_discovery_lists_projects_teams_boards_columns_lanes_types(
    client: AzureDevOpsClient,
) -> None:
    assert {p.name for p in client.list_projects()} >= {"Fabrikam", "Payments", "Northwind"}
    assert [t.name for t in client.list_teams("Payments")] == ["Payments Team"]
    assert [b.name for b in client.list_boards("Payments", "Payments Team")] == ["Bugs"]
    columns = client.board_columns(*PAYMENTS[:3])
    assert columns[0].name == "Triage" and columns[0].state_mappings == {"Bug": "New"}
    assert [r.name for r in client.board_rows(*PAYMENTS[:3])] == [None, "Security"]
    assert "Issue" in {t.name for t in client.work_item_types("Tailspin")}
    assert "Bug" not in {t.name for t in client.work_item_types("Tailspin")}


def test_teams_past_the_first_page_of_100_are_listed(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    for i in range(230):
        boards.world.add_team("Tailspin", f"Squad {i:03d}")
    names = [t.name for t in client.list_teams("Tailspin")]
    assert len(names) == 231 and len(set(names)) == 231
    assert "Squad 229" in names
    assert _calls(boards, "GET", "/teams") == 3


def test_team_field_values_name_the_default_area_and_the_areas_with_their_children(
    client: AzureDevOpsClient,
) -> None:
    security = client.team_field_values("Fabrikam", "Fabrikam Security")
    assert security.field_name == "System.AreaPath"
    assert security.default_value == "Fabrikam\\Security"
    assert [(v.value, v.include_children) for v in security.values] == [
        ("Fabrikam\\Security", True)
    ]
    assert security.shows("Fabrikam\\Security\\Pentest")
    assert not security.shows("Fabrikam\\Web")
    payments = client.team_field_values("Payments", "Payments Team")
    assert payments.shows("Payments") and not payments.shows("Payments\\Cards")


def test_team_field_values_of_an_unknown_team_is_a_configuration_error(
    client: AzureDevOpsClient,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        client.team_field_values("Fabrikam", "Nope Team")
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("group", "path", "exists"),
    [
        ("Areas", "Fabrikam", True),
        ("Areas", "Fabrikam\\Security", True),
        ("Areas", "Fabrikam\\Security\\Pentest", True),
        ("Areas", "fabrikam\\web", True),
        ("Areas", "Fabrikam\\Nope", False),
        ("Areas", "Payments\\Security", False),
        ("Iterations", "Fabrikam", True),
        ("Iterations", "Fabrikam\\Sprint 2", True),
        ("Iterations", "Fabrikam\\Sprint 9", False),
        ("Iterations", "Fabrikam\\Web", False),
    ],
)
def test_classification_nodes_exist_by_their_full_path(
    client: AzureDevOpsClient, group: str, path: str, exists: bool
) -> None:
    assert client.classification_node_exists("Fabrikam", group, path) is exists


def test_board_layout_reads_the_boards_own_fields_columns_lanes_and_states(
    client: AzureDevOpsClient,
) -> None:
    layout = client.board_layout(*FABRIKAM)
    assert layout.column_field.startswith("WEF_") and layout.column_field.endswith("_Kanban.Column")
    assert layout.lane_field and layout.lane_field.endswith("_Kanban.Lane")
    assert layout.done_field and layout.done_field.endswith("_Kanban.Column.Done")
    assert layout.lanes == (None, "Expedite")
    assert layout.column("Testing") and layout.column("Testing").is_split
    assert layout.states["Risk Accepted"] == StateCategory.RESOLVED
    assert layout.completed_state() == "Closed"


def test_an_unknown_project_is_a_configuration_error_with_azure_devops_message(
    client: AzureDevOpsClient,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        client.board_layout("Nope", "Nope Team", "Issues", "Bug")
    assert caught.value.status == 404
    assert "TF200016" in caught.value.message
    assert caught.value.type_key == "ProjectDoesNotExistWithNameException"


# ----------------------------------------------------------------------- work items


def test_create_puts_column_lane_tags_link_and_history_in_one_request(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    layout = client.board_layout(*PAYMENTS)
    item = client.create_work_item(
        "Payments", "Bug",
        {"System.Title": "[Conviso #7] XSS", layout.column_field: "Triage",
         layout.lane_field: "Security", "Microsoft.VSTS.Common.Priority": 1},
        tags=["conviso", "conviso-vuln-7"], hyperlink="https://app.convisoappsec.com/issues/7",
        history="<p>Created by the Conviso sync.</p>",
    )  # fmt: skip
    assert _calls(boards, "POST", "/_apis/wit/workitems/$bug") == 1
    view = work_item_view(item, layout)
    assert (view.state, view.column, view.lane, view.priority) == ("New", "Triage", "Security", 1)
    assert view.tags == {"conviso", "conviso-vuln-7"}
    assert item.relations[0].rel == "Hyperlink"
    assert item.relations[0].url == "https://app.convisoappsec.com/issues/7"


def test_update_is_one_patch_guarded_by_test_rev(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    layout = client.board_layout(*FABRIKAM)
    item = _new_bug(client)
    moved = client.update_work_item(
        item.id, expected_rev=item.rev, fields={layout.column_field: "Testing"}, history="moved"
    )
    (patch,) = [r.body for r in boards.requests if r.method == "PATCH"]
    assert patch[0] == {"op": "test", "path": "/rev", "value": item.rev}
    assert moved.rev == item.rev + 1
    assert work_item_view(moved, layout).state == "Resolved"


def test_a_stale_rev_is_a_revision_conflict_and_is_never_retried(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    item = _new_bug(client)
    boards.move_card(item.id, state="Active")
    with pytest.raises(RevisionConflict) as caught:
        client.update_work_item(item.id, expected_rev=item.rev, fields={"System.State": "Closed"})
    assert (caught.value.work_item_id, caught.value.expected_rev) == (item.id, item.rev)
    assert _calls(boards, "PATCH", "/_apis/wit/workitems/") == 1
    assert clock.sleeps == []


def test_writing_system_board_column_is_a_read_only_field_error(client: AzureDevOpsClient) -> None:
    item = _new_bug(client)
    with pytest.raises(ConfigurationError) as caught:
        client.update_work_item(
            item.id, expected_rev=item.rev, fields={"System.BoardColumn": "Testing"}
        )
    assert caught.value.status == 400
    assert caught.value.message.startswith("TF401326")
    assert caught.value.type_key == "RuleValidationException"


def test_a_state_the_type_does_not_have_is_a_configuration_error(client: AzureDevOpsClient) -> None:
    item = _new_bug(client)
    with pytest.raises(ConfigurationError, match="TF401320"):
        client.update_work_item(item.id, expected_rev=item.rev, fields={"System.State": "Done"})


def test_get_of_a_deleted_item_is_work_item_not_found_and_batch_leaves_it_out(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    kept, gone = _new_bug(client, "kept"), _new_bug(client, "gone")
    boards.delete_work_item(gone.id)
    with pytest.raises(WorkItemNotFound) as caught:
        client.get_work_item(gone.id)
    assert caught.value.work_item_id == gone.id and "TF401232" in caught.value.message
    with pytest.raises(WorkItemNotFound):
        client.update_work_item(gone.id, expected_rev=gone.rev, fields={"System.State": "Active"})
    assert [w.id for w in client.get_work_items([kept.id, gone.id])] == [kept.id]


def test_batch_get_asks_at_most_200_ids_per_request(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    item = _new_bug(client)
    found = client.get_work_items([item.id, *range(10_000, 10_250)])
    assert [w.id for w in found] == [item.id]
    sizes = [len(r.body["ids"]) for r in boards.requests if "workitemsbatch" in r.path.lower()]
    assert sizes == [200, 51]


def test_find_by_tag_matches_whole_tags_in_the_project_only(client: AzureDevOpsClient) -> None:
    first = _new_bug(client)
    client.create_work_item(
        "Fabrikam", "Bug", {"System.Title": "other"}, tags=["conviso-vuln-12"]
    )  # fmt: skip
    client.create_work_item("Payments", "Bug", {"System.Title": "p"}, tags=["conviso-vuln-1"])
    assert client.find_work_items_by_tag("Fabrikam", "conviso-vuln-1") == [first.id]
    assert client.find_work_items_by_tag("Fabrikam", "it's-quoted") == []


def test_a_history_note_adds_a_revision_without_a_rev_guard(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    item = _new_bug(client)
    noted = client.add_history_note(item.id, "<p>Assessment completed</p>")
    assert noted.rev == item.rev + 1
    assert noted.fields["System.History"] == "<p>Assessment completed</p>"
    (patch,) = [r.body for r in boards.requests if r.method == "PATCH"]
    assert all(op["op"] != "test" for op in patch)


def test_subscriptions_are_created_with_basic_auth_and_listed_without_the_password(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    project = next(p for p in client.list_projects() if p.name == "Fabrikam")
    created = client.create_subscription(
        project_id=project.id, url="https://sync.example/api/integrations/1/boards-webhook",
        changed_fields="System.BoardColumn", basic_username="boards", basic_password="hook-pw",
    )  # fmt: skip
    assert created.status == "enabled"
    (listed,) = client.list_subscriptions(event_type="workitem.updated")
    assert listed.id == created.id
    assert listed.publisher_inputs["changedFields"] == "System.BoardColumn"
    assert listed.consumer_inputs["basicAuthPassword"] != "hook-pw"
    assert "hook-pw" not in repr(boards.requests)


# --------------------------------------------------------------------------- limits


def test_a_429_burst_is_retried_after_each_retry_after(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    boards.inject_status(429, times=3, retry_after=2)
    assert client.list_projects()
    assert clock.sleeps == [2, 2, 2]
    assert _calls(boards, "GET", "/_apis/projects") == 4


def test_a_5xx_burst_is_retried_with_bounded_exponential_backoff(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    boards.inject_status(503, times=2)
    boards.inject_status(500, times=2)
    assert client.board_layout(*FABRIKAM)
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]  # jitter pinned to 100 %


def test_a_persistent_5xx_becomes_a_transient_error_after_the_last_attempt(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    boards.inject_status(502, times=99)
    with pytest.raises(TransientError) as caught:
        client.list_projects()
    assert caught.value.status == 502
    assert _calls(boards, "GET", "/_apis/projects") == 5
    assert max(clock.sleeps) <= 4.0


def test_a_create_answered_5xx_is_not_retried_and_may_have_happened(
    boards: BoardsEmulator, client: AzureDevOpsClient
) -> None:
    boards.inject_status(500, method="POST", path="/workitems/$")
    with pytest.raises(TransientError) as caught:
        _new_bug(client)
    assert caught.value.may_have_succeeded
    assert _calls(boards, "POST", "/workitems/$") == 1


def test_a_create_answered_429_is_retried_because_it_never_happened(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    boards.inject_status(429, retry_after=1, method="POST", path="/workitems/$")
    assert _new_bug(client).id
    assert clock.sleeps == [1]


def test_a_dropped_connection_is_retried(boards: BoardsEmulator, client: AzureDevOpsClient) -> None:
    boards.inject_drop(method="GET", path="/_apis/projects")
    assert client.list_projects()
    assert _calls(boards, "GET", "/_apis/projects") == 2


def test_a_timeout_is_retried(boards: BoardsEmulator, clock: FakeClock) -> None:
    # the first answer comes after the client gave up; the retry's must not: 0.5 s leaves a
    # loaded machine room (0.1 s did not: a retry timed out too, and was retried again)
    boards.inject_latency(1.0, path="/_apis/projects")
    http = httpx.Client(timeout=0.5)
    with make_client(boards, clock, http=http) as client:
        assert client.list_projects()
    http.close()
    assert len(clock.sleeps) == 1


def test_retry_after_on_a_200_makes_the_next_request_wait(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    boards.inject_headers({"Retry-After": "3"})
    client.list_projects()
    assert clock.sleeps == []
    client.list_projects()
    assert clock.sleeps == [3]


def test_x_ratelimit_delay_slows_the_next_request(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    boards.inject_headers({"X-RateLimit-Delay": "0.250", "X-RateLimit-Remaining": "0"})
    client.list_projects()
    client.list_projects()
    assert clock.sleeps == [0.25]


def test_a_retry_after_longer_than_the_budget_is_handed_back_to_the_caller(
    boards: BoardsEmulator, client: AzureDevOpsClient, clock: FakeClock
) -> None:
    boards.inject_status(429, retry_after=300)
    with pytest.raises(TransientError) as caught:
        client.list_projects()
    assert caught.value.retry_after == 300
    assert clock.sleeps == []
