"""The GraphQL plumbing every Conviso operation shares: one POST with ``x-api-key``,
bounded retries of what is transient (``retry``), and every other answer turned into the
error tree of ``errors``; an issue node decoded into the rules' ``Vulnerability``.

A base class, so the reads (``reads``) and the writes (``writes``) send their documents
one way; ``client.ConvisoClient`` is the one public class that joins them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError

from sync_core.rules.models import Vulnerability

from .errors import ConvisoAuthError, ConvisoQueryError, ConvisoRequestError, ConvisoUnavailable
from .queries import VULNERABILITY_SEVERITY_ALIAS, VULNERABILITY_SOLUTION_ALIAS
from .retry import MAX_RETRIES, MAX_RETRY_AFTER, RETRYABLE_STATUS, Backoff, parse_retry_after

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_TIMEOUT",
    "GraphQLTransport",
    "error_messages",
    "issue_from_node",
    "json_object",
]

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.convisoappsec.com/graphql"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class GraphQLTransport:
    """Conviso's GraphQL API over HTTP, authenticated with ``x-api-key``."""

    def __init__(
        self,
        *,
        api_key: str | SecretStr,
        api_url: str = DEFAULT_API_URL,
        http: httpx.Client | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = MAX_RETRIES,
        backoff: Backoff | None = None,
    ) -> None:
        self._api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._api_url = api_url
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._sleep = sleep
        self._max_retries = max_retries
        self._backoff = backoff if backoff is not None else Backoff()

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owns_http:
            self._http.close()

    def _execute(self, operation: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST one operation; return its ``data`` or raise from the error tree."""
        body = {"query": document, "operationName": operation, "variables": variables}
        response = self._send(operation, body)
        payload = json_object(response)
        messages = error_messages(payload)
        if response.status_code in (401, 403):
            detail = f": {'; '.join(messages)}" if messages else ""
            raise ConvisoAuthError(
                f"{operation}: Conviso refused the API key (HTTP {response.status_code}){detail}",
                status_code=response.status_code,
            )
        if payload is not None and "errors" in payload and response.status_code < 500:
            raise ConvisoQueryError(operation, messages)
        data = payload.get("data") if payload is not None else None
        if not response.is_success or not isinstance(data, dict):
            raise ConvisoRequestError(
                f"{operation}: unexpected answer from Conviso (HTTP {response.status_code})",
                status_code=response.status_code,
            )
        return data

    def _send(self, operation: str, body: Mapping[str, Any]) -> httpx.Response:
        """POST with bounded retries of 408/429/5xx and transport failures."""
        headers = {"x-api-key": self._api_key.get_secret_value(), "accept": "application/json"}
        for attempt in range(self._max_retries + 1):
            cause: Exception | None = None
            try:
                response = self._http.post(self._api_url, json=body, headers=headers)
            except httpx.TransportError as exc:
                cause, retry_after = exc, None
                failure = ConvisoUnavailable(
                    f"{operation}: {type(exc).__name__} talking to Conviso"
                )
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                retry_after = parse_retry_after(response.headers)
                failure = ConvisoUnavailable(
                    f"{operation}: Conviso answered HTTP {response.status_code}",
                    status_code=response.status_code,
                    retry_after=retry_after,
                )
                if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                    raise failure
            if attempt == self._max_retries:
                raise failure from cause
            delay = self._backoff.delay(attempt, retry_after)
            logger.warning(
                "Conviso %s failed (%s); retry %d of %d in %.2fs",
                operation,
                failure,
                attempt + 1,
                self._max_retries,
                delay,
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _decode(operation: str, node: object) -> Vulnerability:
        if not isinstance(node, Mapping):
            raise ConvisoRequestError(f"{operation}: Conviso returned no issue", status_code=200)
        try:
            return issue_from_node(node)
        except ValidationError as exc:
            raise ConvisoRequestError(
                f"{operation}: Conviso returned an issue this client cannot read "
                f"({exc.error_count()} problems)",
                status_code=200,
            ) from exc


def issue_from_node(node: Mapping[str, Any]) -> Vulnerability:
    """An ``IssueFields`` node as the rules' ``Vulnerability``, folding back the aliases."""
    data = dict(node)
    for alias, name in (
        (VULNERABILITY_SEVERITY_ALIAS, "severity"),
        (VULNERABILITY_SOLUTION_ALIAS, "solution"),
    ):
        value = data.pop(alias, None)
        if value is not None:
            data[name] = value
    return Vulnerability.model_validate(data)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def error_messages(payload: Mapping[str, Any] | None) -> list[str]:
    errors = payload.get("errors") if payload else None
    if not isinstance(errors, list):
        return []
    return [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors]
