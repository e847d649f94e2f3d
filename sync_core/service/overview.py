"""The admin page's Overview: one integration's health at a glance, from storage alone.

Everything here is read from Table Storage and the poison queues; nothing asks Azure DevOps
or Conviso, so opening the page costs no remote request and works while either side is down.
The work is bounded, and the answer says when a bound was reached:

- links: at most ``LINK_CAP`` rows of the integration's partition (``links.capped``);
- deliveries: the last 24 hours, at most the 1,000 the store keeps (``deliveries.capped``);
- poison messages: a peek of at most 32 per queue (``poison.capped``).

"In sync" and "drifted" compare each link's applied status with the card it last saw
(``rules.drift``); the docstring there says exactly what "drifted" means.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from ..ports import INBOUND_QUEUE, OUTBOUND_QUEUE, RECONCILE_QUEUE, StateError
from ..rules import IntegrationConfig
from ..rules.card import vulnerability_url
from ..rules.decisions import Level
from ..rules.drift import drift_of
from .context import SyncContext
from .intake import load_integration

__all__ = ["LINK_CAP", "WINDOW", "links_of", "overview"]

log = logging.getLogger(__name__)

#: links read per Overview; past it the counts are of the first LINK_CAP (in key order)
LINK_CAP = 5000
#: deliveries counted: the last 24 hours, one bar an hour
WINDOW = timedelta(hours=24)
_DELIVERY_ROWS = 1000  # the store keeps the newest 1,000 (DeliveryStore's cap)
_POISON_PEEK = 32  # Storage Queues peek at most 32 messages
_DRIFT_EXAMPLES = 10
_NO_COLUMN = "(no column seen)"
_NO_STATUS = "(none applied)"


def overview(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """The Overview tab's data (see the module docstring); 404 for an unknown integration."""
    from .admin import refused_calls
    from .intake import quiet_hooks
    from .poll import last_poll

    config = load_integration(ctx, integration_id)
    now = ctx.clock()
    deliveries = _deliveries(ctx, integration_id, now)
    return _public(
        {
            "integration": integration_id,
            "generated_at": now.isoformat(),
            "links": _links(ctx, integration_id, config),
            "deliveries": deliveries,
            "errors_24h": deliveries["by_level"].get(Level.ERROR.value, 0),
            "refused_calls": refused_calls(ctx, integration_id),
            "poison": _poison(ctx, integration_id),
            "last_poll": last_poll(ctx, integration_id),
            "last_reconcile": _newest(ctx, integration_id, deliveries, ("reconcile",)),
            "refused_waiting": ctx.state.refused.counts(integration_id),
            "hooks": _hooks(ctx, integration_id, deliveries),
            "quiet_hooks": quiet_hooks(integration_id),
            "urls": links_of(config),
        }
    )


def links_of(config: IntegrationConfig) -> dict[str, Any]:
    """How the page links a delivery to its card and its vulnerability.

    ``work_item`` is Azure DevOps' work item page, ``{base}/{org}/{project}/_workitems/edit/{id}``
    (the base is ``AZURE_DEVOPS_BASE_URL``, the emulator's under ``make run``); the project
    comes from the delivery's route key (``route_projects``), the default route's otherwise.
    ``vulnerability`` is the card's own Hyperlink to Conviso (``rules.card.vulnerability_url``).
    """
    base = (os.environ.get("AZURE_DEVOPS_BASE_URL") or "https://dev.azure.com").rstrip("/")
    default = next((r for r in config.routes if r.default), config.routes[0])
    return {
        "work_item": f"{base}/{config.organization}/{{project}}/_workitems/edit/{{id}}",
        "vulnerability": vulnerability_url(config, "{id}"),
        "route_projects": {r.key: r.project for r in config.routes},
        "default_project": default.project,
    }


def _links(ctx: SyncContext, integration_id: str, config: IntegrationConfig) -> dict[str, Any]:
    stored = ctx.state.links.page_after(integration_id, None, LINK_CAP + 1)
    capped = len(stored) > LINK_CAP
    by_status: Counter[str] = Counter()
    by_column: Counter[str] = Counter()
    drift: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    vanished = 0
    for found in stored[:LINK_CAP]:
        link = found.link
        by_status[link.applied_status.value if link.applied_status else _NO_STATUS] += 1
        by_column[(link.card.column if link.card else None) or _NO_COLUMN] += 1
        vanished += link.vanished_at is not None
        verdict, target = drift_of(config, link)
        drift[verdict] += 1
        if verdict == "drifted" and len(examples) < _DRIFT_EXAMPLES and link.card is not None:
            examples.append(
                {
                    "vulnerability_id": link.vulnerability_id,
                    "work_item_id": link.work_item_id,
                    "route_key": link.route_key,
                    "status": link.applied_status.value if link.applied_status else None,
                    "expected": target.model_dump(exclude_none=True) if target else None,
                    "seen": {"state": link.card.state, "column": link.card.column},
                }
            )
    return {
        "total": min(len(stored), LINK_CAP),
        "capped": capped,
        "cap": LINK_CAP,
        "by_status": dict(by_status.most_common()),
        "by_column": dict(by_column.most_common()),
        "in_sync": drift["in_sync"],
        "drifted": drift["drifted"],
        "unknown": drift["unknown"],
        "vanished": vanished,
        "drifted_examples": examples,
    }


def _deliveries(ctx: SyncContext, integration_id: str, now: datetime) -> dict[str, Any]:
    """The last 24 hours by level and by hour (oldest hour first), plus the rows read, for
    the newest reconcile and hook outcomes."""
    page = ctx.state.deliveries.query(integration_id, since=now - WINDOW, limit=_DELIVERY_ROWS)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    hours = [this_hour - timedelta(hours=n) for n in range(23, -1, -1)]
    buckets = {h: Counter[str]() for h in hours}
    by_level: Counter[str] = Counter()
    for item in page.items:
        level = Level(item.level).value
        by_level[level] += 1
        hour = item.time.replace(minute=0, second=0, microsecond=0)
        if hour in buckets:
            buckets[hour][level] += 1
    return {
        "window_hours": int(WINDOW.total_seconds() // 3600),
        "read": len(page.items),
        "capped": page.next_cursor is not None,
        "by_level": {lv.value: by_level.get(lv.value, 0) for lv in Level},
        "per_hour": [
            {"hour": h.isoformat(), **{lv.value: buckets[h].get(lv.value, 0) for lv in Level}}
            for h in hours
        ],
        "_items": page.items,  # for _newest; dropped before answering
    }


def _newest(
    ctx: SyncContext, integration_id: str, deliveries: dict[str, Any], reasons: tuple[str, ...]
) -> dict[str, Any] | None:
    """The newest delivery with one of ``reasons``: among the last 24 hours' rows, else by
    a text search of the (capped) rest."""
    for item in deliveries["_items"]:
        if item.reason in reasons:
            return _outcome(item)
    try:
        for reason in reasons:
            older = ctx.state.deliveries.query(integration_id, text=reason, limit=50)
            match = next((i for i in older.items if i.reason == reason), None)
            if match is not None:
                return _outcome(match)
    except StateError as exc:  # the Overview shows what it has
        log.warning("overview: reading older deliveries failed (%s)", type(exc).__name__)
    return None


def _outcome(item: Any) -> dict[str, Any]:
    return {
        "time": item.time.isoformat(),
        "level": Level(item.level).value,
        "message": item.message,
        "reason": item.reason,
    }


def _hooks(ctx: SyncContext, integration_id: str, deliveries: dict[str, Any]) -> dict[str, Any]:
    """What the last provisioning (``service_hooks``) or check said; nothing is asked of
    Azure DevOps here, so without either the answer says to run Check connection."""
    provisioned = _newest(ctx, integration_id, deliveries, ("service_hooks",))
    checked = _newest(ctx, integration_id, deliveries, ("check",))
    if provisioned is None and checked is None:
        status, source = "unknown", None
    else:
        newest = max((o for o in (provisioned, checked) if o is not None), key=lambda o: o["time"])
        source = "service_hooks" if newest is provisioned else "check"
        status = "ok" if newest["level"] == Level.INFO.value else "problem"
    return {
        "status": status,
        "source": source,
        "provisioning": provisioned,
        "check": checked,
        "advice": None if status == "ok" else "run Check connection",
    }


def _poison(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """This integration's poison messages, from a peek of each poison queue (at most 32
    each: a peek cannot page, and the Replay button moves them all anyway)."""
    by_queue: dict[str, int] = {}
    capped = False
    for queue in (OUTBOUND_QUEUE, INBOUND_QUEUE, RECONCILE_QUEUE):
        try:
            peeked = ctx.state.queues.peek_poison(queue, _POISON_PEEK)
        except StateError as exc:  # a poison queue not created yet holds nothing (adapter)
            log.info("overview: peeking %s-poison failed (%s)", queue, type(exc).__name__)
            peeked = []
        capped = capped or len(peeked) >= _POISON_PEEK
        by_queue[queue] = sum(
            1 for m in peeked if (m.payload or {}).get("integration_id") == integration_id
        )
    return {"count": sum(by_queue.values()), "by_queue": by_queue, "capped": capped}


def _public(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without the rows kept for internal use."""
    deliveries = {k: v for k, v in answer["deliveries"].items() if not k.startswith("_")}
    return {**answer, "deliveries": deliveries}
