"""The Boards port: one Azure DevOps organization, as one integration's credentials see it.

``Boards`` is the whole surface the service uses (writes, reads, discovery, checks, service
hooks, the reconcile pass's reads), so a use case never needs a ``cast``. The adapter
(``adapters.azure_devops.AzureDevOpsClient``) implements it; ``sync_core.conformance``
proves that to the type checker, and ``tests/fakes`` hold an in-memory one.
Errors: the Azure DevOps branch of :mod:`sync_core.ports.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from ..rules import BoardLayout
from ..rules.boards import WorkItemRecord
from ..rules.fields import TypeField
from .models import (
    Board,
    BoardReference,
    Identity,
    Project,
    Subscription,
    Team,
    TeamFieldValues,
    WorkItem,
    WorkItemStateInfo,
    WorkItemTypeInfo,
)

__all__ = ["Boards", "WorkItemRecord"]


class Boards(Protocol):
    """One Azure DevOps organization, as one integration's credentials see it."""

    # ---------------------------------------------------------------- work items (R1-R6)

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

    def get_work_items(
        self, ids: Sequence[int], *, project: str | None = None
    ) -> list[WorkItem]: ...

    def find_work_items_by_tag(self, project: str, tag: str) -> list[int]: ...

    def find_changed_work_items(
        self, project: str, since: datetime | None, tag: str
    ) -> list[int]: ...

    # ---------------------------------------------------------------- who we are (R8, R15)

    def current_identity(self) -> Identity: ...

    def check_connection(self) -> Identity: ...

    # ---------------------------------------------------------------- discovery and checks

    def list_projects(self) -> list[Project]: ...

    def list_teams(self, project: str) -> list[Team]: ...

    def list_boards(self, project: str, team: str) -> list[BoardReference]: ...

    def get_board(self, project: str, team: str, board: str) -> Board: ...

    def team_field_values(self, project: str, team: str) -> TeamFieldValues: ...

    def classification_node_exists(self, project: str, group: str, path: str) -> bool: ...

    def work_item_types(self, project: str) -> list[WorkItemTypeInfo]: ...

    def work_item_type_states(
        self, project: str, work_item_type: str
    ) -> list[WorkItemStateInfo]: ...

    def work_item_type_fields(self, project: str, work_item_type: str) -> list[TypeField]: ...

    # ---------------------------------------------------------------- service hooks (R17)

    def list_subscriptions(
        self, *, event_type: str | None = None, consumer_id: str | None = None
    ) -> list[Subscription]: ...

    def create_subscription(
        self,
        *,
        project_id: str,
        url: str,
        event_type: str = ...,
        changed_fields: str = "",
        basic_username: str | None = None,
        basic_password: str | None = None,
    ) -> Subscription: ...

    def delete_subscription(self, subscription_id: str) -> None: ...
