"""Recent deliveries (R11), poison messages replayed (R12), and storage's health."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ...ports import INBOUND_QUEUE, OUTBOUND_QUEUE, RECONCILE_QUEUE, StateError
from ...rules import Level
from ..context import SyncContext
from ..errors import InvalidInput
from ..intake import load_integration

__all__ = ["list_deliveries", "replay_poison", "storage_health"]

log = logging.getLogger(__name__)


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} must carry a time zone (e.g. Z)")
    return parsed


def list_deliveries(
    ctx: SyncContext, integration_id: str, params: dict[str, str]
) -> dict[str, Any]:
    """Recent deliveries, newest first, filtered by level, text and time (R11)."""
    load_integration(ctx, integration_id)
    level = params.get("level")
    if level is not None and level not in {lv.value for lv in Level}:
        raise InvalidInput("level must be one of info, warn, error")
    try:
        limit = int(params.get("limit", "50"))
    except ValueError:
        raise InvalidInput("limit must be a number between 1 and 200") from None
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be a number between 1 and 200")
    try:
        page = ctx.state.deliveries.query(
            integration_id,
            level=level,
            text=params.get("text") or None,
            since=_time(params.get("since"), "since"),
            until=_time(params.get("until"), "until"),
            limit=limit,
            cursor=params.get("cursor") or None,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return {
        "items": [d.model_dump(mode="json", exclude_none=True) for d in page.items],
        "next_cursor": page.next_cursor,
    }


def replay_poison(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """Move the integration's poison messages back to their queues (R12)."""
    load_integration(ctx, integration_id)
    moved = {
        queue: ctx.state.queues.replay_poison(queue, integration_id=integration_id)
        for queue in (OUTBOUND_QUEUE, INBOUND_QUEUE, RECONCILE_QUEUE)
    }
    total = sum(moved.values())
    ctx.record(integration_id, Level.INFO, f"replayed {total} poison message(s)", reason="replay")
    return {"replayed": moved, "total": total}


def storage_health(ctx: SyncContext) -> tuple[bool, str]:
    """Whether Table Storage answers a cheap read (no remote service is called)."""
    try:
        ctx.state.integrations.list_ids()
    except StateError as exc:
        # Storage down, busy, or refusing the app's credentials (translated at the adapter
        # boundary): "unhealthy", with the type logged. Anything else is a defect: a 500.
        log.warning("health: storage did not answer (%s)", exc.__class__.__name__)
        return False, "storage did not answer"
    return True, "ok"
