"""The narrow interfaces the service needs from the outside world.

The adapters (``adapters.azure_devops``, ``adapters.conviso``) implement them; tests and
benchmarks may pass anything with the same methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from .rules import BoardLayout, ConvisoStatus, Vulnerability

__all__ = ["Boards", "Conviso", "WorkItemRecord"]


class WorkItemRecord(Protocol):
    """A work item as Azure DevOps answers it.

    Read-only properties, not attributes: the adapter's answer (a frozen model) cannot be
    assigned to, and a settable protocol member would make it fail to match.
    """

    @property
    def id(self) -> int: ...

    @property
    def rev(self) -> int: ...

    @property
    def fields(self) -> Mapping[str, Any]: ...

    @property
    def state(self) -> str | None: ...

    @property
    def tags(self) -> frozenset[str]: ...


class Boards(Protocol):
    """One Azure DevOps organization, as one integration's credentials see it."""

    def board_layout(
        self, project: str, team: str, board: str, work_item_type: str
    ) -> BoardLayout: ...

    def create_work_item(
        self,
        project: str,
        work_item_type: str,
        fields: Mapping[str, str | int],
        *,
        tags: Iterable[str] = (),
        hyperlink: str | None = None,
    ) -> WorkItemRecord: ...

    def update_work_item(
        self,
        work_item_id: int,
        *,
        expected_rev: int,
        fields: Mapping[str, str | int],
        project: str | None = None,
    ) -> WorkItemRecord: ...

    def get_work_item(self, work_item_id: int, *, project: str | None = None) -> WorkItemRecord: ...

    def find_work_items_by_tag(self, project: str, tag: str) -> list[int]: ...


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
