"""The Conviso port: one Conviso company's API, as one integration's API key sees it.

The adapter (``adapters.conviso.ConvisoClient``) implements it; ``sync_core.conformance``
proves that to the type checker, and ``tests/fakes`` hold an in-memory one.
Errors: the Conviso branch of :mod:`sync_core.ports.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from ..rules import ConvisoStatus, Vulnerability

__all__ = ["Conviso"]


class Conviso(Protocol):
    """One Conviso company's API, as one integration's API key sees it."""

    def get_issue(self, issue_id: str) -> Vulnerability: ...

    def change_issue_status(
        self,
        issue_id: str,
        status: ConvisoStatus,
        reason: str | None,
        *,
        external_author: str | None = None,
        risk_accepted_until: datetime | None = None,
    ) -> Vulnerability: ...

    def update_issue_assignee(self, issue_id: str, emails: Sequence[str]) -> tuple[str, ...]: ...

    def iter_issues(
        self,
        company_id: str,
        *,
        since: datetime | None = None,
        per_page: int = 100,
        start_page: int = 1,
        on_page: Callable[[Any], None] | None = None,
    ) -> Iterator[Vulnerability]: ...

    def list_issues_page(self, company_id: str, *, page: int = 1, per_page: int = 100) -> Any:
        """One page of the company's issues (the check's probe reads only that it answers)."""
        ...

    def missing_issues(self, issue_ids: Sequence[str]) -> set[str]:
        """Which of ``issue_ids`` Conviso no longer returns (R25)."""
        ...

    def list_assets_page(
        self, company_id: str, *, page: int = 1, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the company's assets (``{id, name, tags}``) and the number of pages."""
        ...
