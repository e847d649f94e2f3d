"""Everything a use case needs, built once per process by ``bootstrap``.

Clients are made per integration on first use and kept (one connection pool each), so a
steady-state event opens no connection and reads no board metadata.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Unpack

from ..ports import Boards, Conviso, Delivery, DeliveryDetails, State
from ..rules import BoardLayout, IntegrationConfig, Level, Route

__all__ = ["ConfigCache", "LayoutCache", "SyncContext"]

#: Board metadata changes rarely; five minutes bounds how long a renamed column confuses us.
LAYOUT_TTL_S = 300.0


class LayoutCache:
    """Board layouts per (integration, route), kept for a short while (thread-safe)."""

    def __init__(self, ttl: float = LAYOUT_TTL_S, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, ...], tuple[float, BoardLayout]] = {}

    @staticmethod
    def _key(integration_id: str, route: Route) -> tuple[str, ...]:
        return (integration_id, route.project, route.team, route.board, route.work_item_type)

    def get(self, integration_id: str, route: Route, boards: Boards) -> BoardLayout:
        key = self._key(integration_id, route)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and self._clock() - entry[0] < self._ttl:
            return entry[1]
        layout = boards.board_layout(route.project, route.team, route.board, route.work_item_type)
        with self._lock:
            self._entries[key] = (self._clock(), layout)
        return layout

    def forget(self, integration_id: str, route: Route | None = None) -> None:
        with self._lock:
            for key in list(self._entries):
                if key[0] == integration_id and (
                    route is None or key == self._key(integration_id, route)
                ):
                    del self._entries[key]


#: How long a worker process trusts a configuration it read; a PUT in the same process
#: takes effect at once, one in another process within this bound.
CONFIG_TTL_S = 30.0


class ConfigCache:
    """Integration configurations per process, kept briefly: two Table reads fewer per event."""

    def __init__(self, ttl: float = CONFIG_TTL_S, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, IntegrationConfig]] = {}

    def get(
        self, integration_id: str, load: Callable[[str], IntegrationConfig | None]
    ) -> IntegrationConfig | None:
        with self._lock:
            entry = self._entries.get(integration_id)
        if entry is not None and self._clock() - entry[0] < self._ttl:
            return entry[1]
        config = load(integration_id)
        if config is not None:  # never cache an absence: a new integration works at once
            with self._lock:
                self._entries[integration_id] = (self._clock(), config)
        return config

    def forget(self, integration_id: str) -> None:
        with self._lock:
            self._entries.pop(integration_id, None)


def _no_rate_limits() -> Mapping[str, float]:
    """No Boards client counts refusals (a context built without bootstrap)."""
    return {"refused": 0.0}


@dataclass
class SyncContext:
    """The service's dependencies, every one typed by a port: state, client factories,
    caches, the clock. ``bootstrap`` builds it from the adapters; tests from fakes."""

    state: State
    boards_for: Callable[[str, IntegrationConfig], Boards]
    conviso_for: Callable[[str, IntegrationConfig], Conviso]
    layouts: LayoutCache = field(default_factory=LayoutCache)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: routes this process paused after a configuration error (R14), to resume on success
    paused: set[tuple[str, str]] = field(default_factory=set)
    configs: ConfigCache = field(default_factory=ConfigCache)
    #: the Boards clients' rate-limit counters of this process (``{"refused": n, ...}``),
    #: read by a backfill to report how often Azure DevOps asked it to slow down
    rate_limits: Callable[[], Mapping[str, float]] = field(default=_no_rate_limits)

    def config(self, integration_id: str) -> IntegrationConfig | None:
        """The integration's configuration, from this process's short-lived cache."""
        return self.configs.get(integration_id, self.state.integrations.get)

    def record(
        self, integration_id: str, level: Level, message: str, **details: Unpack[DeliveryDetails]
    ) -> None:
        """One line of the integration's recent deliveries (R11)."""
        self.state.deliveries.record(
            integration_id, Delivery(time=self.clock(), level=level, message=message, **details)
        )
