"""R17: the app creates the seed's two hooks per routed project itself, with Basic auth,
idempotently, and reports each one's status; the hooks it made really deliver."""

from __future__ import annotations

import pytest

from .conftest import Sync, ran, wait_until


@pytest.fixture
def public_url(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where Azure DevOps reaches the app: the development host itself."""
    monkeypatch.setenv("PUBLIC_BASE_URL", sync.host.url)
    monkeypatch.delenv("WEBSITE_HOSTNAME", raising=False)
    return sync.host.url


def _provision(sync: Sync) -> dict:
    answer = sync.api.post(f"/integrations/{sync.id}/service-hooks")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_provisioning_creates_both_hooks_per_project_and_a_second_call_changes_nothing(
    sync: Sync, public_url: str
) -> None:
    sync.configure()
    first = _provision(sync)
    assert first["ok"] and first["auth"] == "basic"
    made = {(s["project"], s["changed_fields"]): s for s in first["subscriptions"]}
    assert set(made) == {
        (p, f) for p in ("Fabrikam", "Payments") for f in ("System.BoardColumn", "System.State")
    }
    assert {s["action"] for s in made.values()} == {"created"}
    stored = list(sync.boards.subscriptions.items.values())
    assert len(stored) == 4
    for subscription in stored:
        assert subscription["eventType"] == "workitem.updated"
        assert subscription["consumerInputs"]["url"] == (
            f"{public_url}/api/integrations/{sync.id}/boards-webhook"
        )
        assert subscription["consumerInputs"]["basicAuthUsername"] == "boards"
    assert set(sync.boards.subscriptions.secrets.values()) == {"pw"}
    assert "pw" not in str(first)  # the password goes to Azure DevOps only
    sync.boards.clear_requests()
    second = _provision(sync)
    assert {s["action"] for s in second["subscriptions"]} == {"kept"}
    assert {s["id"] for s in second["subscriptions"]} == {s["id"] for s in made.values()}
    assert len(sync.boards.subscriptions.items) == 4
    assert not [r for r in sync.boards.requests if r.method == "POST"]


def test_the_hooks_it_made_deliver_a_card_move_to_conviso(sync: Sync, public_url: str) -> None:
    sync.configure()
    issue = sync.seed()
    ran(sync)
    _provision(sync)
    card = sync.work_items_of(issue)[0]
    sync.boards.move_card(card["id"], state="Active")
    wait_until(
        lambda: [
            c for c in sync.conviso.status_changes if c.issue_id == issue and c.source == "api"
        ]
    )
    assert sync.conviso.store.get_issue(issue).status == "IN_PROGRESS"


def test_status_of_existing_hooks_is_reported_and_shown_by_check_connection(
    sync: Sync, public_url: str
) -> None:
    sync.configure()
    _provision(sync)
    check = sync.api.post(f"/integrations/{sync.id}/check").json()
    hooks = [i for i in check["items"] if i["item"].startswith("service_hooks:")]
    assert len(hooks) == 4 and all(i["ok"] for i in hooks)
    probation = next(iter(sync.boards.subscriptions.items.values()))
    probation["status"] = "onProbation"
    again = _provision(sync)
    assert not again["ok"]
    statuses = {s["id"]: s["status"] for s in again["subscriptions"]}
    assert statuses[probation["id"]] == "onProbation"
    assert {s["action"] for s in again["subscriptions"]} == {"kept"}  # reported, not replaced
    check = sync.api.post(f"/integrations/{sync.id}/check").json()
    assert not all(i["ok"] for i in check["items"] if i["item"].startswith("service_hooks:"))


def test_without_basic_credentials_the_token_url_is_used_and_never_echoed(
    sync: Sync, public_url: str
) -> None:
    sync.configure(webhook={"token": "e2e-hook-token"})
    answer = _provision(sync)
    assert answer["auth"] == "token" and "e2e-hook-token" not in str(answer)
    urls = {s["consumerInputs"]["url"] for s in sync.boards.subscriptions.items.values()}
    assert urls == {f"{public_url}/api/integrations/{sync.id}/boards-webhook?token=e2e-hook-token"}


def test_without_a_public_url_the_hooks_point_where_the_request_arrived(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("WEBSITE_HOSTNAME", raising=False)
    sync.configure()
    answer = sync.api.post(f"/integrations/{sync.id}/service-hooks")
    assert answer.status_code == 200, answer.text
    assert answer.json()["url"] == f"{sync.host.url}/api/integrations/{sync.id}/boards-webhook"
    urls = {s["consumerInputs"]["url"] for s in sync.boards.subscriptions.items.values()}
    assert urls == {f"{sync.host.url}/api/integrations/{sync.id}/boards-webhook"}


def test_a_public_url_that_is_not_http_is_a_400_naming_the_setting(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "ftp://sync.example")
    sync.configure()
    answer = sync.api.post(f"/integrations/{sync.id}/service-hooks")
    assert answer.status_code == 400 and "PUBLIC_BASE_URL" in answer.json()["error"]["message"]
    assert sync.boards.subscriptions.items == {}


def test_website_hostname_gives_the_https_address_in_azure() -> None:
    from sync_core.service.hooks import public_base_url

    assert public_base_url({"WEBSITE_HOSTNAME": "sync.azurewebsites.net"}) == (
        "https://sync.azurewebsites.net"
    )
    assert public_base_url({"PUBLIC_BASE_URL": "https://x.example/", "WEBSITE_HOSTNAME": "y"}) == (
        "https://x.example"
    )
    assert public_base_url({}) is None
