"""Azure DevOps (Boards and Service Hooks) over REST 7.1: client, auth, errors, payloads."""

from __future__ import annotations

from sync_core.hook_payload import WorkItemUpdatedEvent  # parsed at the edge; kept here too

from .auth import Auth, BearerTokenAuth, PatAuth
from .client import (
    API_VERSION,
    BASE_URL_SETTING,
    DEFAULT_BASE_URL,
    MAX_BATCH_IDS,
    AzureDevOpsClient,
)
from .errors import (
    AuthenticationError,
    AzureDevOpsError,
    ConfigurationError,
    RevisionConflict,
    TransientError,
    WorkItemNotFound,
)
from .layout import board_layout_from, work_item_view
from .models import (
    Board,
    BoardColumnInfo,
    BoardReference,
    BoardRow,
    ConnectionData,
    Identity,
    Project,
    Relation,
    Subscription,
    Team,
    WorkItem,
    WorkItemStateInfo,
    WorkItemTypeInfo,
)
from .transport import RetryPolicy

__all__ = [
    "API_VERSION",
    "BASE_URL_SETTING",
    "DEFAULT_BASE_URL",
    "MAX_BATCH_IDS",
    "Auth",
    "AuthenticationError",
    "AzureDevOpsClient",
    "AzureDevOpsError",
    "BearerTokenAuth",
    "Board",
    "BoardColumnInfo",
    "BoardReference",
    "BoardRow",
    "ConfigurationError",
    "ConnectionData",
    "Identity",
    "PatAuth",
    "Project",
    "Relation",
    "RetryPolicy",
    "RevisionConflict",
    "Subscription",
    "Team",
    "TransientError",
    "WorkItem",
    "WorkItemNotFound",
    "WorkItemStateInfo",
    "WorkItemTypeInfo",
    "WorkItemUpdatedEvent",
    "board_layout_from",
    "work_item_view",
]
