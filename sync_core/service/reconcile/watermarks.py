"""Watermarks (R13): "changes up to here are applied", moved forward only after a clean pass.

A pass that left anything over (a deferred change, an aborted run) keeps its watermark, so
the next run lists the same changes again; the rules make a change already applied cost
nothing. The move is ETag-guarded: two runs overlapping cannot move it backwards.
"""

from __future__ import annotations

from datetime import datetime

from ...ports import StaleEntity
from .job import Run
from .report import WatermarkMove, iso

__all__ = ["advance"]

_ATTEMPTS = 3


def advance(run: Run, name: str, newest: datetime | None, held: object) -> WatermarkMove:
    """Move the watermark forward only after a pass with nothing left over."""
    state = run.ctx.state.watermarks
    mark = state.get(run.integration_id, name)
    before = mark.value
    if held or newest is None or run.dry_run:
        return {"before": iso(before), "after": iso(before), "advanced": False}
    for _ in range(_ATTEMPTS):
        try:
            state.advance(run.integration_id, name, newest, mark.etag)
            break
        except StaleEntity:
            mark = state.get(run.integration_id, name)
    after = state.get(run.integration_id, name).value
    return {"before": iso(before), "after": iso(after), "advanced": after != before}
