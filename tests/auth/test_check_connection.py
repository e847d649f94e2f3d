"""R16: check connection reports every dependency item by item, each failure kind named;
a passing check resumes paused routes (R14)."""

from __future__ import annotations

from typing import Any

import pytest

from sync_core import bootstrap
from sync_core.rules import IntegrationConfig
from tests.harness import Sync, example_config

EVERY_KIND = (
    "authentication",
    "organization",
    "project:Fabrikam",
    "team:Fabrikam/Fabrikam Team",
    "board:Fabrikam/Fabrikam Team/Issues",
    "work_item_type:Fabrikam/Bug",
    "state:Fabrikam/Bug/New",
    "state:Fabrikam/Bug/Risk Accepted",
    "column:Fabrikam/Fabrikam Team/Issues/Testing",
    "lane:Payments/Payments Team/Bugs/Security",
    "route:default",
    "route:asset-45",
    "service_hooks:Fabrikam/System.State",
    "service_hooks:Fabrikam/System.BoardColumn",
    "service_hooks:Payments/System.State",
    "conviso:api_key",
    "conviso:company",
    "conviso:issues",
)
FABRIKAM_ROUTE = 0
PAYMENTS_ROUTE = 1


def store_config(sync: Sync, **changes: Any) -> None:
    """Save a configuration as if the organization changed after it was checked on PUT."""
    config = IntegrationConfig.model_validate(example_config(sync.boards, **changes))
    bootstrap.context().state.integrations.put(sync.id, config)


def with_route(sync: Sync, index: int, **changes: Any) -> list[dict[str, Any]]:
    routes = example_config(sync.boards)["routes"]
    routes[index] = {**routes[index], **changes}
    return routes


def check(sync: Sync) -> dict[str, Any]:
    answer = sync.api.post(f"/integrations/{sync.id}/check")
    assert answer.status_code == 200, answer.text
    return answer.json()


def items(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["item"]: i for i in report["items"]}


def failed(report: dict[str, Any]) -> dict[str, str]:
    return {i["item"]: i["reason"] for i in report["items"] if not i["ok"]}


def test_a_healthy_integration_passes_every_item(sync: Sync) -> None:
    sync.configure()
    sync.subscribe_hooks()
    report = check(sync)
    assert failed(report) == {}
    assert report["ok"] is True
    assert set(EVERY_KIND) <= set(items(report))
    assert any("check connection: " in d["message"] for d in sync.deliveries())


def test_bad_credentials_fail_authentication_and_stop_there(sync: Sync) -> None:
    store_config(sync, auth={"mode": "pat", "pat": "not-the-pat"})
    report = check(sync)
    assert report["ok"] is False
    # Azure DevOps stops at authentication; Conviso, independent of it, is still checked.
    azure_devops = [i for i in items(report) if not i.startswith("conviso:")]
    assert azure_devops == ["authentication"]
    assert "not-the-pat" not in str(report)


def test_unknown_organization_is_its_own_failure(sync: Sync) -> None:
    store_config(sync, organization="contoso")
    report = check(sync)
    assert set(failed(report)) == {"authentication", "organization"}
    assert "contoso" in failed(report)["organization"]


@pytest.mark.parametrize(
    ("index", "changes", "item"),
    [
        (PAYMENTS_ROUTE, {"project": "Nope"}, "project:Nope"),
        (PAYMENTS_ROUTE, {"team": "Nope Team"}, "team:Payments/Nope Team"),
        (PAYMENTS_ROUTE, {"board": "Nope"}, "board:Payments/Payments Team/Nope"),
        (PAYMENTS_ROUTE, {"work_item_type": "NoSuchType"}, "work_item_type:Payments/NoSuchType"),
        (PAYMENTS_ROUTE, {"lane": "Nope"}, "lane:Payments/Payments Team/Bugs/Nope"),
        (
            FABRIKAM_ROUTE,
            {"status_map": {"IDENTIFIED": {"state": "New"}, "IN_PROGRESS": {"state": "Doing"}}},
            "state:Fabrikam/Bug/Doing",
        ),
        (
            FABRIKAM_ROUTE,
            {
                "status_map": {
                    "IDENTIFIED": {"state": "New"},
                    "AWAITING_VALIDATION": {"column": "QA"},
                }
            },
            "column:Fabrikam/Fabrikam Team/Issues/QA",
        ),
    ],
)
def test_each_missing_thing_is_named_with_its_reason(
    sync: Sync, index: int, changes: dict[str, Any], item: str
) -> None:
    store_config(sync, routes=with_route(sync, index, **changes))
    sync.subscribe_hooks()
    report = check(sync)
    problems = failed(report)
    assert item in problems, problems
    assert problems[item]
    assert report["ok"] is False
    assert items(report)["authentication"]["ok"] is True


@pytest.mark.parametrize(
    ("index", "changes", "item", "words"),
    [
        (
            FABRIKAM_ROUTE,
            {"area_path": "Fabrikam\\Nope"},
            "area_path:Fabrikam/Fabrikam\\Nope",
            "does not exist",
        ),
        (
            PAYMENTS_ROUTE,
            {"iteration_path": "Payments\\Sprint 9"},
            "iteration_path:Payments/Payments\\Sprint 9",
            "does not exist",
        ),
        (
            PAYMENTS_ROUTE,  # exists, but Payments Team shows only Payments itself
            {"area_path": "Payments\\Cards"},
            "area_shown:Payments/Payments Team/Payments\\Cards",
            "does not show",
        ),
    ],
)
def test_area_and_iteration_paths_are_reported_item_by_item(
    sync: Sync, index: int, changes: dict[str, Any], item: str, words: str
) -> None:
    store_config(sync, routes=with_route(sync, index, **changes))
    sync.subscribe_hooks()
    report = check(sync)
    problems = failed(report)
    assert list(problems) == [item], problems
    path = next(iter(changes.values()))
    assert words in problems[item] and f"'{path}'" in problems[item]


def test_paths_that_exist_and_the_team_shows_pass_each_its_own_item(sync: Sync) -> None:
    routes = with_route(
        sync, FABRIKAM_ROUTE, area_path="Fabrikam\\Security\\Pentest",
        iteration_path="Fabrikam\\Sprint 1",
    )  # fmt: skip
    store_config(sync, routes=routes)
    sync.subscribe_hooks()
    report = check(sync)
    assert failed(report) == {}
    found = items(report)
    for item in (
        "area_path:Fabrikam/Fabrikam\\Security\\Pentest",
        "area_shown:Fabrikam/Fabrikam Team/Fabrikam\\Security\\Pentest",
        "iteration_path:Fabrikam/Fabrikam\\Sprint 1",
    ):
        assert found[item]["ok"] is True, found
    assert not any(i.startswith(("area", "iteration")) and "Payments" in i for i in found)


def test_a_team_past_the_first_page_of_100_is_found(sync: Sync) -> None:
    """Teams come 100 at a time ($top/$skip): team 121 is not "missing"."""
    for i in range(120):
        sync.boards.world.add_team("Payments", f"Squad {i:03d}")
    store_config(sync, routes=with_route(sync, PAYMENTS_ROUTE, team="Squad 119"))
    report = items(check(sync))
    assert report["team:Payments/Squad 119"]["ok"] is True, report
    assert report["board:Payments/Squad 119/Bugs"]["ok"] is False  # it has no board


def test_missing_service_hooks_fail_and_their_reason_hides_the_token(sync: Sync) -> None:
    sync.configure()
    report = check(sync)
    problems = failed(report)
    assert set(problems) == {
        "service_hooks:Fabrikam/System.State", "service_hooks:Fabrikam/System.BoardColumn",
        "service_hooks:Payments/System.State", "service_hooks:Payments/System.BoardColumn",
    }  # fmt: skip
    assert "token" not in str(report)


@pytest.mark.parametrize("status", ["disabledBySystem", "onProbation"])
def test_a_hook_that_is_not_enabled_fails_with_its_status(sync: Sync, status: str) -> None:
    sync.configure()
    sync.subscribe_hooks()
    state_hook = next(
        s for s in sync.boards.subscriptions.items.values()
        if s["publisherInputs"]["changedFields"] == "System.State"
    )  # fmt: skip
    state_hook["status"] = status
    problems = failed(check(sync))
    assert len(problems) == 1
    (reason,) = problems.values()
    assert status in reason


def test_a_passing_check_resumes_paused_routes_and_clears_reauthorization(sync: Sync) -> None:
    sync.configure()
    sync.subscribe_hooks()
    ctx = bootstrap.context()
    ctx.state.integrations.update_status(
        sync.id,
        lambda s: s.pause("default", "404 earlier").model_copy(
            update={"needs_reauthorization": True, "reauthorization_reason": "earlier"}
        ),
    )
    ctx.paused.add((sync.id, "default"))
    assert check(sync)["ok"] is True
    status = ctx.state.integrations.get_status(sync.id)
    assert status.paused_routes == {}
    assert status.needs_reauthorization is False
    assert (sync.id, "default") not in ctx.paused


def test_a_failing_route_stays_paused(sync: Sync) -> None:
    store_config(sync, routes=with_route(sync, PAYMENTS_ROUTE, lane="Nope"))
    sync.subscribe_hooks()
    ctx = bootstrap.context()
    ctx.state.integrations.update_status(
        sync.id, lambda s: s.pause("asset-45", "lane").pause("default", "was broken")
    )
    check(sync)
    assert set(ctx.state.integrations.get_status(sync.id).paused_routes) == {"asset-45"}


def test_check_of_an_unknown_integration_is_a_404(sync: Sync) -> None:
    assert sync.api.post("/integrations/nobody-here/check").status_code == 404
