"""What a reconcile run answers: typed, and safe to show (no secret, no stack).

The report is the JSON body of ``POST .../reconcile`` and what ``poll`` keeps, so each part
is a ``TypedDict``: a plain ``dict`` at run time (the answer is unchanged), checked by mypy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

from ...ports import ConfigurationError, ConvisoError
from ..errors import ServiceError

__all__ = [
    "BoardsPassReport",
    "ConvisoPassReport",
    "PassSkipped",
    "ReconcileReport",
    "WatermarkMove",
    "iso",
    "safe_reason",
]


class WatermarkMove(TypedDict):
    """Where a pass's watermark was and is; ``advanced`` only after a clean pass (R13)."""

    before: str | None
    after: str | None
    advanced: bool


class PassSkipped(TypedDict):
    """A pass not made, and why (the run was aborted before it)."""

    skipped: str


class ConvisoPassReport(TypedDict):
    """Conviso → Boards. A dry run says only ``would_*`` and ``skipped``; a real one the rest."""

    seen: int
    since: str | None
    would_create: NotRequired[int]
    would_update: NotRequired[int]
    skipped: NotRequired[dict[str, int]]
    progress: NotRequired[dict[str, Any]]
    #: the reason of every delivery the pass recorded, counted
    outcomes: NotRequired[dict[str, int]]
    failed: NotRequired[int]
    deferred: NotRequired[int]
    held_for_paused_routes: NotRequired[int]
    watermark: NotRequired[WatermarkMove]


class BoardsPassReport(TypedDict):
    """Boards → Conviso. A dry run says only ``would_reapply``; a real one the rest."""

    seen: int
    since: str | None
    would_reapply: NotRequired[int]
    duplicates: NotRequired[int]
    late_writes: NotRequired[int]
    reapplied: NotRequired[int]
    own_writes: NotRequired[int]
    unchanged: NotRequired[int]
    outcomes: NotRequired[dict[str, int]]
    deferred: NotRequired[int]
    watermark: NotRequired[WatermarkMove]


class ReconcileReport(TypedDict):
    """One run both ways: what was done (or, dry, what would be)."""

    run_id: str
    mode: str
    dry_run: bool
    #: nothing was left for the next run (no deferred change, not aborted)
    complete: bool
    conviso_to_boards: ConvisoPassReport
    boards_to_conviso: BoardsPassReport | PassSkipped
    vanished: dict[str, Any]
    deliveries_trimmed: int
    event_ids_purged: int
    seconds: float


def safe_reason(exc: Exception) -> str:
    """Adapter and service errors carry safe messages; anything else is named only."""
    if isinstance(exc, ServiceError | ConvisoError | ConfigurationError):
        return str(exc)[:500]
    return type(exc).__name__


def iso(value: datetime | None) -> str | None:
    """A moment as the reports show it: UTC, ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
