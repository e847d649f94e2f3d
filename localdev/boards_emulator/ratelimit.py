"""Azure DevOps' global consumption limit, emulated: TSTUs per identity in a sliding window.

Source for every behaviour here: learn.microsoft.com "Rate and usage limits"
(docs/integrate/concepts/rate-limits.md in MicrosoftDocs/azure-devops-docs, ms.date
2025-09-15; quoted in /work/shared/research/azure-devops.md §4):

- the unit is the TSTU; "the global limit is 200 TSTUs within any sliding five-minute
  window", per identity;
- past it, requests are *delayed*, "from a few milliseconds per request up to 30 seconds",
  and the answer says by how much (``X-RateLimit-Delay``, seconds with three decimals);
- a request *blocked* gets ``429`` and "TF400733: The request has been canceled: Request
  was blocked due to exceeding usage of resource …";
- "Except for X-RateLimit-Delay, all these headers are sent before requests start getting
  delayed": ``Retry-After`` ("how long to wait before you send your next request to fall
  under the detection threshold"; "the response still returns HTTP 200"),
  ``X-RateLimit-Resource``, ``X-RateLimit-Limit`` (TSTUs allowed before delays),
  ``X-RateLimit-Remaining`` (0 once delayed or blocked) and ``X-RateLimit-Reset`` (Unix
  epoch at which usage would be back to 0 if all consumption stopped).

What the page does not say is modelled strictly and is configurable: the TSTUs a request
costs ("you can't calculate usage in TSTUs for an action with a formula"; peers report
throttling after about a hundred creates, i.e. ~2 TSTUs each), from which usage the
``X-RateLimit-*`` headers start (``notice``), and when a delayed identity is blocked
instead (``block_at``: more than a quarter over the budget, or more than 16 requests,
which only a client that keeps sending while it is told to wait reaches).

A benchmark compresses time by shrinking ``window`` (and ``max_delay`` with it, a tenth of
the window as 30 s is of 5 minutes): the same budget spent in 5 s instead of 300 s is the
same limit, 60 times faster (docs/performance.md).
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["RateLimit", "RateLimiter", "Verdict"]

#: The resource name the TF400733 message and ``X-RateLimit-Resource`` carry (the docs
#: recommend showing it to a human, never parsing it).
RESOURCE = "WorkItemTrackingResource"


@dataclass(frozen=True)
class RateLimit:
    """The knobs. Defaults are Azure DevOps' documented limit at real scale."""

    #: TSTUs allowed per identity in any window before requests are delayed (docs: 200)
    budget: float = 200.0
    #: the sliding window, seconds (docs: five minutes); shrink it to compress time
    window: float = 300.0
    #: TSTUs one request costs, whatever it is ...
    cost: float = 1.0
    #: ... unless its method is named here (e.g. ``{"GET": 0.5}``)
    costs: Mapping[str, float] = field(default_factory=dict)
    #: the share of the budget used from which the ``X-RateLimit-*`` headers are sent
    #: (docs: "before requests start getting delayed"; how long before is not said)
    notice: float = 0.5
    #: the longest a request is held (docs: up to 30 s; default: a tenth of the window)
    max_delay: float | None = None
    #: usage (TSTUs) past which a request is refused with 429 instead of delayed
    #: (default: a quarter over the budget, and at least 16 requests over it: the most a
    #: client can have in flight before it reads the first answer telling it to wait)
    block_at: float | None = None

    def __post_init__(self) -> None:
        if self.budget <= 0 or self.window <= 0 or self.cost < 0:
            raise ValueError("budget and window must be positive and cost not negative")
        if any(c < 0 for c in self.costs.values()):
            raise ValueError("costs must not be negative")
        if not 0 <= self.notice <= 1:
            raise ValueError("notice is a share of the budget, between 0 and 1")

    def cost_of(self, method: str) -> float:
        return float(self.costs.get(method.upper(), self.cost))

    @property
    def longest_delay(self) -> float:
        return self.window / 10 if self.max_delay is None else self.max_delay

    @property
    def refuse_above(self) -> float:
        if self.block_at is not None:
            return self.block_at
        largest = max([self.cost, *self.costs.values()])
        return max(self.budget * 1.25, self.budget + 16 * largest)


@dataclass(frozen=True)
class Verdict:
    """What to do with one request: hold it ``delay`` seconds, then answer (or refuse)."""

    refused: bool
    delay: float
    headers: dict[str, str]


@dataclass
class _Usage:
    #: (when charged, TSTUs), sorted by time; a delayed request is charged at the moment
    #: it will be served, which may be in the future
    charges: list[tuple[float, float]] = field(default_factory=list)

    def expire(self, before: float) -> None:
        cut = bisect.bisect_right(self.charges, (before, math.inf))
        del self.charges[:cut]

    def total(self) -> float:
        return sum(c for _, c in self.charges)


class RateLimiter:
    """Decides, per identity, whether a request is served now, held, or refused."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._wall = wall
        self._usage: dict[str, _Usage] = {}
        self._lock = threading.Lock()
        self.counts = {"served": 0, "delayed": 0, "refused": 0}
        self.delayed_seconds = 0.0

    def usage(self, identity: str) -> float:
        """TSTUs of ``identity`` in the window ending now (reserved future charges included)."""
        with self._lock:
            usage = self._usage.get(identity)
            if usage is None:
                return 0.0
            usage.expire(self._clock() - self.limit.window)
            return usage.total()

    def admit(self, identity: str, method: str) -> Verdict:
        """Charge the request (unless refused) and say how to answer it."""
        limit, cost = self.limit, self.limit.cost_of(method)
        with self._lock:
            now = self._clock()
            usage = self._usage.setdefault(identity, _Usage())
            usage.expire(now - limit.window)
            used = usage.total()
            if used + cost > limit.refuse_above:
                self.counts["refused"] += 1
                wait = self._wait_for_room(usage, now, cost)
                return Verdict(True, 0.0, self._headers(usage, now, 0.0, max(wait, 0.001)))
            wait = self._wait_for_room(usage, now, cost)
            delay = min(wait, limit.longest_delay)
            served_at = now + delay
            bisect.insort(usage.charges, (served_at, cost))
            self.counts["delayed" if delay > 0 else "served"] += 1
            self.delayed_seconds += delay
            # the next request's wait, counted from when this one is answered
            retry = self._wait_for_room(usage, served_at, cost)
            if delay <= 0 and retry <= 0 and used + cost < limit.budget * limit.notice:
                return Verdict(False, 0.0, {})
            return Verdict(False, delay, self._headers(usage, served_at, delay, retry))

    def _wait_for_room(self, usage: _Usage, at: float, cost: float) -> float:
        """Seconds from ``at`` until a request of ``cost`` fits under the budget: until
        enough of the oldest charges have left the window."""
        total = usage.total()
        since = at
        for when, charged in usage.charges:
            if total + cost <= self.limit.budget:
                break
            since = when + self.limit.window
            total -= charged
        return max(0.0, since - at)

    def _headers(self, usage: _Usage, at: float, delay: float, retry: float) -> dict[str, str]:
        limit = self.limit
        remaining = 0.0 if delay > 0 or retry > 0 else max(0.0, limit.budget - usage.total())
        last = usage.charges[-1][0] if usage.charges else at
        reset = self._wall() + (last + limit.window - self._clock())
        headers = {
            "X-RateLimit-Resource": RESOURCE,
            "X-RateLimit-Limit": _number(limit.budget),
            "X-RateLimit-Remaining": _number(remaining),
            "X-RateLimit-Reset": str(math.ceil(reset)),
        }
        if delay > 0:
            headers["X-RateLimit-Delay"] = f"{delay:.3f}"
        if retry > 0:
            headers["Retry-After"] = _seconds(retry)
        return headers


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _seconds(value: float) -> str:
    """Whole seconds at real scale; a compressed window needs milliseconds (rounded up,
    so a client that waits exactly this long is not early)."""
    millis = math.ceil(value * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis / 1000:.3f}"
