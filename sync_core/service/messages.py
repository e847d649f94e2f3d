"""What the webhooks put on the queues: small, versioned, typed.

A message carries the snapshot when it fits (the worker then needs no Conviso call) and
only the issue id when it does not (the worker fetches it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..edge import AssessmentInfo
from ..rules import BoardChange, Vulnerability

__all__ = ["InboundMessage", "OutboundMessage"]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    v: Literal[1] = 1
    integration_id: str
    event_id: str


class OutboundMessage(_Message):
    """Conviso → Boards: apply one vulnerability (R2–R6, R10, R13)."""

    kind: Literal["vulnerability"] = "vulnerability"
    issue_id: str
    snapshot: Vulnerability | None = None
    assessment: AssessmentInfo | None = None
    backfill: bool = False


class InboundMessage(_Message):
    """Boards → Conviso: one card move (R7, R8)."""

    kind: Literal["board_change"] = "board_change"
    change: BoardChange
