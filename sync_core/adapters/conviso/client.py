"""The Conviso Platform GraphQL client: read an issue, page issues to a watermark, change a status.

It speaks plain HTTP through an injected ``httpx.Client`` (the tests point it at the local
emulator), retries only what is transient (see ``retry``), and turns every other answer
into the error tree of ``errors``. What it returns is the rules' ``Vulnerability``, so
nothing above this module touches Conviso's JSON.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError

from sync_core.rules.models import Vulnerability
from sync_core.rules.vocabulary import ConvisoStatus

from .errors import (
    ConvisoAuthError,
    ConvisoQueryError,
    ConvisoRequestError,
    ConvisoUnavailable,
    StatusNotPermitted,
)
from .queries import (
    CHANGE_ISSUE_STATUS,
    CHECK_ISSUES_BATCH,
    GET_ISSUE,
    LIST_ASSETS,
    LIST_ISSUES,
    UPDATE_ISSUE_ASSIGNEE,
    VULNERABILITY_SEVERITY_ALIAS,
    VULNERABILITY_SOLUTION_ALIAS,
    check_issues_document,
)
from .retry import MAX_RETRIES, MAX_RETRY_AFTER, RETRYABLE_STATUS, Backoff, parse_retry_after

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_PER_PAGE",
    "DEFAULT_TIMEOUT",
    "MAX_PER_PAGE",
    "ConvisoClient",
    "IssuePage",
    "issue_from_node",
]

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.convisoappsec.com/graphql"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 100  # what Conviso's own CLI pages with; larger pages are not documented


@dataclass(frozen=True)
class IssuePage:
    """One page of ``issues``, newest change first."""

    issues: tuple[Vulnerability, ...]
    page: int
    total_pages: int
    total_count: int


class ConvisoClient:
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

    def __repr__(self) -> str:
        return f"ConvisoClient(api_url={self._api_url!r})"

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ConvisoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ operations

    def get_issue(self, issue_id: str) -> Vulnerability:
        """One issue with everything a card needs, its ``permittedStatus`` and ``updatedAt``."""
        data = self._execute("GetIssue", GET_ISSUE, {"id": issue_id})
        return self._decode("GetIssue", data.get("issue"))

    def list_issues_page(
        self, company_id: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> IssuePage:
        """Page ``page`` of a company's issues sorted ``UPDATED_AT DESC``."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        variables = {"companyId": company_id, "page": page, "perPage": per_page}
        data = self._execute("ListIssues", LIST_ISSUES, variables)
        issues = data.get("issues") or {}
        metadata = issues.get("metadata") or {}
        return IssuePage(
            issues=tuple(self._decode("ListIssues", n) for n in issues.get("collection") or ()),
            page=int(metadata.get("currentPage") or page),
            total_pages=int(metadata.get("totalPages") or 0),
            total_count=int(metadata.get("totalCount") or 0),
        )

    def iter_issues(
        self,
        company_id: str,
        *,
        since: datetime | None = None,
        per_page: int = DEFAULT_PER_PAGE,
        start_page: int = 1,
        on_page: Callable[[IssuePage], None] | None = None,
    ) -> Iterator[Vulnerability]:
        """A company's issues, newest change first, stopping at the watermark ``since`` (R13).

        Lazy: a page is fetched only when the previous one is used up, and paging stops at
        the first issue older than ``since`` (issues exactly at it are still yielded, since
        Conviso's timestamps have second precision). Page numbers shift while issues change
        during a pass: an issue can show up twice (it is yielded once), and one changed
        after the pass began can be missed; the next pass finds it as long as the caller's
        new watermark is the newest ``updated_at`` it saw, never the wall clock. (An issue
        deleted mid-pass shifts the pages the other way and can hide one neighbour until a
        full pass, ``since=None``.)

        ``start_page`` resumes a pass where a dead one stopped (a backfill's cursor);
        ``on_page`` sees each page as fetched, before its issues are yielded: its
        ``total_count`` (``metadata.totalCount``) is what a backfill's progress counts to.
        """
        if since is not None and since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        seen: set[str] = set()
        page = max(1, start_page)
        while True:
            result = self.list_issues_page(company_id, page=page, per_page=per_page)
            if on_page is not None:
                on_page(result)
            for issue in result.issues:
                if since is not None and issue.updated_at < since:
                    return
                if issue.id not in seen:
                    seen.add(issue.id)
                    yield issue
            if _last_page(result, per_page):
                return
            page += 1

    def list_assets_page(
        self, company_id: str, *, page: int = 1, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the company's assets (``{id, name, tags}``) and the number of pages,
        for the admin page's asset picker."""
        variables = {"companyId": company_id, "page": page, "limit": limit}
        found = self._execute("ListAssets", LIST_ASSETS, variables).get("assets") or {}
        assets = [
            {
                "id": str(a.get("id")),
                "name": a.get("name") or "",
                "tags": a.get("assetsTagList") or [],
            }
            for a in found.get("collection") or ()
            if isinstance(a, Mapping)
        ]
        return assets, int((found.get("metadata") or {}).get("totalPages") or 0)

    def missing_issues(self, issue_ids: Sequence[str]) -> set[str]:
        """Which of ``issue_ids`` Conviso no longer returns (R25): deleted, or gone with
        their branch. One request per ``CHECK_ISSUES_BATCH`` ids.

        An issue is missing only when Conviso's error for its own alias says it was not
        found (Rails' ``Couldn't find Issue``, or a "not found"); any other error is
        raised, so a refusal or an outage is never taken for a deletion."""
        ids = list(dict.fromkeys(str(i) for i in issue_ids))
        missing: set[str] = set()
        for start in range(0, len(ids), CHECK_ISSUES_BATCH):
            chunk = ids[start : start + CHECK_ISSUES_BATCH]
            # A missing issue nulls the whole answer (its field is non-null), and a server
            # may stop at the first such error: ask again without the ones found until an
            # answer has no error. Deletions are rare; each round finds at least one.
            while chunk:
                gone = self._missing_of(chunk)
                if not gone:
                    break
                missing |= gone
                chunk = [i for i in chunk if i not in gone]
        return missing

    def _missing_of(self, chunk: list[str]) -> set[str]:
        operation = "CheckIssues"
        body = {
            "query": check_issues_document(len(chunk)),
            "operationName": operation,
            "variables": {f"i{n}": issue_id for n, issue_id in enumerate(chunk)},
        }
        response = self._send(operation, body)
        payload = _json_object(response)
        if response.status_code in (401, 403):
            raise ConvisoAuthError(
                f"{operation}: Conviso refused the API key (HTTP {response.status_code})",
                status_code=response.status_code,
            )
        if not response.is_success or payload is None:
            raise ConvisoRequestError(
                f"{operation}: unexpected answer from Conviso (HTTP {response.status_code})",
                status_code=response.status_code,
            )
        errors = payload.get("errors")
        missing: set[str] = set()
        unexplained: list[str] = []
        for error in errors if isinstance(errors, list) else ():
            path = error.get("path") if isinstance(error, Mapping) else None
            message = str(error.get("message", "")) if isinstance(error, Mapping) else str(error)
            alias = path[0] if isinstance(path, list) and len(path) == 1 else None
            index = _alias_index(alias, len(chunk))
            if index is not None and _NOT_FOUND.search(message):
                missing.add(chunk[index])
            else:
                unexplained.append(message)
        if unexplained:
            raise ConvisoQueryError(operation, unexplained)
        data = payload.get("data")
        if not missing and not isinstance(data, Mapping):
            raise ConvisoRequestError(f"{operation}: Conviso returned no data", status_code=200)
        return missing

    def change_issue_status(
        self,
        issue_id: str,
        status: ConvisoStatus,
        reason: str | None,
        *,
        external_author: str | None = None,
        risk_accepted_until: datetime | None = None,
    ) -> Vulnerability:
        """Set an issue's workflow status (R7) and return the issue as Conviso now has it.

        ``external_author``: the e-mail of the person who decided
        (``externalAuthorIdentifier``); ``risk_accepted_until``: the deadline of a risk
        acceptance (``riskAcceptedUntil``, ISO 8601) — both R24, 2026 live API.

        Raises ``StatusNotPermitted`` when Conviso refuses a status the issue does not
        permit. Asking for the status it already has returns the issue unchanged, so a
        change retried after a timeout that had in fact landed is not an error.
        """
        change: dict[str, str] = {"id": issue_id, "status": ConvisoStatus(status).value}
        if reason is not None:
            change["reason"] = reason
        if external_author is not None:
            change["externalAuthorIdentifier"] = external_author
        if risk_accepted_until is not None:
            moment = risk_accepted_until
            if moment.tzinfo is None:
                raise ValueError("risk_accepted_until must be timezone-aware")
            change["riskAcceptedUntil"] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        try:
            data = self._execute("ChangeIssueStatus", CHANGE_ISSUE_STATUS, {"input": change})
        except ConvisoQueryError as refused:
            return self._explain_refusal(issue_id, ConvisoStatus(status), refused)
        payload = data.get("changeIssueStatus") or {}
        return self._decode("ChangeIssueStatus", payload.get("issue"))

    def update_issue_assignee(self, issue_id: str, emails: Sequence[str]) -> tuple[str, ...]:
        """Set who an issue is assigned to (R23; an empty list: nobody) and return the
        assignees' e-mails as Conviso now has them. One request.

        A GraphQL error (an e-mail Conviso does not know, or an input this schema addition
        got wrong: specs/README.md) raises ``ConvisoQueryError``, which the caller records
        as a warning; it is never retried blindly."""
        variables = {"input": {"issueId": issue_id, "assigneeEmails": list(emails)}}
        data = self._execute("UpdateIssueAssignee", UPDATE_ISSUE_ASSIGNEE, variables)
        payload = data.get("updateIssueAssignee") or {}
        users = payload.get("assignees") if isinstance(payload, Mapping) else None
        return tuple(
            str(u.get("email")).lower()
            for u in users or ()
            if isinstance(u, Mapping) and u.get("email")
        )

    def _explain_refusal(
        self, issue_id: str, status: ConvisoStatus, refused: ConvisoQueryError
    ) -> Vulnerability:
        """Conviso's wording of a refusal is not documented, so decide from the issue itself."""
        try:
            current = self.get_issue(issue_id)
        except ConvisoQueryError:
            raise refused from None
        if current.status == status:
            return current
        permitted = current.permitted_status or ()
        if status not in permitted:
            raise StatusNotPermitted(
                refused.operation,
                refused.messages,
                issue_id=issue_id,
                status=status,
                current=current.status,
                permitted=permitted,
            ) from refused
        raise refused

    # ------------------------------------------------------------------ transport

    def _execute(self, operation: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST one operation; return its ``data`` or raise from the error tree."""
        body = {"query": document, "operationName": operation, "variables": variables}
        response = self._send(operation, body)
        payload = _json_object(response)
        messages = _error_messages(payload)
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


#: How Conviso (a Rails app: ``ActiveRecord::RecordNotFound``) says an issue is gone.
_NOT_FOUND = re.compile(r"couldn't find issue|not found", re.IGNORECASE)


def _alias_index(alias: object, count: int) -> int | None:
    if not isinstance(alias, str) or not re.fullmatch(r"i\d{1,3}", alias):
        return None
    index = int(alias[1:])
    return index if index < count else None


def _last_page(result: IssuePage, per_page: int) -> bool:
    """``metadata`` is nullable in Conviso's schema: without it, a short page is the last."""
    if not result.issues:
        return True
    if result.total_pages:
        return result.page >= result.total_pages
    return len(result.issues) < per_page


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _error_messages(payload: Mapping[str, Any] | None) -> list[str]:
    errors = payload.get("errors") if payload else None
    if not isinstance(errors, list):
        return []
    return [str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors]
