"""In-memory fakes of the state stores, method for method as ``sync_core.adapters.state``.

Each keeps the semantics the service relies on: insert-only claims, ETag-guarded writes
that raise ``StaleEntity``, expiry by a clock the test controls. Rows are kept in plain
dicts the tests read to assert outcomes (``links.rows``, ``deliveries.of(iid)``...).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sync_core.adapters.state.keys import encode_part, join_key  # the real key order
from sync_core.ports import (
    POISON_SUFFIX,
    Delivery,
    DeliveryPage,
    Direction,
    FlowRejected,
    IntegrationStatus,
    InvalidCursor,
    PendingFlow,
    PoisonMessage,
    RefusedWork,
    StaleEntity,
    StoredTokenCache,
    Watermark,
)
from sync_core.rules import IntegrationConfig, Level, check_integration_id

from .links import FakeLinks

Clock = Callable[[], datetime]
_etags = itertools.count(1)


def _etag() -> str:
    """A fresh ETag: every write changes it, as Table Storage's does."""
    return f'W/"fake-{next(_etags)}"'


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FakeEvents:
    """``EventStore``: an event id is accepted once within its retention."""

    def __init__(self, clock: Clock = _utc_now, retention: timedelta = timedelta(days=7)):
        self._clock, self.retention = clock, retention
        self.seen: dict[tuple[str, str, str], datetime] = {}  # -> expires at

    def first_time(
        self, integration_id: str, source: str, event_id: str, ttl: timedelta | None = None
    ) -> bool:
        key = (check_integration_id(integration_id), source, event_id)
        expires = self.seen.get(key)
        if expires is not None and expires > self._clock():
            return False
        self.seen[key] = self._clock() + (self.retention if ttl is None else ttl)
        return True

    def forget(self, integration_id: str, source: str, event_id: str) -> None:
        self.seen.pop((check_integration_id(integration_id), source, event_id), None)

    def purge_expired(
        self, integration_id: str, *, at: datetime | None = None, limit: int | None = 1000
    ) -> int:
        at = at or self._clock()
        gone = [k for k, exp in self.seen.items() if k[0] == integration_id and exp < at]
        for key in gone[:limit]:
            del self.seen[key]
        return len(gone[:limit])


class FakeDeliveries:
    """``DeliveryStore``: newest first, filtered as the real query filters."""

    def __init__(self, cap: int = 1000) -> None:
        self._cap = cap
        self.rows: dict[str, list[Delivery]] = {}

    def record(self, integration_id: str, delivery: Delivery) -> None:
        self.rows.setdefault(check_integration_id(integration_id), []).append(delivery)

    def record_many(self, integration_id: str, deliveries: Iterable[Delivery]) -> int:
        items = list(deliveries)
        for delivery in items:
            self.record(integration_id, delivery)
        return len(items)

    def of(self, integration_id: str, reason: str | None = None) -> list[Delivery]:
        """Test helper: the integration's deliveries, oldest first, of one reason if given."""
        rows = self.rows.get(integration_id, [])
        return [d for d in rows if reason is None or d.reason == reason]

    def query(
        self,
        integration_id: str,
        *,
        level: Level | str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> DeliveryPage:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        rows = list(reversed(self.rows.get(check_integration_id(integration_id), [])))
        rows = rows[: self._cap]
        picked = [
            d for d in rows
            if (level is None or d.level == Level(level))
            and (since is None or d.time >= since) and (until is None or d.time <= until)
            and (not text or d.mentions(text))
        ]  # fmt: skip
        if cursor and not cursor.isdigit():  # as the table store: only cursors it handed out
            raise InvalidCursor("cursor is not one this service handed out")
        start = int(cursor) if cursor else 0
        page = picked[start : start + limit]
        more = len(picked) > start + limit
        return DeliveryPage(items=tuple(page), next_cursor=str(start + limit) if more else None)

    def trim(self, integration_id: str) -> int:
        rows = self.rows.get(integration_id, [])
        excess = max(0, len(rows) - self._cap)
        del rows[:excess]
        return excess


class FakeWatermarks:
    """``WatermarkStore``: never backwards, guarded by the ETag ``get`` returned."""

    def __init__(self) -> None:
        self.marks: dict[tuple[str, str], tuple[datetime, str]] = {}
        self.runs: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, integration_id: str, name: str) -> Watermark:
        found = self.marks.get((check_integration_id(integration_id), name))
        return Watermark(None, None) if found is None else Watermark(*found)

    def advance(self, integration_id: str, name: str, value: datetime, etag: str | None) -> str:
        key = (check_integration_id(integration_id), name)
        current = self.marks.get(key)
        if (current[1] if current else None) != etag:
            raise StaleEntity(f"watermark {name!r} changed since it was read")
        if current is not None and value <= current[0]:
            return current[1]
        self.marks[key] = (value, _etag())
        return self.marks[key][1]

    def record_run(self, integration_id: str, name: str, report: dict[str, Any]) -> None:
        self.runs[(check_integration_id(integration_id), name)] = dict(report)

    def last_run(self, integration_id: str, name: str) -> dict[str, Any] | None:
        return self.runs.get((check_integration_id(integration_id), name))


class FakeLeases:
    """``LeaseStore``: one owner until the lease expires."""

    def __init__(self, clock: Clock = _utc_now) -> None:
        self._clock = clock
        self.held_by: dict[tuple[str, str], tuple[str, datetime]] = {}

    def acquire(self, integration_id: str, name: str, owner: str, ttl: timedelta) -> bool:
        key = (check_integration_id(integration_id), name)
        current = self.held_by.get(key)
        if current is not None and current[0] != owner and current[1] > self._clock():
            return False
        self.held_by[key] = (owner, self._clock() + ttl)
        return True

    def held(self, integration_id: str, name: str) -> bool:
        current = self.held_by.get((check_integration_id(integration_id), name))
        return current is not None and current[1] > self._clock()

    def release(self, integration_id: str, name: str, owner: str) -> None:
        key = (check_integration_id(integration_id), name)
        if key in self.held_by and self.held_by[key][0] == owner:
            del self.held_by[key]


class FakeRefused:
    """``RefusedStore``: one row per (route, direction, subject), the latest wins."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, RefusedWork]] = {}

    def remember(
        self, integration_id: str, *, route_key: str, direction: Direction, subject: str,
        message: dict[str, Any], reason: str,
    ) -> None:  # fmt: skip
        key = join_key(encode_part(route_key), encode_part(direction), encode_part(subject))
        work = RefusedWork(route_key, direction, subject, dict(message), reason[:500], key)
        self.rows.setdefault(check_integration_id(integration_id), {})[key] = work

    def pending(self, integration_id: str, route_key: str | None = None) -> Iterator[RefusedWork]:
        rows = self.rows.get(check_integration_id(integration_id), {})
        for key in sorted(rows):
            if route_key is None or rows[key].route_key == route_key:
                yield rows[key]

    def counts(self, integration_id: str) -> dict[str, int]:
        counted: dict[str, int] = {}
        for work in self.pending(integration_id):
            counted[work.route_key] = counted.get(work.route_key, 0) + 1
        return counted

    def forget(self, integration_id: str, row_key: str) -> None:
        self.rows.get(check_integration_id(integration_id), {}).pop(row_key, None)


@dataclass
class SentMessage:
    queue: str
    payload: dict[str, Any]
    delay: timedelta | None


class FakeQueues:
    """``QueueGateway``: messages sent are kept in order; poison queues are lists."""

    def __init__(self) -> None:
        self.sent: list[SentMessage] = []
        self.poison: dict[str, list[PoisonMessage]] = {}

    def ensure(self, names: Iterable[str] = ()) -> None:
        return None

    def send(
        self, queue_name: str, payload: dict[str, Any], *, delay: timedelta | None = None
    ) -> str:
        if not isinstance(payload, dict):
            raise TypeError("a queue payload is a JSON object (dict)")
        self.sent.append(SentMessage(queue_name, payload, delay))
        return f"msg-{len(self.sent)}"

    def on(self, queue_name: str) -> list[dict[str, Any]]:
        """Test helper: the payloads sent to one queue, in order."""
        return [m.payload for m in self.sent if m.queue == queue_name]

    def peek_poison(self, queue_name: str, limit: int = 32) -> list[PoisonMessage]:
        return list(self.poison.get(queue_name + POISON_SUFFIX, [])[:limit])

    def replay_poison(self, queue_name: str, *, integration_id: str | None = None) -> int:
        box = self.poison.get(queue_name + POISON_SUFFIX, [])
        moving = [m for m in box if integration_id is None
                  or (m.payload or {}).get("integration_id") == integration_id]  # fmt: skip
        for message in moving:
            box.remove(message)
            self.send(queue_name, message.payload or {})
        return len(moving)


class FakeIntegrations:
    """``IntegrationStore``: configurations, writer identities and statuses."""

    def __init__(self) -> None:
        self.configs: dict[str, IntegrationConfig] = {}
        self.writers: dict[str, str] = {}
        self.statuses: dict[str, IntegrationStatus] = {}

    def put(
        self, integration_id: str, config: IntegrationConfig, *, forget: Collection[str] = ()
    ) -> None:
        pk = check_integration_id(integration_id)
        old = self.configs.get(pk)
        if old is not None and old.auth != config.auth:
            self.writers.pop(pk, None)  # other credentials: the identity is learned again
        self.configs[pk] = config.model_copy(update={"service_identity": None})

    def set_writer_identity(self, integration_id: str, identity: str | None) -> bool:
        pk = check_integration_id(integration_id)
        if pk not in self.configs:
            return False
        if identity is None:
            self.writers.pop(pk, None)
        else:
            self.writers[pk] = identity
        return True

    def get(self, integration_id: str) -> IntegrationConfig | None:
        config = self.configs.get(check_integration_id(integration_id))
        if config is None:
            return None
        return config.model_copy(update={"service_identity": self.writers.get(integration_id)})

    def delete(self, integration_id: str) -> None:
        pk = check_integration_id(integration_id)
        self.configs.pop(pk, None)
        self.writers.pop(pk, None)
        self.statuses.pop(pk, None)

    def list_ids(self) -> list[str]:
        return sorted(self.configs)

    def get_status(self, integration_id: str) -> IntegrationStatus:
        return self.statuses.get(check_integration_id(integration_id), IntegrationStatus())

    def set_status(self, integration_id: str, status: IntegrationStatus) -> None:
        self.statuses[check_integration_id(integration_id)] = status

    def update_status(
        self, integration_id: str, change: Callable[[IntegrationStatus], IntegrationStatus]
    ) -> IntegrationStatus:
        status = change(self.get_status(integration_id))
        self.statuses[integration_id] = status
        return status


class FakeOAuth:
    """``OAuthStore``: a flow is consumed once; the token cache is ETag-guarded."""

    def __init__(self, clock: Clock = _utc_now, flow_ttl: timedelta = timedelta(minutes=10)):
        self._clock, self._ttl = clock, flow_ttl
        self.flows: dict[str, tuple[str, dict[str, Any], datetime, bool]] = {}
        self.caches: dict[str, StoredTokenCache] = {}

    def save_flow(self, integration_id: str, state: str, flow: dict[str, Any]) -> datetime:
        if state in self.flows:
            raise StaleEntity("a sign-in flow with this state already exists")
        expires = self._clock() + self._ttl
        self.flows[state] = (check_integration_id(integration_id), dict(flow), expires, False)
        return expires

    def consume_flow(self, state: str) -> PendingFlow:
        if not state:
            raise FlowRejected("the state parameter is missing")
        found = self.flows.get(state)
        if found is None:
            raise FlowRejected("the state is unknown (it expired and was removed, or never was)")
        iid, flow, expires, consumed = found
        if consumed:
            raise FlowRejected("the state was already used (a replayed callback)")
        if expires <= self._clock():
            del self.flows[state]
            raise FlowRejected("the state has expired")
        self.flows[state] = (iid, flow, expires, True)
        return PendingFlow(integration_id=iid, flow=flow)

    def get_token_cache(self, integration_id: str) -> StoredTokenCache | None:
        return self.caches.get(check_integration_id(integration_id))

    def put_token_cache(
        self, integration_id: str, serialized: str, *, etag: str | None = None
    ) -> str:
        pk = check_integration_id(integration_id)
        if etag is not None and (pk not in self.caches or self.caches[pk].etag != etag):
            raise StaleEntity("token cache changed since it was read")
        self.caches[pk] = StoredTokenCache(serialized, _etag())
        return self.caches[pk].etag


@dataclass
class FakeState:
    """``StateStore`` with every store in memory, sharing one test clock."""

    clock: Clock = _utc_now
    integrations: FakeIntegrations = field(default_factory=FakeIntegrations)
    links: FakeLinks = field(init=False)
    events: FakeEvents = field(init=False)
    deliveries: FakeDeliveries = field(default_factory=FakeDeliveries)
    watermarks: FakeWatermarks = field(default_factory=FakeWatermarks)
    leases: FakeLeases = field(init=False)
    refused: FakeRefused = field(default_factory=FakeRefused)
    queues: FakeQueues = field(default_factory=FakeQueues)
    oauth: FakeOAuth = field(init=False)
    tables: tuple[()] = ()

    def __post_init__(self) -> None:
        self.links = FakeLinks(self.clock)
        self.events = FakeEvents(self.clock)
        self.leases = FakeLeases(self.clock)
        self.oauth = FakeOAuth(self.clock)

    def ensure(self) -> None:
        return None
