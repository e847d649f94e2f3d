"""Issue 21: bad input to the admin API is a 400 that names the field in the
configuration's own terms, never a 500 and never a library's internals."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.harness import Sync, example_config

#: what pydantic's own error text looks like; none of it may reach an operator
LIBRARY_WORDS = re.compile(r"str-enum|list\[|literal\[|Value error,|\[key\]|JSONDecodeError")


def _refusal(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "bad_request"
    assert not LIBRARY_WORDS.search(error["message"]), error["message"]
    return str(error["message"])


def _put(sync: Sync, config: dict[str, Any]) -> httpx.Response:
    return sync.api.put(f"/integrations/{sync.id}", json=config)


def test_a_new_pat_integration_without_a_pat_is_a_400_naming_auth_pat(sync: Sync) -> None:
    message = _refusal(_put(sync, example_config(sync.boards, auth={"mode": "pat"})))
    assert message.startswith("auth.pat:")
    assert sync.api.get(f"/integrations/{sync.id}").status_code == 404


def test_a_stored_pat_is_kept_when_a_put_omits_it(sync: Sync) -> None:
    sync.configure()
    answer = _put(sync, example_config(sync.boards, auth={"mode": "pat"}))
    assert answer.status_code == 200, answer.text


def test_sign_in_with_microsoft_without_entra_settings_names_the_settings(sync: Sync) -> None:
    message = _refusal(_put(sync, example_config(sync.boards, auth={"mode": "oauth"})))
    assert message.startswith("auth.mode:")
    assert "ENTRA_CLIENT_ID" in message and "ENTRA_CLIENT_SECRET" in message


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"severity_policy": ["HIGH", "URGENT"]}, "severity_policy[1]:"),
        ({"severity_policy": "some"}, "severity_policy:"),
        (
            {"severity_map": {"LOW": 4, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 9}},
            "severity_map.CRITICAL:",
        ),
        (
            {"severity_map": {"LOW": 4, "MEDIUM": 3, "HIGH": 2, "CRITICAL": 1, "BAD": 1}},
            "severity_map.BAD:",
        ),
        ({"auth": {"mode": "password"}}, "auth.mode:"),
        ({"organization": "a b"}, "organization:"),
    ],
)
def test_a_refusal_names_the_field_as_the_configuration_spells_it(
    sync: Sync, change: dict[str, Any], path: str
) -> None:
    message = _refusal(_put(sync, example_config(sync.boards, **change)))
    assert message.startswith(path), message


def test_a_route_field_is_named_by_its_index(sync: Sync) -> None:
    config = example_config(sync.boards)
    config["routes"][1]["status_map"]["IDENTIFIED"] = {}
    config["routes"][1]["status_map"]["FIXED"] = {"state": "Closed"}
    message = _refusal(_put(sync, config))
    assert "routes[1].status_map.IDENTIFIED: a status target names a state" in message
    assert "routes[1].status_map.FIXED:" in message


def test_a_route_the_board_contradicts_is_named_by_its_index(sync: Sync) -> None:
    config = example_config(sync.boards)
    config["routes"][1]["status_map"]["IN_PROGRESS"] = {"column": "Nowhere"}
    message = _refusal(_put(sync, config))
    assert message.startswith("routes[1].status_map.IN_PROGRESS: column 'Nowhere'"), message


def test_malformed_json_gives_its_line_and_column(sync: Sync) -> None:
    text = json.dumps(example_config(sync.boards), indent=2)
    text = text.replace('"auth": {', '"auth": {,', 1)
    answer = sync.api.put(
        f"/integrations/{sync.id}", content=text, headers={"Content-Type": "application/json"}
    )
    message = _refusal(answer)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if '"auth": {,' in row)
    assert re.search(rf"line {line}, column \d+", message), message


def test_a_lone_surrogate_escape_is_a_400_not_a_500(sync: Sync) -> None:
    """Found by tests/property at full count: JSON may escape half a surrogate pair."""
    answer = sync.api.put(
        f"/integrations/{sync.id}",
        content=b'{"routes": [{"defaults": {"": 0, "\\ud800x": ""}, "": null}], "": null}',
        headers={"Content-Type": "application/json"},
    )
    assert "lone surrogate" in _refusal(answer)
