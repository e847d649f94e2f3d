"""Conviso's limits and failures (R14): 429 and 5xx are retried boundedly, auth errors never.

The emulator makes the faults over real HTTP; ``httpx.MockTransport`` covers what it
cannot make (a read timeout, a 403, a body that is not JSON).
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from localdev.conviso_emulator import AssetRecord, ConvisoEmulator
from sync_core.adapters.conviso import (
    Backoff,
    ConvisoAuthError,
    ConvisoClient,
    ConvisoRequestError,
    ConvisoUnavailable,
)

from .conftest import API_KEY, Sleeps


def test_429_is_retried_after_the_servers_retry_after(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient, sleeps: Sleeps
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.faults.throttle_next(2, retry_after=3)
    assert client.get_issue(issue.id).id == issue.id
    assert sleeps == [3.0, 3.0]
    assert [r.status_code for r in conviso.requests] == [429, 429, 200]


def test_429_without_retry_after_backs_off_exponentially(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient, sleeps: Sleeps
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.faults.throttle_next(3, retry_after=None)
    client.get_issue(issue.id)
    assert sleeps == [0.375, 0.75, 1.5]  # 0.5·2ⁿ, equal jitter at its midpoint


def test_the_rate_limit_window_answers_429_until_retries_run_out(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient, sleeps: Sleeps
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.rate_limit.limit, conviso.rate_limit.window = 1, 60.0
    client.get_issue(issue.id)
    with pytest.raises(ConvisoUnavailable) as raised:
        client.get_issue(issue.id)
    assert raised.value.status_code == 429
    assert raised.value.retry_after is not None
    assert 0 < raised.value.retry_after <= 60
    assert len(sleeps) == 3  # max_retries, each waiting what Retry-After said


def test_a_retry_after_beyond_the_cap_is_left_to_the_queue(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient, sleeps: Sleeps
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.faults.throttle_next(1, retry_after=3600)
    with pytest.raises(ConvisoUnavailable) as raised:
        client.get_issue(issue.id)
    assert raised.value.retry_after == 3600
    assert sleeps == []


def test_a_5xx_burst_shorter_than_the_retries_heals(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.faults.fail_next(2, status=502)
    assert client.get_issue(issue.id).id == issue.id
    assert [r.status_code for r in conviso.requests] == [502, 502, 200]


def test_a_5xx_burst_longer_than_the_retries_is_unavailable(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.faults.fail_next(10, status=500)
    with pytest.raises(ConvisoUnavailable, match="HTTP 500") as raised:
        client.get_issue(issue.id)
    assert raised.value.status_code == 500
    assert len(conviso.requests) == 4  # one try and three retries, then stop


def test_down_with_503_then_up_again(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.go_down()
    with pytest.raises(ConvisoUnavailable):
        client.get_issue(issue.id)
    conviso.come_up()
    assert client.get_issue(issue.id).id == issue.id


def test_refused_connections_are_unavailable_then_heal_on_the_same_url(
    conviso: ConvisoEmulator, asset: AssetRecord, client: ConvisoClient, sleeps: Sleeps
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.go_down(refuse_connections=True)
    with pytest.raises(ConvisoUnavailable, match="ConnectError") as raised:
        client.get_issue(issue.id)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 3
    conviso.come_up()
    assert client.get_issue(issue.id).id == issue.id


def test_a_bad_api_key_is_an_auth_error_and_never_retried(
    conviso: ConvisoEmulator, sleeps: Sleeps
) -> None:
    client = ConvisoClient(api_url=conviso.url, api_key="wrong-key", sleep=sleeps)
    with client, pytest.raises(ConvisoAuthError) as raised:
        client.get_issue("1")
    assert raised.value.status_code == 401
    assert "wrong-key" not in str(raised.value)
    assert sleeps == []
    assert [(r.status_code, r.authenticated) for r in conviso.requests] == [(401, False)]


def test_a_rotated_key_expires_the_old_one(conviso: ConvisoEmulator, client: ConvisoClient) -> None:
    conviso.api_key = "the-new-key"
    with pytest.raises(ConvisoAuthError):
        client.get_issue("1")


def _mock_client(handler: httpx.MockTransport, sleeps: Sleeps) -> ConvisoClient:
    return ConvisoClient(
        api_url="https://conviso.test/graphql",
        api_key=API_KEY,
        http=httpx.Client(transport=handler),
        sleep=sleeps,
        max_retries=2,
        backoff=Backoff(jitter=lambda: 0.0),
    )


def test_timeouts_are_retried_boundedly(sleeps: Sleeps) -> None:
    calls: list[httpx.Request] = []

    def time_out(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ConvisoUnavailable, match="ReadTimeout"):
        _mock_client(httpx.MockTransport(time_out), sleeps).get_issue("1")
    assert len(calls) == 3
    assert sleeps == [0.25, 0.5]


def test_403_is_an_auth_error_with_convisos_message(sleeps: Sleeps) -> None:
    def forbid(_: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"errors": [{"message": "Access denied to company"}]})

    with pytest.raises(ConvisoAuthError, match="Access denied to company"):
        _mock_client(httpx.MockTransport(forbid), sleeps).get_issue("1")
    assert sleeps == []


def test_a_body_that_is_not_graphql_is_a_request_error(sleeps: Sleeps) -> None:
    def html(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    with pytest.raises(ConvisoRequestError):
        _mock_client(httpx.MockTransport(html), sleeps).get_issue("1")


def test_the_api_key_is_sent_but_never_logged_raised_or_recorded(
    conviso: ConvisoEmulator,
    asset: AssetRecord,
    client: ConvisoClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    issue = conviso.seed_issue(asset_id=asset.id)
    conviso.faults.fail_next(1, status=503)
    caplog.set_level(logging.DEBUG)
    client.get_issue(issue.id)
    conviso.faults.fail_next(10, status=503)
    with pytest.raises(ConvisoUnavailable) as raised:
        client.get_issue(issue.id)

    assert conviso.requests[-1].authenticated  # it was sent
    assert "retry 1 of 3" in caplog.text  # retries are logged...
    for text in (caplog.text, str(raised.value), repr(raised.value), repr(client)):
        assert API_KEY not in text  # ...without the key
    assert API_KEY not in repr(conviso.requests)


def test_without_page_metadata_a_short_page_is_the_last(sleeps: Sleeps) -> None:
    """``metadata`` is nullable in Conviso's schema; paging must neither stop early nor loop."""
    pages: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        page = json.loads(request.content)["variables"]["page"]
        pages.append(page)
        node = {
            "id": str(page),
            "status": "IDENTIFIED",
            "asset": {"id": "45"},
            "updatedAt": "2026-11-28T10:00:00Z",
        }
        collection = [node, {**node, "id": f"{page}b"}] if page == 1 else [node]
        return httpx.Response(200, json={"data": {"issues": {"collection": collection}}})

    got = list(_mock_client(httpx.MockTransport(answer), sleeps).iter_issues("77", per_page=2))
    assert [v.id for v in got] == ["1", "1b", "2"]
    assert pages == [1, 2]
