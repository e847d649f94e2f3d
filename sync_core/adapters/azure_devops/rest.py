"""The REST plumbing every part of the Azure DevOps client shares: the organization's
root URL, ``api-version``, and one ``transport.Requester`` for limits, retries and errors.

A base class, so the discovery, work item and service hook operations (each in its own
module, by what it reaches) build their requests one way; ``client.AzureDevOpsClient``
joins them into the one public class.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from .auth import Auth
from .errors import ConfigurationError
from .transport import DEFAULT_LIMITS, DEFAULT_TIMEOUT, Requester, RetryPolicy, Sleep

__all__ = [
    "API_VERSION",
    "BASE_URL_SETTING",
    "DEFAULT_BASE_URL",
    "OrganizationRest",
    "list_values",
    "path_segment",
    "project_segments",
]

API_VERSION = "7.1"
DEFAULT_BASE_URL = "https://dev.azure.com"
BASE_URL_SETTING = "AZURE_DEVOPS_BASE_URL"


class OrganizationRest:
    """One organization's REST root and connection pool, on behalf of one set of credentials."""

    def __init__(
        self,
        *,
        organization: str,
        auth: Auth,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not organization or "/" in organization:
            raise ValueError("organization must be a plain Azure DevOps organization name")
        self.organization = organization
        self._root = f"{base_url.rstrip('/')}/{path_segment(organization)}"
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS, follow_redirects=False
        )
        self._requests = Requester(
            http=self._http,
            auth=auth,
            policy=retry or RetryPolicy(),
            sleep=sleep,
            clock=clock,
            jitter=jitter,
        )

    def close(self) -> None:
        """Close the connection pool, unless it was given (then its owner closes it)."""
        if self._owns_http:
            self._http.close()

    def _url(self, *segments: str) -> str:
        return "/".join([self._root, *(path_segment(s) for s in segments)])

    def _get(
        self, url: str, *, params: Mapping[str, str] | None = None, versioned: bool = True
    ) -> Any:
        return self._send("GET", url, params=params, versioned=versioned).json()

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        idempotent: bool = True,
        versioned: bool = True,
    ) -> httpx.Response:
        query = {"api-version": API_VERSION} if versioned else {}
        query.update(params or {})
        return self._requests.send(
            method, url, params=query, body=body,
            content_type=content_type, idempotent=idempotent,
        )  # fmt: skip


def path_segment(value: str) -> str:
    """A path segment, percent-encoded (project and team names have spaces)."""
    if value.startswith("$"):
        return "$" + quote(value[1:], safe="")
    return quote(value, safe="")


def project_segments(project: str | None) -> tuple[str, ...]:
    return (project,) if project else ()


def list_values(body: Any) -> list[Any]:
    """List answers are ``{"count": n, "value": [...]}`` on the wire."""
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        return list(body["value"])
    raise ConfigurationError("Azure DevOps answered a list request without a 'value' list")
