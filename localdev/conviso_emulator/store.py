"""The emulator's in-memory Conviso: companies, assets, projects and issues, and what changed.

Tests drive it directly (seed issues, change them as a scan would) and through GraphQL
(``changeIssueStatus``); both paths keep the same rules: ``updatedAt`` moves forward on
every change, statuses follow ``lifecycle``, and every applied status change is recorded
with its reason and source.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .lifecycle import REOPENED_BY_SCAN, SCAN_CANNOT_CLOSE, permitted_statuses

__all__ = [
    "API_USER",
    "ISSUE_TYPES",
    "AssetRecord",
    "AssigneeChange",
    "CompanyRecord",
    "ConvisoStore",
    "IssueRecord",
    "ProjectRecord",
    "StatusChange",
    "StatusRefused",
    "UnknownUser",
    "UserRecord",
]

#: The concrete issue types the emulator serves: ``Issue`` enum value -> GraphQL type.
ISSUE_TYPES: dict[str, str] = {
    "SAST_FINDING": "SastFinding",
    "SCA_FINDING": "ScaFinding",
    "DAST_FINDING": "DastFinding",
    "WEB_VULNERABILITY": "WebVulnerability",
}

_HTTP_DETAIL: dict[str, Any] = {
    "url": "https://app.example.test/",
    "method": "GET",
    "port": 443,
    "scheme": "HTTPS",
    "parameters": None,
    "request": "GET / HTTP/1.1",
    "response": "HTTP/1.1 200 OK",
}
_DEFAULT_DETAIL: dict[str, dict[str, Any]] = {
    "SAST_FINDING": {
        "fileName": "app/main.py",
        "vulnerableLine": 1,
        "firstLine": 1,
        "codeSnippet": "",
        "commitRef": None,
    },
    "SCA_FINDING": {
        "package": "example-lib",
        "affectedVersion": "1.0.0",
        "patchedVersion": None,
        "cve": None,
        "fileName": "requirements.txt",
    },
    "DAST_FINDING": _HTTP_DETAIL,
    "WEB_VULNERABILITY": _HTTP_DETAIL,
}


class StatusRefused(Exception):
    """``changeIssueStatus`` asked for a status the issue does not permit."""


class UnknownUser(Exception):
    """``updateIssueAssignee`` named an e-mail that is no user of the company. What the
    real API answers is not documented; the emulator is strict and refuses (R23)."""


@dataclass(frozen=True)
class UserRecord:
    """A Conviso user (``PortalUser``): who an issue can be assigned to, who decides."""

    email: str
    name: str | None = None
    id: str = ""


#: Who changes made through the API are attributed to when no known
#: ``externalAuthorIdentifier`` names someone: the API key's owner.
API_USER = UserRecord("api-integration@conviso.test", "Conviso API key", "2")
#: Who a scan's changes are attributed to.
SCANNER = UserRecord("scanner@conviso.test", "Conviso Scanner", "1")


@dataclass
class CompanyRecord:
    id: str
    label: str
    created_at: datetime


@dataclass
class AssetRecord:
    id: str
    company_id: str
    name: str
    created_at: datetime
    url: str | None = None
    #: ``Asset.assetsTagList``: the tags an analyst gives the asset in Conviso (R22)
    tags: list[str] = field(default_factory=list)


@dataclass
class ProjectRecord:
    id: str
    company_id: str
    label: str
    asset_ids: list[str]
    created_at: datetime
    type: str = "Continuous"
    is_open: bool = True


@dataclass(frozen=True)
class StatusChange:
    """One applied status change: through the API, a scan, or a person in the UI."""

    issue_id: str
    previous: str
    status: str
    reason: str | None
    source: str  # "api" | "scan" | "user"
    at: datetime
    external_author: str | None = None
    #: who the status history names (``IssueStatusHistory.source``)
    author: UserRecord = SCANNER
    #: ``riskAcceptedUntil`` as sent (R24)
    risk_accepted_until: datetime | None = None


@dataclass(frozen=True)
class AssigneeChange:
    """One applied ``updateIssueAssignee`` (source "api") or a person's reassignment in
    Conviso's UI (source "user")."""

    issue_id: str
    previous: tuple[str, ...]
    assignees: tuple[str, ...]
    source: str
    at: datetime


@dataclass
class IssueRecord:
    id: str
    asset_id: str
    type: str
    title: str
    status: str
    severity: str | None
    created_at: datetime
    updated_at: datetime
    description: str = ""
    solution: str | None = None
    category: str | None = None
    project_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    #: the remediation SLA (``IssueSla``: ``state``, ``dueAt``, ``daysRemaining``) or None;
    #: Conviso computes it from the company's SLA policy, a test sets it (R20)
    sla: dict[str, Any] | None = None
    #: fixed ``permittedStatus`` for a test; None = follow ``lifecycle``
    permitted_override: list[str] | None = None
    history: list[StatusChange] = field(default_factory=list)
    #: e-mails of the users the issue is assigned to (``assignedUsers``, R23)
    assignees: list[str] = field(default_factory=list)

    @property
    def permitted_status(self) -> list[str]:
        if self.permitted_override is not None:
            return list(self.permitted_override)
        return permitted_statuses(self.status)


class ConvisoStore:
    """All emulated Conviso data behind one lock (the WSGI server is threaded)."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self._clock = clock or (lambda: datetime.now(UTC))
        self.reset()

    def reset(self) -> None:
        """Forget everything, so one running emulator can serve many tests."""
        with self.lock:
            self._ids = itertools.count(1)
            self._issue_ids = itertools.count(1001)
            self.companies: dict[str, CompanyRecord] = {}
            self.assets: dict[str, AssetRecord] = {}
            self.projects: dict[str, ProjectRecord] = {}
            self.issues: dict[str, IssueRecord] = {}
            self.status_changes: list[StatusChange] = []
            self.assignee_changes: list[AssigneeChange] = []
            self.users: dict[str, UserRecord] = {}

    # ----------------------------------------------------------------- seeding

    def add_company(self, label: str = "Fabrikam", *, id: str | None = None) -> CompanyRecord:
        with self.lock:
            company = CompanyRecord(id or str(next(self._ids)), label, self._now())
            self.companies[company.id] = company
            return company

    def add_asset(
        self,
        company_id: str,
        name: str = "payments-api",
        *,
        id: str | None = None,
        tags: list[str] | None = None,
    ) -> AssetRecord:
        with self.lock:
            if company_id not in self.companies:
                raise KeyError(f"no company {company_id}")
            asset = AssetRecord(
                id or str(next(self._ids)), company_id, name, self._now(), tags=list(tags or [])
            )
            self.assets[asset.id] = asset
            return asset

    def add_project(
        self, company_id: str, label: str, asset_ids: list[str] | None = None
    ) -> ProjectRecord:
        with self.lock:
            project = ProjectRecord(
                str(next(self._ids)), company_id, label, list(asset_ids or []), self._now()
            )
            self.projects[project.id] = project
            return project

    def seed_issue(
        self,
        *,
        asset_id: str,
        type: str = "SAST_FINDING",
        title: str = "SQL injection in /login",
        status: str = "IDENTIFIED",
        severity: str | None = "HIGH",
        updated_at: datetime | None = None,
        detail: Mapping[str, Any] | None = None,
        id: str | None = None,
        **fields: Any,
    ) -> IssueRecord:
        """Create an issue as a scan or an analyst would; ``fields``: other IssueRecord fields."""
        if type not in ISSUE_TYPES:
            raise ValueError(f"the emulator serves {sorted(ISSUE_TYPES)}, not {type}")
        with self.lock:
            if asset_id not in self.assets:
                raise KeyError(f"no asset {asset_id}")
            now = updated_at or self._now()
            issue = IssueRecord(
                id=id or str(next(self._issue_ids)),
                asset_id=asset_id,
                type=type,
                title=title,
                status=status,
                severity=severity,
                created_at=fields.pop("created_at", now),
                updated_at=now,
                detail={**_DEFAULT_DETAIL[type], **(detail or {})},
                **fields,
            )
            issue.fingerprint = issue.fingerprint or f"fp-{issue.id}"
            self.issues[issue.id] = issue
            return copy.deepcopy(issue)

    def add_user(self, email: str, name: str | None = None) -> UserRecord:
        """A member of the company: an issue can be assigned to them (R23)."""
        with self.lock:
            user = UserRecord(email.strip().lower(), name, str(next(self._ids)))
            self.users[user.email] = user
            return user

    def user(self, email: str | None) -> UserRecord | None:
        with self.lock:
            return self.users.get((email or "").strip().lower())

    # --------------------------------------------------------- changes, as Conviso

    def change_status(
        self,
        issue_id: str,
        status: str,
        reason: str | None,
        *,
        source: str = "api",
        external_author: str | None = None,
        by: str | None = None,
        risk_accepted_until: datetime | None = None,
    ) -> IssueRecord:
        """Apply a status change; through the API only a permitted status is accepted.

        ``by``: the e-mail of the person making it in Conviso's UI (source "user"), named
        by the status history; an API change is the API key owner's, or the known user
        its ``externalAuthorIdentifier`` names."""
        with self.lock:
            issue = self._issue(issue_id)
            if source == "api" and status not in issue.permitted_status:
                raise StatusRefused(
                    f"Status {status} is not permitted for issue {issue_id}; "
                    f"permitted: {', '.join(issue.permitted_status) or 'none'}"
                )
            if source == "api":
                author = self.user(external_author) or API_USER
            else:
                author = self.user(by) or UserRecord(by or "someone@conviso.test", by)
            self._apply(
                issue, status, reason, source, external_author,
                author=author, risk_accepted_until=risk_accepted_until,
            )  # fmt: skip
            return copy.deepcopy(issue)

    def assign(
        self,
        issue_id: str,
        emails: list[str],
        *,
        source: str = "api",
        at: datetime | None = None,
    ) -> IssueRecord:
        """Set who the issue is assigned to (``updateIssueAssignee``, or a person in the
        UI); an e-mail that is no user of the company is refused (``UnknownUser``)."""
        with self.lock:
            issue = self._issue(issue_id)
            wanted = [e.strip().lower() for e in emails]
            unknown = [e for e in wanted if e not in self.users]
            if unknown:
                raise UnknownUser(f"User not found: {', '.join(unknown)}")
            previous = tuple(issue.assignees)
            issue.assignees = list(dict.fromkeys(wanted))
            issue.updated_at = self._bump(issue, at)
            self.assignee_changes.append(
                AssigneeChange(issue.id, previous, tuple(issue.assignees), source, issue.updated_at)
            )
            return copy.deepcopy(issue)

    def scan_found(self, issue_id: str, *, at: datetime | None = None) -> IssueRecord:
        """A scan finds the issue again: a fixed or fix-claimed issue returns to IDENTIFIED."""
        with self.lock:
            issue = self._issue(issue_id)
            if issue.status in REOPENED_BY_SCAN:
                self._apply(issue, "IDENTIFIED", "Found again by scan", "scan", None, at=at)
            return copy.deepcopy(issue)

    def scan_missed(self, issue_id: str, *, at: datetime | None = None) -> IssueRecord:
        """A scan no longer finds the issue: FIX_ACCEPTED, unless a person decided otherwise."""
        with self.lock:
            issue = self._issue(issue_id)
            if issue.status not in SCAN_CANNOT_CLOSE:
                self._apply(
                    issue, "FIX_ACCEPTED", "Not found by the latest scan", "scan", None, at=at
                )
            return copy.deepcopy(issue)

    def update_issue(
        self, issue_id: str, *, at: datetime | None = None, **changes: Any
    ) -> IssueRecord:
        """Change other fields (severity, title, detail…) and bump ``updatedAt``."""
        with self.lock:
            issue = self._issue(issue_id)
            for name, value in changes.items():
                if name in {"id", "history", "status", "assignees"} or not hasattr(issue, name):
                    raise ValueError(f"cannot update {name!r} this way")
                setattr(issue, name, value)
            issue.updated_at = self._bump(issue, at)
            return copy.deepcopy(issue)

    def set_asset_tags(self, asset_id: str, tags: list[str]) -> AssetRecord:
        """An analyst retags the asset; its issues' ``updatedAt`` does not move (a tag is
        the asset's, not the issue's)."""
        with self.lock:
            asset = self.assets.get(str(asset_id))
            if asset is None:
                raise KeyError(f"no asset {asset_id}")
            asset.tags = list(tags)
            return copy.deepcopy(asset)

    def set_sla(
        self,
        issue_id: str,
        *,
        state: str,
        due_at: datetime | None,
        days_remaining: int | None = None,
        at: datetime | None = None,
    ) -> IssueRecord:
        """Conviso's SLA of the issue moves (a new due date, APPROACHING, BREACHED); the
        issue's ``updatedAt`` moves with it, so the incremental pass (R13) picks it up."""
        with self.lock:
            issue = self._issue(issue_id)
            issue.sla = {
                "state": state,
                "dueAt": due_at.astimezone(UTC).replace(microsecond=0) if due_at else None,
                "daysRemaining": days_remaining,
            }
            issue.updated_at = self._bump(issue, at)
            return copy.deepcopy(issue)

    def delete_issue(self, issue_id: str) -> None:
        """The issue is gone from Conviso (deleted, or its branch removed): ``issue(id:)``
        answers "Couldn't find Issue" from now on (R25)."""
        with self.lock:
            del self.issues[str(issue_id)]

    def get_issue(self, issue_id: str) -> IssueRecord:
        with self.lock:
            return copy.deepcopy(self._issue(issue_id))

    # ------------------------------------------------------------------ internals

    def _issue(self, issue_id: str) -> IssueRecord:
        issue = self.issues.get(str(issue_id))
        if issue is None:
            raise KeyError(f"Issue {issue_id} not found")
        return issue

    def _apply(
        self,
        issue: IssueRecord,
        status: str,
        reason: str | None,
        source: str,
        external_author: str | None,
        *,
        at: datetime | None = None,
        author: UserRecord = SCANNER,
        risk_accepted_until: datetime | None = None,
    ) -> None:
        issue.updated_at = self._bump(issue, at)
        change = StatusChange(
            issue.id, issue.status, status, reason, source, issue.updated_at, external_author,
            author=author, risk_accepted_until=risk_accepted_until,
        )  # fmt: skip
        issue.status = status
        issue.history.append(change)
        self.status_changes.append(change)

    def _bump(self, issue: IssueRecord, at: datetime | None) -> datetime:
        """Conviso's timestamps have second precision; a change always moves forward."""
        if at is not None:
            return at
        return max(self._now(), issue.updated_at + timedelta(seconds=1))

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)
