"""What the rules decide, as values the service executes (never calls).

A decision names *what* must happen; the adapters know *how*. Keeping them as data is
what lets the rules be tested by comparing values, and lets one event turn into exactly
one write.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .vocabulary import ConvisoStatus

__all__ = [
    "ChangeConvisoAssignee",
    "ChangeConvisoStatus",
    "CreateWorkItem",
    "Decision",
    "FieldValue",
    "Level",
    "OutboundDecision",
    "Skip",
    "SkipReason",
    "UpdateWorkItem",
]

FieldValue = str | int


class Level(StrEnum):
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class SkipReason(StrEnum):
    """Why nothing was written; each lands in the recent deliveries (R11)."""

    STALE_SNAPSHOT = "stale_snapshot"  # R9
    NO_ROUTE = "no_route"  # R2
    NOT_IDENTIFIED = "not_identified"  # R2
    SEVERITY_POLICY = "severity_policy"  # R2
    UNMAPPED_STATUS = "unmapped_status"  # R5
    IN_SYNC = "in_sync"  # R5, R8
    MOVED_BY_PERSON = "moved_by_person"  # R7, R9
    WORK_ITEM_DELETED = "work_item_deleted"  # R6
    NOT_LINKED = "not_linked"  # R7
    ECHO = "echo"  # R8
    STALE_EVENT = "stale_event"  # R9
    NO_STATUS_CHANGE = "no_status_change"  # R7
    OTHER_BOARD = "other_board"  # R7: moved on another team's board only
    UNMAPPED_TARGET = "unmapped_target"  # R7
    AMBIGUOUS_TARGET = "ambiguous_target"  # R7
    NOT_PERMITTED = "not_permitted"  # R7
    CONFIGURATION = "configuration"  # R14
    VANISHED = "vanished"  # R25: Conviso no longer returns the vulnerability
    UNKNOWN_ASSIGNEE = "unknown_assignee"  # R23: a person the other side does not know


class _Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Skip(_Decision):
    kind: Literal["skip"] = "skip"
    reason: SkipReason
    message: str
    level: Level = Level.INFO


class CreateWorkItem(_Decision):
    """Create the one card of a vulnerability (R1, R2, R4).

    ``fields`` holds every field of the new item, including the board's own column and
    lane fields, so the create is a single request.
    """

    kind: Literal["create"] = "create"
    vulnerability_id: str
    project: str
    work_item_type: str
    fields: dict[str, FieldValue]
    tags: tuple[str, ...]
    hyperlink: str
    status: ConvisoStatus
    #: set when the previous card was deleted in Azure DevOps and is being replaced (R6)
    replaces_work_item_id: int | None = None


class UpdateWorkItem(_Decision):
    """One JSON Patch guarded by ``test /rev`` (R5): state, column and fields together."""

    kind: Literal["update"] = "update"
    vulnerability_id: str
    work_item_id: int
    expected_rev: int
    fields: dict[str, FieldValue]
    status: ConvisoStatus
    reopen: bool = False


class ChangeConvisoStatus(_Decision):
    """A board move that changes the vulnerability's workflow status (R7)."""

    kind: Literal["change_status"] = "change_status"
    vulnerability_id: str
    work_item_id: int
    status: ConvisoStatus
    reason: str
    #: R24: the mover's e-mail (``externalAuthorIdentifier``), when known
    external_author: str | None = None
    #: R24: until when a risk accepted by this move lasts (``riskAcceptedUntil``)
    risk_accepted_until: datetime | None = None


class ChangeConvisoAssignee(_Decision):
    """A person reassigned the card: Conviso's assignee follows (R23)."""

    kind: Literal["change_assignee"] = "change_assignee"
    vulnerability_id: str
    work_item_id: int
    #: the e-mail, in lower case; "" when the card was unassigned
    assignee: str
    #: who reassigned the card, for the delivery
    by: str | None = None


#: What a vulnerability snapshot asks of its card (Conviso → Boards): never a status change.
OutboundDecision = Skip | CreateWorkItem | UpdateWorkItem
Decision = OutboundDecision | ChangeConvisoStatus
