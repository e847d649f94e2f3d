"""When to retry a Conviso call and how long to wait first (R14), with no I/O.

Conviso allows 1,200 requests a minute and answers 429 above it; gateways answer 5xx and
networks time out. Each is retried a bounded number of times with exponential backoff and
jitter (so many workers throttled together do not come back together), and a server's
``Retry-After`` wins over our own guess, up to ``MAX_RETRY_AFTER``: a longer wait is better
spent by the queue than by a Functions worker sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..retry_after import parse_retry_after

__all__ = [
    "BASE_DELAY",
    "MAX_DELAY",
    "MAX_RETRIES",
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUS",
    "Backoff",
    "parse_retry_after",
]

MAX_RETRIES = 4
BASE_DELAY = 0.5  # seconds before the first retry, doubled each time
MAX_DELAY = 20.0  # no single backoff wait is longer
MAX_RETRY_AFTER = 60.0  # a Retry-After beyond this is not waited out in-process

#: 408 Request Timeout, 429 Too Many Requests, and the gateway/server family.
RETRYABLE_STATUS: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff with "equal jitter": half fixed, half random."""

    base: float = BASE_DELAY
    cap: float = MAX_DELAY
    jitter: Callable[[], float] = lambda: 0.5

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        ceiling = min(self.cap, self.base * math.pow(2, attempt))
        return ceiling / 2 + self.jitter() * ceiling / 2
