"""The emulator's HTTP face: a WSGI app answering ``POST /graphql`` the way Conviso does.

In order, a request meets: injected faults (being down, bursts of 5xx or 429), the API
key check (401), the rate limit (429 with ``Retry-After``), then GraphQL itself: syntax,
validation against the emulator's schema, Conviso's depth/complexity limits, execution.
GraphQL errors come back as HTTP 200 with ``errors[]``, as Conviso answers them. Every
request is recorded (operation name and variables, never the API key).
"""

from __future__ import annotations

import copy
import functools
import hmac
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)
from werkzeug.wrappers import Request, Response

from .limits import measure
from .resolvers import emulator_schema
from .store import ConvisoStore

__all__ = ["ConvisoApp", "Faults", "RateLimit", "RecordedRequest"]


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent and what it got, for tests to assert on."""

    operation_name: str | None
    variables: dict[str, Any]
    status_code: int
    authenticated: bool
    at: datetime


class RateLimit:
    """At most ``limit`` requests per sliding ``window`` seconds (Conviso: 1,200 a minute)."""

    def __init__(
        self,
        limit: int = 1200,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: deque[float] = deque()
        self._lock = threading.Lock()

    def reset(self, limit: int, window: float) -> None:
        with self._lock:
            self.limit, self.window = limit, window
            self._seen.clear()

    def admit(self) -> float | None:
        """None when the request may pass, else the seconds until it would."""
        with self._lock:
            now = self._clock()
            while self._seen and self._seen[0] <= now - self.window:
                self._seen.popleft()
            if len(self._seen) >= self.limit:
                return max(0.0, self._seen[0] + self.window - now)
            self._seen.append(now)
            return None


class Faults:
    """Failures tests inject: the next N answers, or being down until told otherwise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: deque[tuple[int, float | None]] = deque()
        self.down = False

    def fail_next(
        self, count: int = 1, *, status: int = 503, retry_after: float | None = None
    ) -> None:
        """The next ``count`` requests get ``status`` (e.g. a burst of 502/503)."""
        with self._lock:
            self._queued.extend([(status, retry_after)] * count)

    def throttle_next(self, count: int = 1, *, retry_after: float | None = 1.0) -> None:
        """The next ``count`` requests get 429, with ``Retry-After`` unless it is None."""
        self.fail_next(count, status=429, retry_after=retry_after)

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()
            self.down = False

    def take(self) -> tuple[int, float | None] | None:
        with self._lock:
            if self.down:
                return (503, None)
            return self._queued.popleft() if self._queued else None


class ConvisoApp:
    """WSGI callable serving the emulated Conviso GraphQL API at ``/graphql``."""

    def __init__(self, store: ConvisoStore, *, api_key: str, rate_limit: RateLimit) -> None:
        self.store = store
        self.api_key = api_key
        self.rate_limit = rate_limit
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self._record_lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_json(silent=True) if request.method == "POST" else None
        body = body if isinstance(body, dict) else {}
        authenticated = hmac.compare_digest(
            request.headers.get("x-api-key", "").encode(), self.api_key.encode()
        )
        response = self._answer(request, body, authenticated)
        self._record(body, response.status_code, authenticated)
        return response(environ, start_response)

    def _answer(self, request: Request, body: dict[str, Any], authenticated: bool) -> Response:
        if request.path.rstrip("/") != "/graphql":
            return _errors(404, "Not Found")
        if request.method != "POST":
            return _errors(405, "Use POST")
        fault = self.faults.take()
        if fault is not None:
            return _errors(fault[0], "Injected fault", retry_after=fault[1])
        if not authenticated:
            return _errors(401, "Unauthorized: invalid or missing x-api-key")
        wait = self.rate_limit.admit()
        if wait is not None:
            return _errors(429, "Too Many Requests", retry_after=wait)
        if not isinstance(body.get("query"), str):
            return _errors(400, "Send a JSON body with a 'query' string")
        return _json(200, self._graphql(body))

    def _graphql(self, body: dict[str, Any]) -> dict[str, Any]:
        operation = body.get("operationName")
        if operation is None or isinstance(operation, str):
            document, refusals = _checked(body["query"], operation)
        else:  # not a name: checked as sent, never remembered
            document, refusals = _check(body["query"], operation)
        if document is None:
            return {"errors": list(refusals)}
        with self.store.lock:
            result = execute(
                emulator_schema(),
                document,
                context_value=self.store,
                variable_values=body.get("variables") or {},
                operation_name=body.get("operationName"),
            )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        return answer

    def _record(self, body: dict[str, Any], status_code: int, authenticated: bool) -> None:
        variables = body.get("variables")
        entry = RecordedRequest(
            operation_name=_operation_name(body),
            variables=copy.deepcopy(variables) if isinstance(variables, dict) else {},
            status_code=status_code,
            authenticated=authenticated,
            at=datetime.now(UTC),
        )
        with self._record_lock:
            self.requests.append(entry)


def _check(query: str, operation: Any) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
    """The document, or why it is refused: its syntax, the schema, then Conviso's limits."""
    try:
        document = parse(query)
    except GraphQLError as syntax:
        return None, (syntax.formatted,)
    problems = validate(emulator_schema(), document)
    if problems:
        return None, tuple(p.formatted for p in problems)
    over = measure(document, operation).violations()
    if over:
        return None, tuple({"message": m} for m in over)
    return document, ()


@functools.lru_cache(maxsize=512)
def _checked(
    query: str, operation: str | None
) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
    """``_check``, once per document: the app sends the same few documents again and again,
    and parsing and validating them was most of the emulator's time (a document is never
    changed by executing it)."""
    return _check(query, operation)


def _operation_name(body: dict[str, Any]) -> str | None:
    if isinstance(body.get("operationName"), str):
        return str(body["operationName"])
    try:
        document = parse(body.get("query") or "")
    except (GraphQLError, TypeError):
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    return None


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload), status=status, headers=headers, content_type="application/json"
    )


def _errors(status: int, message: str, *, retry_after: float | None = None) -> Response:
    headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after is not None else None
    return _json(status, {"errors": [{"message": message}]}, headers)
