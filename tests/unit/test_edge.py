"""The edge verifies and parses webhooks with no I/O, failing closed with a precise 4xx."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from sync_core.edge import (
    BadRequest,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    board_change_from_hook,
    check_body,
    parse_conviso_event,
    sign_conviso,
    verify_boards_caller,
    verify_conviso_signature,
)
from sync_core.rules import WebhookConfig

NOW = 1_800_000_000
JSON = {"Content-Type": "application/json"}


def event(**data: Any) -> dict[str, Any]:
    issue = {
        "id": "123",
        "title": "SQLi",
        "status": "IDENTIFIED",
        "severity": "HIGH",
        "asset": {"id": "45"},
        "updatedAt": "2026-11-28T09:59:58Z",
    }
    return {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "conviso-platform",
        "type": "com.convisoappsec.vulnerability.status_changed",
        "data": {"issue": issue},
        **data,
    }


# ------------------------------------------------------------------ body checks


@pytest.mark.parametrize(
    ("headers", "body", "error"),
    [
        pytest.param(JSON, b"x" * (1024 * 1024 + 1), PayloadTooLarge, id="over-1-mib"),
        pytest.param({"Content-Type": "text/plain"}, b"{}", UnsupportedMediaType, id="wrong-type"),
        pytest.param({}, b"{}", UnsupportedMediaType, id="no-type"),
        pytest.param(JSON, b"{not json", BadRequest, id="malformed"),
        pytest.param(JSON, b"\xff\xfe", BadRequest, id="not-utf8"),
    ],
)
def test_body_checks_refuse_with_the_right_status(headers, body, error) -> None:
    with pytest.raises(error):
        check_body(headers, body)


def test_cloudevents_content_type_with_charset_is_accepted() -> None:
    assert check_body({"content-type": "application/cloudevents+json; charset=utf-8"}, b"{}") == {}


# ---------------------------------------------------------- Conviso signature


def test_a_valid_signature_passes() -> None:
    body = b'{"a":1}'
    verify_conviso_signature(
        sign_conviso("s3cret", body, NOW), body, secret="s3cret", now=NOW + 299
    )


@pytest.mark.parametrize(
    ("header", "now", "why"),
    [
        pytest.param(None, NOW, "missing", id="no-header"),
        pytest.param(sign_conviso("other", b'{"a":1}', NOW), NOW, "does not match", id="forged"),
        pytest.param(
            sign_conviso("s3cret", b'{"a":2}', NOW), NOW, "does not match", id="body-changed"
        ),
        pytest.param(
            sign_conviso("s3cret", b'{"a":1}', NOW), NOW + 301, "±300", id="replayed-late"
        ),
        pytest.param(
            sign_conviso("s3cret", b'{"a":1}', NOW), NOW - 301, "±300", id="from-the-future"
        ),
        pytest.param("t=abc,v1=00", NOW, "timestamp", id="garbage"),
    ],
)
def test_bad_signatures_are_unauthorized(header: str | None, now: int, why: str) -> None:
    with pytest.raises(Unauthorized, match=why):
        verify_conviso_signature(header, b'{"a":1}', secret="s3cret", now=now)


def test_no_secret_configured_fails_closed() -> None:
    with pytest.raises(Unauthorized):
        verify_conviso_signature(sign_conviso("", b"{}", NOW), b"{}", secret=None, now=NOW)


# ---------------------------------------------------------------- Conviso events


def test_a_snapshot_event_parses_to_a_vulnerability() -> None:
    parsed = parse_conviso_event(event())
    assert parsed.id == "evt-1" and parsed.snapshots[0].id == "123" and parsed.issue_ids == ()


def test_an_event_with_only_an_issue_id_asks_for_a_fetch() -> None:
    parsed = parse_conviso_event(event(data={"issue": {"id": 123}}))
    assert parsed.snapshots == () and parsed.issue_ids == ("123",)


def test_assessment_completed_carries_its_issues_and_result() -> None:
    parsed = parse_conviso_event(
        event(
            type="com.convisoappsec.assessment.completed",
            data={
                "assessment": {"id": 9, "name": "Q4 pentest", "result": "3 findings"},
                "issues": [{"id": "1"}, event()["data"]["issue"]],
            },
        )
    )
    assert parsed.assessment is not None and parsed.assessment.id == "9"
    assert parsed.issue_ids == ("1",) and parsed.snapshots[0].id == "123"


@pytest.mark.parametrize(
    ("document", "named"),
    [
        pytest.param([], "JSON object", id="not-an-object"),
        pytest.param(event(specversion="0.3"), "specversion", id="wrong-version"),
        pytest.param(event(id=""), "id", id="empty-id"),
        pytest.param(event(type="com.example.other"), "type", id="unknown-type"),
        pytest.param(event(data={"issue": {"title": "x"}}), "data.issue", id="issue-without-id"),
        pytest.param(
            event(
                data={
                    "issue": {
                        "id": "1",
                        "status": "OPEN",
                        "asset": {"id": "1"},
                        "updatedAt": "2026-11-28T00:00:00Z",
                    }
                }
            ),
            "status",
            id="bad-status",
        ),
        pytest.param(
            event(data={"issue": {"id": "1", "status": "IDENTIFIED"}}), "asset", id="no-asset"
        ),
        pytest.param(
            event(
                type="com.convisoappsec.assessment.completed",
                data={"assessment": {"name": "Q4 pentest"}, "issues": []},
            ),
            "data.assessment",
            id="assessment-without-id",
        ),
    ],
)
def test_malformed_events_are_bad_requests_naming_the_field(document: Any, named: str) -> None:
    with pytest.raises(BadRequest, match=named):
        parse_conviso_event(document)


# ------------------------------------------------------------ Boards caller and hook

HOOK = WebhookConfig(token="tok-1", basic_username="boards", basic_password="pw-1")


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_token_or_basic_auth_lets_azure_devops_in() -> None:
    verify_boards_caller({}, {"token": "tok-1"}, HOOK)
    verify_boards_caller(_basic("boards", "pw-1"), {}, HOOK)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        pytest.param({}, {}, id="nothing"),
        pytest.param({}, {"token": "tok-2"}, id="wrong-token"),
        pytest.param(_basic("boards", "pw-2"), {}, id="wrong-password"),
        pytest.param(_basic("admin", "pw-1"), {}, id="wrong-user"),
        pytest.param({"Authorization": "Basic !!!"}, {}, id="malformed-basic"),
    ],
)
def test_bad_boards_credentials_are_unauthorized(headers, query) -> None:
    with pytest.raises(Unauthorized):
        verify_boards_caller(headers, query, HOOK)


def test_no_webhook_secret_configured_fails_closed() -> None:
    with pytest.raises(Unauthorized):
        verify_boards_caller({}, {"token": ""}, WebhookConfig())


def hook(**resource: Any) -> dict[str, Any]:
    base = {
        "id": 3,
        "workItemId": 501,
        "rev": 7,
        "revisedBy": {"id": "u-1", "displayName": "Jamal Hartnett"},
        "fields": {
            "System.State": {"oldValue": "New", "newValue": "Active"},
            "System.BoardColumn": {"oldValue": "New", "newValue": "Active"},
        },
        "revision": {
            "id": 501,
            "rev": 7,
            "fields": {"System.State": "Active", "System.BoardColumn": "Active"},
        },
    }
    base.update(resource)
    return {"id": "e-1", "eventType": "workitem.updated", "publisherId": "tfs", "resource": base}


def test_a_live_hook_becomes_a_board_change() -> None:
    change = board_change_from_hook(hook())
    assert change is not None
    assert (change.work_item_id, change.rev, change.state, change.column) == (
        501,
        7,
        "Active",
        "Active",
    )
    assert change.revised_by_id == "u-1" and change.revised_by_name == "Jamal Hartnett"
    assert {"System.State", "System.BoardColumn"} <= change.changed_fields


def test_other_event_types_are_acknowledged_without_work() -> None:
    assert board_change_from_hook({**hook(), "eventType": "workitem.commented"}) is None


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"id": "e", "eventType": "workitem.updated"}, id="no-resource"),
        pytest.param(hook(workItemId=0, revision=None), id="no-work-item"),
        pytest.param(hook(rev="seven"), id="rev-not-a-number"),
        pytest.param("[]", id="not-an-object"),
    ],
)
def test_malformed_hooks_are_bad_requests(document: Any) -> None:
    with pytest.raises(BadRequest):
        board_change_from_hook(json.loads(document) if isinstance(document, str) else document)
