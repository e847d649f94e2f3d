"""The public contract at its edges: refusals are JSON 4xx and enqueue nothing; the admin
API validates against Azure DevOps and never echoes a secret."""

from __future__ import annotations

import base64
import json
import time

import pytest

from sync_core import bootstrap
from sync_core.edge import sign_conviso
from tests.harness import EVENT_SECRET, HOOK_TOKEN, Sync, example_config


def _sent() -> int:
    return bootstrap.context().state.operation_counts.snapshot().get("message_sent", 0)


def _error(answer) -> dict:
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()["error"]


def _hook_body(event_id: str = "hook-1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "eventType": "workitem.updated",
            "publisherId": "tfs",
            "resource": {
                "id": 2,
                "workItemId": 1,
                "rev": 2,
                "fields": {},
                "revision": {"id": 1, "rev": 2, "fields": {}},
            },
        }
    ).encode()


def test_refused_requests_answer_json_4xx_and_enqueue_nothing(sync: Sync) -> None:
    sync.configure()
    base = f"/integrations/{sync.id}"
    body = json.dumps(
        {
            "specversion": "1.0",
            "id": "e1",
            "source": "s",
            "type": "com.convisoappsec.vulnerability.updated",
            "data": {},
        }
    ).encode()
    json_type = {"Content-Type": "application/json"}
    before = _sent()
    cases = [
        (sync.api.post(f"{base}/conviso-events", content=body, headers=json_type), 401),
        (
            sync.api.post(
                f"{base}/conviso-events",
                content=body,
                headers={
                    **json_type,
                    "X-Conviso-Signature": sign_conviso("wrong", body, int(time.time())),
                },
            ),
            401,
        ),
        (
            sync.api.post(
                f"{base}/conviso-events",
                content=body,
                headers={
                    **json_type,
                    "X-Conviso-Signature": sign_conviso(EVENT_SECRET, body, int(time.time()) - 600),
                },
            ),
            401,
        ),
        (
            sync.api.post(
                f"{base}/conviso-events",
                content=b"{oops",
                headers={
                    **json_type,
                    "X-Conviso-Signature": sign_conviso(EVENT_SECRET, b"{oops", int(time.time())),
                },
            ),
            400,
        ),
        (
            sync.api.post(
                f"{base}/conviso-events",
                content=body,
                headers={
                    **json_type,
                    "X-Conviso-Signature": sign_conviso(EVENT_SECRET, body, int(time.time())),
                },
            ),
            400,
        ),
        (
            sync.api.post(
                f"{base}/boards-webhook?token=nope", content=_hook_body(), headers=json_type
            ),
            401,
        ),
        (sync.api.post(f"{base}/boards-webhook", content=_hook_body(), headers=json_type), 401),
        (
            sync.api.post(
                f"{base}/boards-webhook?token={HOOK_TOKEN}", content=b"[1,", headers=json_type
            ),
            400,
        ),
        (
            sync.api.post(
                f"{base}/boards-webhook?token={HOOK_TOKEN}",
                content=_hook_body(),
                headers={"Content-Type": "text/plain"},
            ),
            415,
        ),
        (
            sync.api.post(
                f"{base}/boards-webhook?token={HOOK_TOKEN}",
                content=b"x" * (1024 * 1024 + 1),
                headers=json_type,
            ),
            413,
        ),
        (
            sync.api.post(
                "/integrations/nobody/boards-webhook?token=x",
                content=_hook_body(),
                headers=json_type,
            ),
            404,
        ),
        (
            sync.api.post(
                "/integrations/" + "x" * 65 + "/conviso-events", content=body, headers=json_type
            ),
            400,
        ),
    ]
    for answer, status in cases:
        assert answer.status_code == status, (answer.status_code, answer.text)
        assert _error(answer)["message"]
    assert _sent() == before


def test_basic_auth_is_accepted_for_the_boards_webhook(sync: Sync) -> None:
    sync.configure()
    basic = base64.b64encode(b"boards:pw").decode()
    answer = sync.api.post(
        f"/integrations/{sync.id}/boards-webhook",
        content=_hook_body("hook-basic"),
        headers={"Content-Type": "application/json", "Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 202, answer.text


def test_configuration_is_checked_against_the_board(sync: Sync) -> None:
    config = example_config(sync.boards)
    config["routes"][0]["status_map"]["IN_PROGRESS"] = {"column": "Doing"}
    answer = sync.api.put(f"/integrations/{sync.id}", json=config)
    assert answer.status_code == 400
    assert "column 'Doing' is not on board 'Issues'" in _error(answer)["message"]
    assert sync.api.get(f"/integrations/{sync.id}").status_code == 404  # nothing half-written


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"severity_map": {"LOW": 4}}, "severity_map"),
        ({"routes": []}, "routes"),
        ({"organization": ""}, "organization"),
    ],
)
def test_invalid_configuration_is_a_400_naming_the_field(
    sync: Sync, change: dict, named: str
) -> None:
    answer = sync.api.put(f"/integrations/{sync.id}", json=example_config(sync.boards, **change))
    assert answer.status_code == 400 and named in _error(answer)["message"]


def test_secrets_are_write_only(sync: Sync) -> None:
    created = sync.configure()
    assert created.status_code == 201
    shown = sync.api.get(f"/integrations/{sync.id}")
    text = shown.text
    for secret in (sync.boards.pat, EVENT_SECRET, HOOK_TOKEN, "e2e-conviso-key", '"pw"'):
        assert secret not in text and secret not in created.text
    assert shown.json()["secrets"]["auth.pat"] is True
    # A PUT without the secrets keeps them: the integration still works.
    config = example_config(sync.boards)
    config["auth"] = {"mode": "pat"}
    config["event_secret"] = None
    assert sync.api.put(f"/integrations/{sync.id}", json=config).status_code == 200
    issue = sync.seed()
    assert sync.publish(issue).status_code == 202


def test_delete_removes_the_integration(sync: Sync) -> None:
    sync.configure()
    assert sync.api.delete(f"/integrations/{sync.id}").status_code == 200
    assert sync.api.get(f"/integrations/{sync.id}").status_code == 404
    assert sync.api.get(f"/integrations/{sync.id}/deliveries").status_code == 404


def test_deliveries_filter_by_level_and_text(sync: Sync) -> None:
    sync.configure()
    answer = sync.api.get(
        f"/integrations/{sync.id}/deliveries", params={"level": "info", "text": "saved"}
    )
    items = answer.json()["items"]
    assert items and all(i["level"] == "info" and "saved" in i["message"] for i in items)
    assert (
        sync.api.get(f"/integrations/{sync.id}/deliveries", params={"level": "loud"}).status_code
        == 400
    )
    assert (
        sync.api.get(
            f"/integrations/{sync.id}/deliveries", params={"since": "yesterday"}
        ).status_code
        == 400
    )


def test_health_answers_without_remote_services(sync: Sync) -> None:
    answer = sync.api.get("/health")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
