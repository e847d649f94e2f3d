"""Sending one request to Azure DevOps politely: pacing, retries, and error translation.

Everything about the other side's limits lives here (R14): ``Retry-After`` is honoured
even on a 200, ``X-RateLimit-Delay`` slows the next request down, 408/429/5xx and
timeouts are retried with bounded exponential backoff and jitter, a 412 is never
retried, and every other answer becomes a typed error carrying Azure DevOps' own
``message`` and ``typeKey``. httpx errors never escape: they become ``TransientError``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    "ConnectionPools",
    "Requester",
    "RetryPolicy",
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
        capped = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return capped * (0.5 + 0.5 * jitter)


class ConnectionPools:
    """One ``httpx.Client`` (a connection pool) per organization, reused by every client.

    Credentials are added per request, never stored on the pool, so integrations that
    share an organization share its connections and nothing else.
    """

    def __init__(
        self, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT, limits: httpx.Limits = DEFAULT_LIMITS
    ) -> None:
        self._timeout = timeout
        self._limits = limits
        self._pools: dict[tuple[str, str], httpx.Client] = {}
        self._lock = threading.Lock()

    def for_organization(self, base_url: str, organization: str) -> httpx.Client:
        key = (base_url.rstrip("/").lower(), organization.lower())
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = httpx.Client(
                    timeout=self._timeout, limits=self._limits, follow_redirects=False
                )
                self._pools[key] = pool
            return pool

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


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
        self._not_before = 0.0
        self._pace_lock = threading.Lock()

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
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_pace()
            outcome, safe = self._attempt(method, url, params, content, content_type, idempotent)
            if isinstance(outcome, httpx.Response):
                return outcome
            failure = outcome
            delay = failure.retry_after
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
    ) -> tuple[httpx.Response | TransientError, bool]:
        headers = {
            "Authorization": self._auth.authorization(),
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
        self._note_pace(response)
        raise_for_answer(response)
        return response, True

    def _wait_for_pace(self) -> None:
        with self._pace_lock:
            wait = self._not_before - self._clock()
        if wait > 0:
            self._sleep(wait)

    def _note_pace(self, response: httpx.Response) -> None:
        """Retry-After on a success and X-RateLimit-Delay both ask the next request to wait."""
        delay = max(_retry_after(response) or 0.0, _rate_limit_delay(response) or 0.0)
        if delay <= 0:
            return
        delay = min(delay, self._policy.max_retry_after)
        with self._pace_lock:
            self._not_before = max(self._not_before, self._clock() + delay)


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
