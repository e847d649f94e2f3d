"""Reading Conviso: one issue, a company's issues paged to a watermark (R13), its assets
(the admin page's picker), and which linked issues Conviso no longer returns (R25).

Read-only, so every request here is safe to retry; paging never loops and never takes a
refusal or an outage for a deletion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync_core.rules.models import Vulnerability

from .errors import ConvisoAuthError, ConvisoQueryError, ConvisoRequestError
from .graphql import GraphQLTransport, json_object
from .queries import CHECK_ISSUES_BATCH, GET_ISSUE, LIST_ASSETS, LIST_ISSUES, check_issues_document

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "IssuePage", "IssueReads"]

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 100  # what Conviso's own CLI pages with; larger pages are not documented


@dataclass(frozen=True)
class IssuePage:
    """One page of ``issues``, newest change first."""

    issues: tuple[Vulnerability, ...]
    page: int
    total_pages: int
    total_count: int


class IssueReads(GraphQLTransport):
    """The read operations: issues, pages of issues, assets, and missing issues."""

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
        payload = json_object(response)
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
