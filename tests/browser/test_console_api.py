"""The routes only the admin page uses, over HTTP (no browser needed): the page and its
files, the admin-key check, discovery before anything is stored, the connection status."""

from __future__ import annotations

import httpx

from localdev.boards_emulator import BoardsEmulator
from localdev.devhost import DevHost
from tests.browser.conftest import ADMIN_KEY


def test_the_page_and_its_files_are_served_with_a_strict_policy(app_host: DevHost) -> None:
    with httpx.Client(base_url=f"{app_host.url}/api", timeout=10) as anonymous:
        page = anonymous.get("/console")
        script = anonymous.get("/console/static/app.js")
        other = anonymous.get("/console/static/..%2Fhost.json")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="console/static/app.js"' in page.text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"


def test_a_wrong_admin_key_is_a_json_401(app_host: DevHost) -> None:
    with httpx.Client(base_url=f"{app_host.url}/api", timeout=10) as client:
        wrong = client.get("/console/session", headers={"x-functions-key": "nope"})
        missing = client.post("/console/discovery", json={"what": "projects"})
        right = client.get("/console/session", headers={"x-functions-key": ADMIN_KEY})
        by_code = client.get("/console/session", params={"code": ADMIN_KEY})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == {
        "code": "unauthorized",
        "message": "the admin key is not valid",
    }
    assert missing.status_code == 401
    assert right.status_code == 200
    assert right.json() == {"ok": True, "key_checked_by": "app"}
    assert by_code.status_code == 200


def test_discovery_lists_what_exists_without_storing_anything(
    api: httpx.Client, boards: BoardsEmulator
) -> None:
    credentials = {
        "integration": "it-discovery-only",
        "organization": boards.organization,
        "auth": {"mode": "pat", "pat": boards.pat},
    }

    def ask(what: str, **where: str) -> httpx.Response:
        return api.post("/console/discovery", json={"what": what, **credentials, **where})

    projects = ask("projects")
    assert projects.status_code == 200, projects.text
    assert "Fabrikam" in projects.json()["items"]
    assert "Fabrikam Team" in ask("teams", project="Fabrikam").json()["items"]
    assert "Issues" in ask("boards", project="Fabrikam", team="Fabrikam Team").json()["items"]
    board = ask("board", project="Fabrikam", team="Fabrikam Team", board="Issues").json()["items"]
    testing = next(c for c in board["columns"] if c["name"] == "Testing")
    assert testing["state_mappings"]["Bug"] == "Resolved"
    assert "Bug" in ask("types", project="Fabrikam").json()["items"]
    states = ask("states", project="Fabrikam", work_item_type="Bug").json()["items"]
    assert {"name": "Risk Accepted", "category": "Resolved"} in states
    who = ask("connection")
    assert who.json()["items"]["account"]
    assert boards.pat not in projects.text + who.text
    assert api.get("/integrations/it-discovery-only").status_code == 404


def test_discovery_refusals_name_what_is_wrong(api: httpx.Client, boards: BoardsEmulator) -> None:
    org = boards.organization
    cases = [
        ({"what": "projects", "auth": {"mode": "pat", "pat": "x"}}, 400, "organization"),
        (
            {"what": "projects", "organization": "no/slash", "auth": {"mode": "pat", "pat": "x"}},
            400,
            "organization",
        ),
        ({"what": "projects", "organization": org, "auth": {"mode": "pat"}}, 400, "auth.pat"),
        (
            {"what": "teams", "organization": org, "auth": {"mode": "pat", "pat": boards.pat}},
            400,
            "project",
        ),
        ({"what": "everything", "organization": org}, 400, "what"),
        (
            {"what": "projects", "organization": org, "auth": {"mode": "pat", "pat": "wrong"}},
            401,
            "refused the credentials",
        ),
        (
            {
                "what": "teams",
                "project": "Nowhere",
                "organization": org,
                "auth": {"mode": "pat", "pat": boards.pat},
            },
            400,
            "Nowhere",
        ),
    ]
    for body, status, words in cases:
        answer = api.post("/console/discovery", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert words in answer.json()["error"]["message"], (body, answer.text)
    not_json = api.post(
        "/console/discovery", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400


def test_connection_status_of_an_unknown_integration_says_it_is_not_configured(
    api: httpx.Client,
) -> None:
    answer = api.get("/console/integrations/it-nobody/connection")
    assert answer.status_code == 200
    assert answer.json() == {"configured": False}
    assert api.get("/console/integrations/bad id!/connection").status_code == 400
