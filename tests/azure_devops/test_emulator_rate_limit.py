"""Azure DevOps' consumption limit in the emulator, and the client riding it (issue 20).

learn.microsoft.com "Rate and usage limits": 200 TSTUs per identity in a sliding five
minutes; past it requests are delayed (``X-RateLimit-Delay``) and then blocked (429,
TF400733); ``Retry-After`` and the other ``X-RateLimit-*`` headers come before the delays,
on a 200. Time here is a fake clock shared by the emulator and the client (no real waits),
except in the one test of concurrent threads, which counts answers, never times.
"""

from __future__ import annotations

import math
import threading
import time

import httpx
import pytest

from localdev.boards_emulator import BoardsEmulator, RateLimit, RateLimiter
from sync_core.adapters.azure_devops import PatAuth, TransientError
from sync_core.adapters.azure_devops.transport import pace_for, rate_limit_counts

from .conftest import FakeClock, make_client

PROJECTS = "/_apis/projects"


class RealTime:
    """The clock ``make_client`` takes, but real: for the one test of real threads."""

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)


def _get(boards: BoardsEmulator) -> httpx.Response:
    return httpx.get(
        f"{boards.organization_url}{PROJECTS}",
        headers={"Authorization": boards.basic_auth_header()},
    )


def _limited(boards: BoardsEmulator, clock: FakeClock, **knobs: float) -> RateLimiter:
    limiter = boards.set_rate_limit(RateLimit(**knobs), clock=clock.monotonic, sleep=clock.sleep)
    assert limiter is not None
    return limiter


def test_the_limit_is_off_by_default_and_after_a_reset(boards: BoardsEmulator) -> None:
    assert boards.rate_limiter is None
    answers = [_get(boards) for _ in range(5)]
    assert all(a.status_code == 200 for a in answers)
    assert not any(k.lower().startswith("x-ratelimit") for a in answers for k in a.headers)
    boards.set_rate_limit(RateLimit(budget=1, window=60))
    boards.reset()
    assert boards.rate_limiter is None and _get(boards).status_code == 200


def test_headers_come_before_delays_then_delays_then_429(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    limiter = _limited(boards, clock, budget=4, window=10, notice=0.5, max_delay=1, block_at=5)
    quiet = _get(boards)  # 1 of 4 TSTUs: nothing said
    assert "X-RateLimit-Limit" not in quiet.headers
    noticed = _get(boards)  # 2 of 4: the headers, before any delay
    assert noticed.headers["X-RateLimit-Limit"] == "4"
    assert noticed.headers["X-RateLimit-Remaining"] == "2"
    assert noticed.headers["X-RateLimit-Resource"]
    assert int(noticed.headers["X-RateLimit-Reset"]) >= 10
    assert "X-RateLimit-Delay" not in noticed.headers and "Retry-After" not in noticed.headers
    _get(boards)  # 3 of 4
    full = _get(boards)  # 4 of 4: still a 200 and not held, but told to wait
    assert full.status_code == 200 and clock.sleeps == []
    assert full.headers["Retry-After"] == "10" and full.headers["X-RateLimit-Remaining"] == "0"
    held = _get(boards)  # over the budget: held (at most max_delay), answered, charged
    assert held.status_code == 200 and held.json()["count"] >= 1
    assert clock.sleeps == [1.0] and held.headers["X-RateLimit-Delay"] == "1.000"
    assert held.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" in held.headers
    assert limiter.usage(boards.service_identity_id) == 5  # the budget is 4: overdrawn
    refused = _get(boards)  # 5 of 4 used: past ``block_at``, blocked
    assert refused.status_code == 429
    assert refused.json()["message"].startswith("TF400733: The request has been canceled")
    assert float(refused.headers["Retry-After"]) > 0
    assert limiter.counts == {"served": 4, "delayed": 1, "refused": 1}
    clock.now += 11  # the window slides past every charge
    assert _get(boards).headers.get("X-RateLimit-Limit") is None
    assert limiter.usage(boards.service_identity_id) == 1


def test_a_request_is_held_only_until_its_cost_fits_the_window(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    _limited(boards, clock, budget=2, window=10, max_delay=30, block_at=5)
    _get(boards)
    clock.now += 4
    _get(boards)  # the budget is full; the first charge leaves the window 6 s from now
    held = _get(boards)
    assert clock.sleeps == [6.0] and held.headers["X-RateLimit-Delay"] == "6.000"
    assert held.headers["Retry-After"] == "4"  # then the second charge leaves


def test_costs_are_per_method_and_identities_are_charged_apart(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimit(budget=10, window=60, costs={"POST": 4}), clock=clock.monotonic)
    limiter.admit("app", "POST")
    limiter.admit("app", "GET")
    limiter.admit("person", "GET")
    assert (limiter.usage("app"), limiter.usage("person")) == (5, 1)
    with pytest.raises(ValueError, match="budget and window must be positive"):
        RateLimit(budget=0)


def test_a_client_that_honours_the_headers_is_never_refused_and_goes_at_the_limit(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    _limited(boards, clock, budget=10, window=10, max_delay=1)
    started = clock.now
    with make_client(boards, clock) as client:
        for _ in range(45):
            client.list_projects()
    statuses = [r.status for r in boards.requests]
    assert statuses.count(429) == 0 and statuses.count(200) == 45
    # 45 one-TSTU requests at 10 per 10 s: the last cannot leave before 40 s, and does not
    # leave much after (the clock is fake: this is arithmetic, not a timing)
    elapsed = clock.now - started
    assert (math.ceil(45 / 10) - 1) * 10 <= elapsed <= 1.15 * 40


def test_a_wait_one_answer_asks_for_holds_every_client_of_the_identity(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    http = httpx.Client()
    try:
        first = make_client(boards, clock, http=http)
        second = make_client(boards, clock, http=http)  # another integration, same PAT
        boards.inject_headers({"Retry-After": "3"})
        first.list_projects()
        second.list_projects()
        assert clock.sleeps == [3]
        other = make_client(boards, clock, http=httpx.Client())  # another process's pool
        other.list_projects()
        assert clock.sleeps == [3]
    finally:
        http.close()


def test_a_429_holds_the_other_threads_too_not_only_the_one_that_got_it(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    http = httpx.Client()
    asked: list[float] = []
    try:
        # this client's sleep does not move the clock: the wait stays ahead of the others
        patient = make_client(boards, clock, http=http, sleep=asked.append)
        boards.inject_status(429, retry_after=2, path=PROJECTS)
        before = rate_limit_counts()["refused"]
        patient.list_projects()
        assert asked[0] == 2 and rate_limit_counts()["refused"] == before + 1
        pace = pace_for(http, boards.url, PatAuth(boards.pat).authorization())
        assert pace.wait(clock.monotonic) == pytest.approx(2)
        make_client(boards, clock, http=http).list_projects()
        assert clock.sleeps == [2]
    finally:
        http.close()


def test_a_429_longer_than_the_client_waits_is_handed_back(
    boards: BoardsEmulator, clock: FakeClock
) -> None:
    _limited(boards, clock, budget=1, window=600, max_delay=0, block_at=1)
    with make_client(boards, clock) as client:
        client.list_projects()
        with pytest.raises(TransientError) as caught:
            client.list_projects()
    # the 200's Retry-After (600 s) was waited for only up to the client's 60 s; the 429
    # that followed asks for the rest, which is the caller's (its queue's) to wait
    assert clock.sleeps == [60]
    assert caught.value.status == 429 and caught.value.retry_after == pytest.approx(540)


def test_concurrent_threads_of_one_client_are_refused_nothing(boards: BoardsEmulator) -> None:
    """Four threads through one client on a compressed window (30 TSTUs per 0.3 s):
    the requests in flight when the limit is reached are held, not refused, and every
    thread then waits for the Retry-After one of them got. Counts only."""
    boards.set_rate_limit(RateLimit(budget=30, window=0.3, max_delay=0.03))
    errors: list[Exception] = []
    real = RealTime()
    with make_client(boards, real) as client:  # type: ignore[arg-type]

        def work() -> None:
            try:
                for _ in range(30):
                    client.list_projects()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    statuses = [r.status for r in boards.requests]
    assert statuses.count(200) == 120 and statuses.count(429) == 0
    limiter = boards.rate_limiter
    assert limiter is not None and limiter.counts["refused"] == 0
