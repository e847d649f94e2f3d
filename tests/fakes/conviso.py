"""An in-memory Conviso company, as one integration's API key sees it.

It keeps what the service relies on, as the Conviso emulator does
(``localdev/conviso_emulator``): a status change outside ``permitted_status`` is refused
(``StatusNotPermitted``), asking for the status an issue has returns it unchanged
(``ConvisoClient.change_issue_status``'s docstring), an e-mail Conviso does not know is a
GraphQL error (``ConvisoQueryError``), and ``iter_issues`` yields newest change first,
stopping at the first issue older than ``since``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sync_core.adapters.conviso.client import IssuePage  # the page value list_issues_page answers
from sync_core.ports import ConvisoQueryError, ConvisoRequestError, StatusNotPermitted
from sync_core.rules import ConvisoStatus, Vulnerability


@dataclass
class FakeConviso:
    issues: dict[str, Vulnerability] = field(default_factory=dict)
    #: e-mails Conviso knows as users of the company; None: everyone
    known_users: set[str] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: every mutation, in order: ("status", id, status, reason, author) / ("assignee", id, emails)
    mutations: list[tuple[Any, ...]] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    #: the next call of this name raises this (a fault, once)
    fail_next: dict[str, Exception] = field(default_factory=dict)

    def put(self, issue: Vulnerability) -> Vulnerability:
        self.issues[issue.id] = issue
        return issue

    def _fault(self, operation: str) -> None:
        fault = self.fail_next.pop(operation, None)
        if fault is not None:
            raise fault

    def get_issue(self, issue_id: str) -> Vulnerability:
        self.reads.append(issue_id)
        self._fault("get_issue")
        issue = self.issues.get(issue_id)
        if issue is None:
            raise ConvisoRequestError(f"Couldn't find Issue with 'id'={issue_id}", status_code=404)
        return issue

    def change_issue_status(
        self,
        issue_id: str,
        status: ConvisoStatus,
        reason: str | None,
        *,
        external_author: str | None = None,
        risk_accepted_until: datetime | None = None,
    ) -> Vulnerability:
        self._fault("change_issue_status")
        issue = self.get_issue(issue_id)
        if issue.status == status:
            return issue
        permitted = issue.permitted_status
        if permitted is not None and status not in permitted:
            raise StatusNotPermitted(
                "ChangeIssueStatus", [f"status {status.value} is not permitted"],
                issue_id=issue_id, status=status, current=issue.status, permitted=permitted,
            )  # fmt: skip
        self.mutations.append(("status", issue_id, status, reason, external_author))
        changed = issue.model_copy(update={"status": status, "updated_at": self.clock()})
        self.issues[issue_id] = changed
        return changed

    def update_issue_assignee(self, issue_id: str, emails: Sequence[str]) -> tuple[str, ...]:
        self._fault("update_issue_assignee")
        self.get_issue(issue_id)
        unknown = [e for e in emails if self.known_users is not None and e not in self.known_users]
        if unknown:
            raise ConvisoQueryError("UpdateIssueAssignee", [f"User not found: {unknown[0]}"])
        self.mutations.append(("assignee", issue_id, tuple(emails)))
        return tuple(e.lower() for e in emails)

    def list_assets_page(
        self, company_id: str, *, page: int = 1, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int]:
        self._fault("list_assets_page")
        assets = {i.asset.id: i.asset for i in self.issues.values()}
        listed = [{"id": a.id, "name": a.name or "", "tags": []} for a in assets.values()]
        return listed[(page - 1) * limit : page * limit], max(1, -(-len(listed) // limit))

    def list_issues_page(self, company_id: str, *, page: int = 1, per_page: int = 100) -> IssuePage:
        self._fault("list_issues_page")
        issues = sorted(self.issues.values(), key=lambda i: i.updated_at, reverse=True)
        chunk = tuple(issues[(page - 1) * per_page : page * per_page])
        pages = max(1, -(-len(issues) // per_page))
        return IssuePage(issues=chunk, page=page, total_pages=pages, total_count=len(issues))

    def missing_issues(self, issue_ids: Sequence[str]) -> set[str]:
        self._fault("missing_issues")
        return {i for i in issue_ids if i not in self.issues}

    def iter_issues(
        self,
        company_id: str,
        *,
        since: datetime | None = None,
        per_page: int = 100,
        start_page: int = 1,
        on_page: Callable[[Any], None] | None = None,
    ) -> Iterator[Vulnerability]:
        self._fault("iter_issues")
        for issue in sorted(self.issues.values(), key=lambda i: i.updated_at, reverse=True):
            if since is not None and issue.updated_at < since:
                return
            yield issue
            self._fault("iter_issues_midway")
