"""A faithful local Azure Boards (work items, boards, service hooks) for tests and the demo.

Never imported by deployed code. Start it with ``BoardsEmulator().start()`` (or as a
context manager); it serves the organization of ``seed.json`` at ``<url>/<organization>``.
"""

from __future__ import annotations

from .app import AuthFailure
from .emulator import BoardsEmulator
from .faults import Fault, RecordedRequest
from .hooks import DEFAULT_RETRY_DELAYS, Delivery
from .ratelimit import RateLimit, RateLimiter
from .world import DEFAULT_SEED, load_seed

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "DEFAULT_SEED",
    "AuthFailure",
    "BoardsEmulator",
    "Delivery",
    "Fault",
    "RateLimit",
    "RateLimiter",
    "RecordedRequest",
    "load_seed",
]
