"""Saving a configuration knows the rules Azure DevOps will apply (R3, R16, R17).

Through the real HTTP stack (development host, Azurite, the Boards emulator):
- a route's area or iteration path that does not exist, or an area the route's team does
  not show, is refused with a 400 naming the route's field and the path;
- teams past the first page (the service answers 100 at a time) are listed by discovery;
- the Web Hooks consumer's rule for Basic credentials (1-256 characters, no whitespace) is
  checked on save, with a 400 a person can read.

The emulator's seed (localdev/boards_emulator/seed.json): Fabrikam has the areas Security,
Security\\Pentest and Web and the iterations Sprint 1 and 2; "Fabrikam Team" shows Fabrikam
and everything below it, "Fabrikam Security" shows Fabrikam\\Security and below. Payments has
the area Cards and the iteration Sprint 1; "Payments Team" shows only Payments itself.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.harness import Sync, example_config

FABRIKAM_ROUTE = 0
PAYMENTS_ROUTE = 1


def _put(sync: Sync, config: dict[str, Any]) -> httpx.Response:
    return sync.api.put(f"/integrations/{sync.id}", json=config)


def _with_route(sync: Sync, index: int, **changes: Any) -> dict[str, Any]:
    config = example_config(sync.boards)
    config["routes"][index] = {**config["routes"][index], **changes}
    return config


def _refusal(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"]
    return str(error["message"])


# ------------------------------------------------------------- area and iteration paths


@pytest.mark.parametrize(
    ("index", "changes", "named", "path"),
    [
        (FABRIKAM_ROUTE, {"area_path": "Fabrikam\\Nope"}, "routes[0].area_path", "Fabrikam\\Nope"),
        (
            FABRIKAM_ROUTE,
            {"area_path": "Fabrikam\\Security\\Nope"},
            "routes[0].area_path",
            "Fabrikam\\Security\\Nope",
        ),
        (
            PAYMENTS_ROUTE,
            {"iteration_path": "Payments\\Sprint 9"},
            "routes[1].iteration_path",
            "Payments\\Sprint 9",
        ),
        (
            PAYMENTS_ROUTE,  # an area of another project is not one of this project's
            {"area_path": "Fabrikam\\Security"},
            "routes[1].area_path",
            "Fabrikam\\Security",
        ),
        (
            FABRIKAM_ROUTE,  # an area is not an iteration
            {"iteration_path": "Fabrikam\\Web"},
            "routes[0].iteration_path",
            "Fabrikam\\Web",
        ),
    ],
)
def test_a_path_that_does_not_exist_is_refused_naming_the_route_and_the_path(
    sync: Sync, index: int, changes: dict[str, Any], named: str, path: str
) -> None:
    message = _refusal(_put(sync, _with_route(sync, index, **changes)))
    assert named in message and f"'{path}'" in message, message
    assert "does not exist" in message
    assert sync.api.get(f"/integrations/{sync.id}").status_code == 404  # nothing stored


def test_an_area_the_team_does_not_show_is_refused_naming_the_team(sync: Sync) -> None:
    """Payments Team shows Payments without its children: a card in Payments\\Cards would
    never be on its board."""
    message = _refusal(_put(sync, _with_route(sync, PAYMENTS_ROUTE, area_path="Payments\\Cards")))
    assert "routes[1].area_path" in message and "'Payments\\Cards'" in message, message
    assert "Payments Team" in message and "does not show" in message
    assert sync.api.get(f"/integrations/{sync.id}").status_code == 404


def test_an_area_outside_a_teams_areas_is_refused_even_when_it_exists(sync: Sync) -> None:
    config = example_config(sync.boards)
    config["routes"][PAYMENTS_ROUTE] = {
        "asset_id": "45", "project": "Fabrikam", "team": "Fabrikam Security", "board": "Issues",
        "work_item_type": "Bug", "area_path": "Fabrikam\\Web",
        "status_map": {"IDENTIFIED": {"column": "Reported"}},
    }  # fmt: skip
    message = _refusal(_put(sync, config))
    assert "routes[1].area_path" in message and "'Fabrikam\\Web'" in message, message
    assert "Fabrikam Security" in message


def test_every_bad_path_is_named_in_one_answer(sync: Sync) -> None:
    config = example_config(sync.boards)
    config["routes"][FABRIKAM_ROUTE]["area_path"] = "Fabrikam\\Nope"
    config["routes"][PAYMENTS_ROUTE]["iteration_path"] = "Payments\\Sprint 9"
    message = _refusal(_put(sync, config))
    assert "routes[0].area_path" in message and "routes[1].iteration_path" in message, message


def test_paths_that_exist_and_the_team_shows_are_saved(sync: Sync) -> None:
    config = example_config(sync.boards)
    config["routes"][FABRIKAM_ROUTE].update(
        area_path="Fabrikam\\Security\\Pentest",  # Fabrikam Team includes sub-areas
        iteration_path="Fabrikam\\Sprint 2",
    )
    config["routes"][PAYMENTS_ROUTE].update(area_path="Payments", iteration_path="Payments")
    config["routes"].append(
        {
            "asset_id": "46", "project": "Fabrikam", "team": "Fabrikam Security",
            "board": "Issues", "work_item_type": "Bug",
            "area_path": "fabrikam\\security",  # paths compare case-insensitively
            "iteration_path": "Fabrikam\\Sprint 1",
            "status_map": {"IDENTIFIED": {"column": "Reported"}},
        }
    )  # fmt: skip
    answer = _put(sync, config)
    assert answer.status_code == 201, answer.text
    assert answer.json()["warnings"] == []
    stored = sync.api.get(f"/integrations/{sync.id}").json()
    assert stored["routes"][0]["area_path"] == "Fabrikam\\Security\\Pentest"


# --------------------------------------------------------------------- teams, paged


def test_discovery_lists_teams_past_the_first_page_of_100(sync: Sync) -> None:
    for i in range(150):
        sync.boards.world.add_team("Payments", f"Squad {i:03d}")
    sync.configure()
    answer = sync.api.get(f"/integrations/{sync.id}/discovery/projects/Payments/teams")
    assert answer.status_code == 200, answer.text
    names = [t["name"] for t in answer.json()["items"]]
    assert len(names) == 151 and len(set(names)) == 151
    assert {"Payments Team", "Squad 000", "Squad 149"} <= set(names)


def test_the_admin_pages_discovery_lists_teams_past_the_first_page(sync: Sync) -> None:
    for i in range(150):
        sync.boards.world.add_team("Fabrikam", f"Squad {i:03d}")
    answer = sync.api.post("/console/discovery", json={**_console(sync), "what": "teams"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["items"]) == 152 and "Squad 149" in answer.json()["items"]


# ------------------------------------------------------------------ a team's areas


def _console(sync: Sync) -> dict[str, Any]:
    return {
        "organization": sync.boards.organization,
        "auth": {"mode": "pat", "pat": sync.boards.pat},
        "project": "Fabrikam",
    }


def test_discovery_lists_the_areas_a_team_shows(sync: Sync) -> None:
    sync.configure()
    answer = sync.api.get(
        f"/integrations/{sync.id}/discovery/projects/Fabrikam/teams/Fabrikam Security/areas"
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [
        {"path": "Fabrikam\\Security", "include_children": True, "default": True}
    ]
    missing = sync.api.get(f"/integrations/{sync.id}/discovery/projects/Fabrikam/teams/Nope/areas")
    assert missing.status_code == 404, missing.text


def test_the_admin_pages_discovery_lists_a_teams_areas_and_default(sync: Sync) -> None:
    body = {**_console(sync), "what": "areas", "team": "Fabrikam Team"}
    answer = sync.api.post("/console/discovery", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == {
        "default": "Fabrikam",
        "areas": [{"path": "Fabrikam", "include_children": True}],
    }
    no_team = sync.api.post("/console/discovery", json={**_console(sync), "what": "areas"})
    assert no_team.status_code == 400 and "team" in no_team.json()["error"]["message"]


# ------------------------------------------------------ Web Hooks credentials (R17)


@pytest.mark.parametrize(
    ("webhook", "named"),
    [
        ({"basic_username": "two words", "basic_password": "pw"}, "webhook.basic_username"),
        ({"basic_username": "", "basic_password": "pw"}, "webhook.basic_username"),
        ({"basic_username": "u" * 257, "basic_password": "pw"}, "webhook.basic_username"),
        ({"basic_username": "tab\there", "basic_password": "pw"}, "webhook.basic_username"),
        (
            {"basic_username": "boards", "basic_password": "has space-S3CRET"},
            "webhook.basic_password",
        ),
        ({"basic_username": "boards", "basic_password": "S3CRET\n"}, "webhook.basic_password"),
        ({"basic_username": "boards", "basic_password": ""}, "webhook.basic_password"),
        (
            {"basic_username": "boards", "basic_password": "S3CRET" + "p" * 251},
            "webhook.basic_password",
        ),
    ],
)
def test_webhook_basic_credentials_follow_the_web_hooks_consumer_rule(
    sync: Sync, webhook: dict[str, Any], named: str
) -> None:
    message = _refusal(_put(sync, example_config(sync.boards, webhook=webhook)))
    assert message.startswith(named), message
    assert "1-256 characters" in message and "whitespace" in message
    # readable: no pydantic internals, and never the secret itself
    for internal in ("Value error", "String should", "pattern", "pydantic", "type="):
        assert internal not in message, message
    assert "S3CRET" not in message
    assert sync.api.get(f"/integrations/{sync.id}").status_code == 404


def test_webhook_basic_credentials_of_256_characters_are_saved(sync: Sync) -> None:
    webhook = {"token": "t", "basic_username": "u" * 256, "basic_password": "p" * 256}
    answer = _put(sync, example_config(sync.boards, webhook=webhook))
    assert answer.status_code == 201, answer.text
    assert answer.json()["webhook"]["basic_username"] == "u" * 256
