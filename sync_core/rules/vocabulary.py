"""The words both systems use, spelled exactly as their APIs spell them.

Kept apart from the models so that every rule module can import the enums without
pulling in the configuration schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum


class ConvisoStatus(StrEnum):
    """Conviso's ``IssueStatusLabel``. The UI's "Fixed" is ``FIX_ACCEPTED``."""

    CREATED = "CREATED"
    DRAFT = "DRAFT"
    IDENTIFIED = "IDENTIFIED"
    IN_PROGRESS = "IN_PROGRESS"
    AWAITING_VALIDATION = "AWAITING_VALIDATION"
    FIX_ACCEPTED = "FIX_ACCEPTED"
    RISK_ACCEPTED = "RISK_ACCEPTED"
    FALSE_POSITIVE = "FALSE_POSITIVE"
    SUPPRESSED = "SUPPRESSED"


class Severity(StrEnum):
    """Conviso's ``SeverityCategory``, lowest first."""

    NOTIFICATION = "NOTIFICATION"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class SlaState(StrEnum):
    """Conviso's ``SlaState`` (2026 schema, ``IssueSla.state``): the remediation deadline's
    standing. ``APPROACHING`` and ``BREACHED`` each add one note to the card (R20)."""

    APPROACHING = "APPROACHING"
    BREACHED = "BREACHED"
    NOT_PARAMETERIZED = "NOT_PARAMETERIZED"
    NOT_TRACKED = "NOT_TRACKED"
    ON_TRACK = "ON_TRACK"
    RESOLVED = "RESOLVED"


#: SLA states that are said on the card, once each (R20).
NOTED_SLA_STATES: tuple[SlaState, ...] = (SlaState.APPROACHING, SlaState.BREACHED)

#: A status-map key that is no Conviso status: where a card goes when Conviso no longer
#: returns its vulnerability (R25).
VANISHED = "VANISHED"


class StateCategory(StrEnum):
    """Azure Boards state categories; the API spells ``InProgress`` without a space."""

    PROPOSED = "Proposed"
    IN_PROGRESS = "InProgress"
    RESOLVED = "Resolved"
    COMPLETED = "Completed"
    REMOVED = "Removed"


#: Human decisions Conviso never reverts automatically; a board move never infers them.
FINAL_STATUSES: frozenset[ConvisoStatus] = frozenset(
    {ConvisoStatus.RISK_ACCEPTED, ConvisoStatus.FALSE_POSITIVE}
)

#: Statuses that never create a card (R2).
NEVER_CARDED: frozenset[ConvisoStatus] = frozenset(
    {ConvisoStatus.CREATED, ConvisoStatus.DRAFT, ConvisoStatus.SUPPRESSED}
)

#: Statuses a status map may name (R5). The others have no place on a board.
MAPPABLE_STATUSES: tuple[ConvisoStatus, ...] = (
    ConvisoStatus.IDENTIFIED,
    ConvisoStatus.IN_PROGRESS,
    ConvisoStatus.AWAITING_VALIDATION,
    ConvisoStatus.FIX_ACCEPTED,
    ConvisoStatus.RISK_ACCEPTED,
    ConvisoStatus.FALSE_POSITIVE,
)

#: Severities whose priority the configuration must give (R4).
REQUIRED_PRIORITIES: tuple[Severity, ...] = (
    Severity.LOW,
    Severity.MEDIUM,
    Severity.HIGH,
    Severity.CRITICAL,
)

#: Azure Boards field reference names the rules write or read.
TITLE_FIELD = "System.Title"
DESCRIPTION_FIELD = "System.Description"
STATE_FIELD = "System.State"
TAGS_FIELD = "System.Tags"
HISTORY_FIELD = "System.History"
AREA_PATH_FIELD = "System.AreaPath"
ITERATION_PATH_FIELD = "System.IterationPath"
PRIORITY_FIELD = "Microsoft.VSTS.Common.Priority"
BOARD_COLUMN_FIELD = "System.BoardColumn"  # read-only; writes go through the board's WEF field
BOARD_LANE_FIELD = "System.BoardLane"  # read-only; writes go through the board's WEF field
CHANGED_BY_FIELD = "System.ChangedBy"

CONVISO_TAG = "conviso"


def vulnerability_tag(vulnerability_id: str) -> str:
    """The tag that lets a lost link be found again by WIQL (R1)."""
    return f"conviso-vuln-{vulnerability_id}"


#: the tag as written, around an id as the edge accepts them (tags compare case-blind)
_VULNERABILITY_TAG = re.compile(r"^conviso-vuln-([A-Za-z0-9][A-Za-z0-9._-]{0,63})$", re.I)


def tagged_vulnerability(tags: Iterable[str]) -> str | None:
    """The vulnerability a work item's tags name, or None: none, several, or not an id."""
    found = {m.group(1) for t in tags if (m := _VULNERABILITY_TAG.match(t.strip()))}
    return found.pop() if len(found) == 1 else None
