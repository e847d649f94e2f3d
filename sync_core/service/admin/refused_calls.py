"""Webhook calls refused as unauthenticated: counted, and said once per reason and hour.

A wrong secret on the sender's side (or someone probing) can mean thousands of calls an
hour; a delivery for each would push every real error out of sight and cost a write each.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from ...ports import StateError
from ...rules import Level
from ..context import SyncContext

__all__ = [
    "REFUSED_CALLS",
    "RefusedCalls",
    "record_refused_call",
    "refusal_reason",
    "refused_calls",
]

log = logging.getLogger(__name__)

#: what a refusal's message says -> the reason it is counted under (edge.py's messages)
_REFUSAL_REASONS = (
    ("has no event secret", "no_event_secret"),
    ("X-Conviso-Signature header is missing", "missing_signature"),
    ("outside the", "stale_timestamp"),
    ("has no valid timestamp", "bad_signature"),
    ("does not match the body", "bad_signature"),
    ("webhook token is not valid", "wrong_token"),
    ("Basic credentials are malformed", "wrong_basic_credentials"),
    ("Basic credentials are not valid", "wrong_basic_credentials"),
    ("needs ?token= or Basic credentials", "missing_credentials"),
)
_REFUSAL_TTL = timedelta(hours=2)
_MAX_COUNTERS = 10_000


def refusal_reason(message: str) -> str:
    """The counted reason of a 401 from a webhook (``bad_signature``, ``wrong_token``...)."""
    return next((reason for text, reason in _REFUSAL_REASONS if text in message), "refused")


class RefusedCalls:
    """Webhook calls refused as unauthenticated, counted per integration, source and reason.

    A wrong secret on the sender's side (or someone probing) can mean thousands of calls
    an hour; each is counted here, in this instance's memory, and the first of each reason
    in each hour becomes one warning delivery, so the operator sees the problem once per
    hour instead of a flood, and storage pays one write per reason per hour.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str, str], int] = {}

    def add(self, integration_id: str, source: str, reason: str, hour: str) -> int:
        """Count one; returns the count of this (integration, source, reason) this hour."""
        key = (integration_id, source, reason, hour)
        with self._lock:
            if key not in self._counts and len(self._counts) >= _MAX_COUNTERS:
                # bounded memory: past hours go first (they are no longer shown)
                for old in [k for k in self._counts if k[3] < hour]:
                    del self._counts[old]
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def of(self, integration_id: str, hours: set[str]) -> list[dict[str, object]]:
        with self._lock:
            return [
                {"source": s, "reason": r, "hour": h, "count": n}
                for (i, s, r, h), n in sorted(self._counts.items())
                if i == integration_id and h in hours
            ]


#: this process's count of refused webhook calls
REFUSED_CALLS = RefusedCalls()


def _hour(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:00Z")


def record_refused_call(ctx: SyncContext, integration_id: str, source: str, message: str) -> None:
    """Count a refused webhook call; the first per reason and hour is a warning delivery.

    ``message`` is the refusal's own text, which names no secret. Never raises: the
    caller answers 401 whatever happens here.
    """
    now = ctx.clock()
    reason = refusal_reason(message)
    hour = _hour(now)
    if REFUSED_CALLS.add(integration_id, source, reason, hour) != 1:
        return
    try:
        # one delivery per reason and hour across instances: the first to mark it records
        if not ctx.state.events.first_time(
            integration_id, "refused", f"{source}:{reason}:{hour}", ttl=_REFUSAL_TTL
        ):
            return
        ctx.record(
            integration_id,
            Level.WARN,
            f"refused a call to the {source} webhook: {message}. Further refusals for this "
            f"reason are counted, not recorded, until {hour[:13]}:59 UTC (see refused_calls "
            "in the integration's GET)",
            reason=f"refused_{reason}",
        )
    except StateError as exc:
        # The 401 stands when storage cannot record the refusal (down, busy); the type is
        # logged, no delivery can be written.
        log.warning("recording a refused %s call failed (%s)", source, type(exc).__name__)


def refused_calls(ctx: SyncContext, integration_id: str) -> dict[str, object]:
    """This instance's counts of refused webhook calls, this hour and the one before."""
    now = ctx.clock()
    hours = {_hour(now), _hour(now - timedelta(hours=1))}
    return {"scope": "this instance", "counts": REFUSED_CALLS.of(integration_id, hours)}
