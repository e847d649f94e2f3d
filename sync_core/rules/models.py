"""Plain data the rules decide over: the vulnerability snapshot, the integration
configuration, the board as Azure DevOps describes it, the card as it is, the link.

Everything is a frozen pydantic model so a decision can never be taken on data that
changed underneath it, and so every boundary (HTTP, queue, table) validates the same way.
Defined by meaning in three modules, re-exported here so ``from sync_core.rules.models
import X`` names one place for all of them:

- ``conviso_models``: the Conviso issue (Vulnerability, Asset, IssueSla, PortalUser...);
- ``config``: the integration's configuration and its routes (IntegrationConfig, Route...);
- ``boards_models``: the board, the card, the link, a person's change (BoardLayout,
  WorkItemView, Link, BoardChange...).
"""

from __future__ import annotations

from .boards_models import BoardChange, BoardColumn, BoardLayout, Link, WorkItemView
from .config import (
    AuthConfig,
    ConvisoConfig,
    FieldKey,
    IntegrationConfig,
    Priority,
    Route,
    StatusTarget,
    WebhookConfig,
)
from .conviso_models import (
    Asset,
    IssueSla,
    PortalUser,
    StatusHistoryEntry,
    Vulnerability,
    VulnerabilityDetail,
)

__all__ = [
    "Asset",
    "AuthConfig",
    "BoardChange",
    "BoardColumn",
    "BoardLayout",
    "ConvisoConfig",
    "FieldKey",
    "IntegrationConfig",
    "IssueSla",
    "Link",
    "PortalUser",
    "Priority",
    "Route",
    "StatusHistoryEntry",
    "StatusTarget",
    "Vulnerability",
    "VulnerabilityDetail",
    "WebhookConfig",
    "WorkItemView",
]
