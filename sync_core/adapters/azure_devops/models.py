"""Azure DevOps answers as typed values: defined with the ports, re-exported here.

See :mod:`sync_core.ports.models`; ``parse_tags`` is a rule (:mod:`sync_core.rules.boards`).
"""

from __future__ import annotations

from sync_core.ports.models import (
    Board,
    BoardColumnInfo,
    BoardFields,
    BoardReference,
    BoardRow,
    ConnectionData,
    FieldReference,
    Identity,
    Project,
    Relation,
    Subscription,
    Team,
    TeamFieldValue,
    TeamFieldValues,
    WorkItem,
    WorkItemStateInfo,
    WorkItemTypeInfo,
)
from sync_core.rules.boards import parse_tags

__all__ = [
    "Board",
    "BoardColumnInfo",
    "BoardFields",
    "BoardReference",
    "BoardRow",
    "ConnectionData",
    "FieldReference",
    "Identity",
    "Project",
    "Relation",
    "Subscription",
    "Team",
    "TeamFieldValue",
    "TeamFieldValues",
    "WorkItem",
    "WorkItemStateInfo",
    "WorkItemTypeInfo",
    "parse_tags",
]
