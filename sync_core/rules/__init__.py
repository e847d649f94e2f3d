"""The sync rules: pure functions from plain data to decisions.

No I/O, no SDKs, no environment, no logging — a test enforces it. The service feeds
these functions what it loaded and executes what they return.
"""

from .board_fit import route_problems
from .boards import (
    InvalidIntegrationId,
    board_layout_from,
    check_integration_id,
    identity_id,
    parse_tags,
    work_item_view,
)
from .card import card_tags, card_title, describe, history_note, vulnerability_url
from .decisions import (
    ChangeConvisoStatus,
    CreateWorkItem,
    Decision,
    Level,
    Skip,
    SkipReason,
    UpdateWorkItem,
)
from .inbound import is_status_move, plan_inbound, screen_inbound
from .models import (
    Asset,
    AuthConfig,
    BoardChange,
    BoardColumn,
    BoardLayout,
    ConvisoConfig,
    FieldKey,
    IntegrationConfig,
    IssueSla,
    Link,
    PortalUser,
    Priority,
    Route,
    StatusHistoryEntry,
    StatusTarget,
    Vulnerability,
    VulnerabilityDetail,
    WebhookConfig,
    WorkItemView,
)
from .outbound import is_stale, plan_outbound, record_applied
from .position import Reading, position_fields, read_position
from .routing import needs_asset_tags, route_by_key, route_for
from .severity import passes_policy, priority_for
from .targets import target_of
from .vocabulary import (
    FINAL_STATUSES,
    MAPPABLE_STATUSES,
    NEVER_CARDED,
    ConvisoStatus,
    Severity,
    StateCategory,
    vulnerability_tag,
)

__all__ = [
    "FINAL_STATUSES",
    "MAPPABLE_STATUSES",
    "NEVER_CARDED",
    "Asset",
    "AuthConfig",
    "BoardChange",
    "BoardColumn",
    "BoardLayout",
    "ChangeConvisoStatus",
    "ConvisoConfig",
    "ConvisoStatus",
    "CreateWorkItem",
    "Decision",
    "FieldKey",
    "IntegrationConfig",
    "InvalidIntegrationId",
    "IssueSla",
    "Level",
    "Link",
    "PortalUser",
    "Priority",
    "Reading",
    "Route",
    "Severity",
    "Skip",
    "SkipReason",
    "StateCategory",
    "StatusHistoryEntry",
    "StatusTarget",
    "UpdateWorkItem",
    "Vulnerability",
    "VulnerabilityDetail",
    "WebhookConfig",
    "WorkItemView",
    "board_layout_from",
    "card_tags",
    "card_title",
    "check_integration_id",
    "describe",
    "history_note",
    "identity_id",
    "is_stale",
    "is_status_move",
    "needs_asset_tags",
    "parse_tags",
    "passes_policy",
    "plan_inbound",
    "plan_outbound",
    "position_fields",
    "priority_for",
    "read_position",
    "record_applied",
    "route_by_key",
    "route_for",
    "route_problems",
    "screen_inbound",
    "target_of",
    "vulnerability_tag",
    "vulnerability_url",
    "work_item_view",
]
