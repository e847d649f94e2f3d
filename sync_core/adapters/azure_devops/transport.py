"""Sending one request to Azure DevOps politely: pacing, retries, and error translation.

Everything about the other side's limits lives here (R14): ``Retry-After`` is honoured
even on a 200, ``X-RateLimit-Delay`` slows the next request down, 408/429/5xx and
timeouts are retried with bounded exponential backoff and jitter, a 412 is never
retried, and every other answer becomes a typed error carrying Azure DevOps' own
``message`` and ``typeKey``. httpx errors never escape: they become ``TransientError``.

The pace is shared. Azure DevOps limits an *identity* (200 TSTUs in a sliding five
minutes; learn.microsoft.com "Rate and usage limits"), not a client object: a wait one
answer asks for holds every request of the same credentials to the same host that goes
through the same connection pool — every thread of a reconcile, both queue workers, every
integration that shares a PAT — so that the requests already in flight when the limit is
reached are the only ones that can meet it. A 429's ``Retry-After`` holds them all too,
not only the thread that got it. (Processes do not share a pace: each learns the limit
from its own first answer.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..retry_after import parse_retry_after
from .auth import Auth
from .errors import (
    AuthenticationError,
    ConfigurationError,
    RevisionConflict,
    TransientError,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "Pace",
    "Requester",
    "RetryPolicy",
    "pace_for",
    "rate_limit_counts",
]

log = logging.getLogger(__name__)

#: Nothing waits forever: a slow Azure DevOps must not hold a Functions worker.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)

MAX_ATTEMPTS = 5
BASE_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
#: Azure DevOps delays up to 30 s; a longer wait is handed back to the caller's queue.
MAX_RETRY_AFTER_SECONDS = 60.0

RETRYABLE_STATUSES = frozenset({408, 429})
USER_AGENT = "conviso-azure-boards-sync"

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, and the bounds of the waits between them."""

    max_attempts: int = MAX_ATTEMPTS
    base_delay: float = BASE_BACKOFF_SECONDS
    max_delay: float = MAX_BACKOFF_SECONDS
    max_retry_after: float = MAX_RETRY_AFTER_SECONDS

    def backoff(self, attempt: int, jitter: float) -> float:
        """Exponential backoff with jitter in [50 %, 100 %] of the capped delay."""
        capped = min(self.max_delay, self.base_delay * (2.0 ** (attempt - 1)))
        return capped * (0.5 + 0.5 * jitter)


@dataclass
class Pace:
    """When the next request of one identity to one host may leave (monotonic seconds)."""

    not_before: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hold_until(self, moment: float) -> None:
        with self.lock:
            self.not_before = max(self.not_before, moment)

    def wait(self, clock: Clock) -> float:
        with self.lock:
            return self.not_before - clock()


class _Tally:
    """What Azure DevOps' limit did to this process: answers refused (429), answers held
    (``X-RateLimit-Delay``) and the seconds the app waited because it was told to. A
    backfill reports the difference over its run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = {"refused": 0, "delayed": 0, "waits": 0}
        self._waited = 0.0

    def add(self, name: str, seconds: float = 0.0) -> None:
        with self._lock:
            self._counts[name] += 1
            self._waited += seconds

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {**self._counts, "waited_seconds": round(self._waited, 3)}


_TALLY = _Tally()
_PACES: weakref.WeakKeyDictionary[httpx.Client, dict[str, Pace]] = weakref.WeakKeyDictionary()
_PACES_LOCK = threading.Lock()
#: identities remembered per pool; past it the oldest are forgotten (their waits are over)
_MAX_PACES = 1000


def rate_limit_counts() -> dict[str, float]:
    """Refused, delayed and waited-for answers of Azure DevOps in this process so far."""
    return _TALLY.snapshot()


def pace_for(http: httpx.Client, url: str, authorization: str) -> Pace:
    """The one ``Pace`` of these credentials at this host, among the users of ``http``.

    Keyed by a digest of the ``Authorization`` value (never the value itself). A bearer
    token refreshed hourly starts a new pace; the old one's waits are seconds long.
    """
    origin = httpx.URL(url)
    key = (
        f"{origin.scheme}://{origin.host}:{origin.port or ''}|"
        + hashlib.sha256(authorization.encode()).hexdigest()[:32]
    )
    with _PACES_LOCK:
        paces = _PACES.setdefault(http, {})
        pace = paces.get(key)
        if pace is None:
            if len(paces) >= _MAX_PACES:
                paces.pop(next(iter(paces)))
            pace = paces[key] = Pace()
        return pace


class Requester:
    """Sends requests with the auth and headers Azure DevOps needs, and the retry policy."""

    def __init__(
        self,
        *,
        http: httpx.Client,
        auth: Auth,
        policy: RetryPolicy,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._http = http
        self._auth = auth
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        idempotent: bool = True,
    ) -> httpx.Response:
        """One logical request; returns a 2xx answer or raises an ``AzureDevOpsError``.

        ``idempotent=False`` (creates) retries only what certainly did not happen: a 429,
        or a connection that was never made. Otherwise the caller looks before it tries again.
        """
        content = None if body is None else json.dumps(body).encode()
        authorization = self._auth.authorization()
        pace = pace_for(self._http, url, authorization)
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_pace(pace)
            outcome, safe = self._attempt(
                method, url, params, content, content_type, idempotent, authorization, pace
            )
            if isinstance(outcome, httpx.Response):
                return outcome
            failure = outcome
            delay = failure.retry_after
            if failure.status == 429:
                _TALLY.add("refused")
            if delay is not None and delay <= self._policy.max_retry_after:
                # the server's wait holds every request of this identity, not this one only
                pace.hold_until(self._clock() + delay)
            if delay is None:
                delay = self._policy.backoff(attempt, self._jitter())
            if not safe or attempt >= self._policy.max_attempts:
                raise failure
            if delay > self._policy.max_retry_after:
                raise failure
            log.warning(
                "Azure DevOps %s %s failed (%s); retry %d in %.2fs",
                method, httpx.URL(url).path, failure.status or "no answer", attempt, delay,
            )  # fmt: skip
            self._sleep(delay)

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
        content_type: str,
        idempotent: bool,
        authorization: str,
        pace: Pace,
    ) -> tuple[httpx.Response | TransientError, bool]:
        headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            "X-TFS-FedAuthRedirect": "Suppress",
            "User-Agent": USER_AGENT,
        }
        if content is not None:
            headers["Content-Type"] = content_type
        try:
            response = self._http.request(
                method, url, params=params, content=content, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return _transport_failure(exc, may_have_succeeded=False), True
        except httpx.TransportError as exc:
            # Timeouts and dropped connections after the request left: it may have happened.
            return _transport_failure(exc, may_have_succeeded=not idempotent), idempotent
        status = response.status_code
        if status in RETRYABLE_STATUSES or status >= 500:
            # A 429 was refused before any work was done; any other failure may not have been.
            applied = not idempotent and status != 429
            message, type_key = _error_text(response)
            failure = TransientError(
                message,
                status=status,
                type_key=type_key,
                retry_after=_retry_after(response),
                may_have_succeeded=applied,
            )
            return failure, idempotent or status == 429
        self._note_pace(response, pace)
        raise_for_answer(response)
        return response, True

    def _wait_for_pace(self, pace: Pace) -> None:
        """Wait as long as the identity's pace says; again if another thread's answer
        moved it meanwhile (a few times at most: the pace only moves forward by answers)."""
        for _ in range(3):
            wait = pace.wait(self._clock)
            if wait <= 0:
                return
            _TALLY.add("waits", wait)
            self._sleep(wait)

    def _note_pace(self, response: httpx.Response, pace: Pace) -> None:
        """Retry-After on a success asks the next request to wait "to fall under the
        detection threshold" (the docs' words): it is the service's own answer, so it wins.
        Without it, a request the service held (``X-RateLimit-Delay``, how long it was
        held) says the identity is over its limit: the next one waits as long. Waiting
        the delay *on top of* a Retry-After would wait for the same thing twice."""
        held = _rate_limit_delay(response) or 0.0
        if held > 0:
            _TALLY.add("delayed")
        retry_after = _retry_after(response)
        delay = held if retry_after is None else retry_after
        if delay <= 0:
            return
        pace.hold_until(self._clock() + min(delay, self._policy.max_retry_after))


def raise_for_answer(response: httpx.Response) -> None:
    """Turn anything that is not data into the matching error (R14, R15)."""
    status = response.status_code
    if status == 203 or 300 <= status < 400:
        raise AuthenticationError(
            "Azure DevOps did not accept the credentials (it answered with a sign-in "
            "redirect instead of data)",
            status=status,
        )
    if 200 <= status < 300:
        if _is_html(response):
            raise AuthenticationError(
                "Azure DevOps answered with an HTML sign-in page instead of data: "
                "the credentials were not accepted",
                status=status,
            )
        return
    message, type_key = _error_text(response)
    if status == 412:
        raise RevisionConflict(message, work_item_id=0, expected_rev=None)
    if status == 401 or (status == 403 and _is_html(response)):
        raise AuthenticationError(message, status=status, type_key=type_key)
    raise ConfigurationError(message, status=status, type_key=type_key)


def _transport_failure(exc: httpx.TransportError, *, may_have_succeeded: bool) -> TransientError:
    error = TransientError(
        f"no answer from Azure DevOps ({type(exc).__name__})",
        may_have_succeeded=may_have_succeeded,
    )
    error.__cause__ = exc
    return error


def _is_html(response: httpx.Response) -> bool:
    return "html" in response.headers.get("content-type", "").lower()


def _error_text(response: httpx.Response) -> tuple[str, str | None]:
    """Azure DevOps' own ``message`` and ``typeKey`` when the body has them."""
    fallback = f"Azure DevOps answered HTTP {response.status_code}"
    if _is_html(response):
        return fallback + " with an HTML page", None
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return fallback, None
    if not isinstance(body, dict):
        return fallback, None
    message = body.get("message")
    type_key = body.get("typeKey")
    return (
        message if isinstance(message, str) and message else fallback,
        type_key if isinstance(type_key, str) else None,
    )


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers)


def _rate_limit_delay(response: httpx.Response) -> float | None:
    value = response.headers.get("x-ratelimit-delay")
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None
