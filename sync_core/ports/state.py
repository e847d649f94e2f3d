"""The state ports: what the service keeps between two events, one Protocol per store.

``State`` gathers them as ``ctx.state``. The adapter (``adapters.state.StateStore``, Table
Storage and Storage Queues) implements every one; ``tests/fakes`` hold in-memory ones that
keep the same guarantees (ETag-guarded writes raise ``StaleEntity``; a claim has one winner).
Errors: the ``StateError`` branch of :mod:`sync_core.ports.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..rules import IntegrationConfig, Level, Link
from .data import (
    ClaimOutcome,
    Delivery,
    DeliveryPage,
    Direction,
    IntegrationStatus,
    PendingFlow,
    PoisonMessage,
    RefusedWork,
    StoredLink,
    Watermark,
)

__all__ = [
    "Deliveries",
    "Events",
    "Integrations",
    "Leases",
    "Links",
    "OAuthTokens",
    "Queues",
    "Refused",
    "State",
    "Watermarks",
]


class Integrations(Protocol):
    """Integration configurations (secrets sealed at rest) and their health status."""

    def put(
        self, integration_id: str, config: IntegrationConfig, *, forget: Collection[str] = ()
    ) -> None: ...

    def get(self, integration_id: str) -> IntegrationConfig | None: ...

    def delete(self, integration_id: str) -> None: ...

    def list_ids(self) -> list[str]: ...

    def set_writer_identity(self, integration_id: str, identity: str | None) -> bool: ...

    def get_status(self, integration_id: str) -> IntegrationStatus: ...

    def update_status(
        self, integration_id: str, change: Callable[[IntegrationStatus], IntegrationStatus]
    ) -> IntegrationStatus: ...


class Links(Protocol):
    """Vulnerability ↔ work item links (R1) and the claim that makes a create happen once.

    ``claim`` answers WON to exactly one caller; every write taking an ``etag`` raises
    ``StaleEntity`` when the row changed since that ETag was read.
    """

    def claim(self, integration_id: str, vulnerability_id: str, claimant: str) -> ClaimOutcome: ...

    def take_over(
        self, integration_id: str, vulnerability_id: str, claimant: str, etag: str
    ) -> str: ...

    def complete(self, integration_id: str, link: Link, etag: str) -> str: ...

    def release(self, integration_id: str, vulnerability_id: str, etag: str) -> None: ...

    def get(self, integration_id: str, vulnerability_id: str) -> StoredLink | None: ...

    def get_many(
        self, integration_id: str, vulnerability_ids: Iterable[str]
    ) -> dict[str, StoredLink]:
        """The links of several vulnerabilities at once (those without one are absent):
        a reconcile pass reads a whole batch of cards' links in a few requests, not one each."""
        ...

    def get_by_work_item(self, integration_id: str, work_item_id: int) -> StoredLink | None: ...

    def save(self, integration_id: str, link: Link, etag: str) -> str: ...

    def replace_work_item(
        self, integration_id: str, link: Link, etag: str, *, previous_work_item_id: int
    ) -> str: ...

    def page_after(
        self, integration_id: str, after: str | None, limit: int
    ) -> list[StoredLink]: ...


class Events(Protocol):
    """Events already handled (R9): ``first_time`` is true once per (source, event id)."""

    def first_time(
        self, integration_id: str, source: str, event_id: str, ttl: timedelta | None = None
    ) -> bool: ...

    def forget(self, integration_id: str, source: str, event_id: str) -> None: ...

    def purge_expired(
        self, integration_id: str, *, at: datetime | None = None, limit: int | None = ...
    ) -> int: ...


class Deliveries(Protocol):
    """Recent deliveries (R11), newest first."""

    def record(self, integration_id: str, delivery: Delivery) -> None: ...

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
    ) -> DeliveryPage: ...

    def trim(self, integration_id: str) -> int: ...


class Watermarks(Protocol):
    """How far each reconcile pass got (R13), advanced under an ETag, and its last report."""

    def get(self, integration_id: str, name: str) -> Watermark: ...

    def advance(self, integration_id: str, name: str, value: datetime, etag: str | None) -> str: ...

    def record_run(self, integration_id: str, name: str, report: dict[str, Any]) -> None: ...

    def last_run(self, integration_id: str, name: str) -> dict[str, Any] | None: ...


class Leases(Protocol):
    """One holder at a time per (integration, name), for ``ttl`` at most (R13)."""

    def acquire(self, integration_id: str, name: str, owner: str, ttl: timedelta) -> bool: ...

    def held(self, integration_id: str, name: str) -> bool: ...

    def release(self, integration_id: str, name: str, owner: str) -> None: ...


class Refused(Protocol):
    """Work a configuration error refused, applied again when its route works (R14)."""

    def remember(
        self,
        integration_id: str,
        *,
        route_key: str,
        direction: Direction,
        subject: str,
        message: dict[str, Any],
        reason: str,
    ) -> None: ...

    def pending(
        self, integration_id: str, route_key: str | None = None
    ) -> Iterator[RefusedWork]: ...

    def counts(self, integration_id: str) -> dict[str, int]: ...

    def forget(self, integration_id: str, row_key: str) -> None: ...


class Queues(Protocol):
    """Work handed to the workers (R12), and the poison messages the host gave up on."""

    def send(
        self, queue_name: str, payload: dict[str, Any], *, delay: timedelta | None = None
    ) -> str: ...

    def peek_poison(self, queue_name: str, limit: int = ...) -> list[PoisonMessage]: ...

    def replay_poison(self, queue_name: str, *, integration_id: str | None = None) -> int: ...

    def ensure(self, names: Iterable[str] = ...) -> None: ...


class OAuthTokens(Protocol):
    """Pending sign-ins (single use, short-lived) and each integration's token cache (R15)."""

    def save_flow(self, integration_id: str, state: str, flow: dict[str, Any]) -> datetime: ...

    def consume_flow(self, state: str) -> PendingFlow: ...

    def put_token_cache(
        self, integration_id: str, serialized: str, *, etag: str | None = None
    ) -> str: ...


class State(Protocol):
    """Every store the service uses, as ``ctx.state``.

    Read-only properties: the adapter's ``StateStore`` is a frozen dataclass, and a fake
    may hold its stores however it likes.
    """

    @property
    def integrations(self) -> Integrations: ...

    @property
    def links(self) -> Links: ...

    @property
    def events(self) -> Events: ...

    @property
    def deliveries(self) -> Deliveries: ...

    @property
    def watermarks(self) -> Watermarks: ...

    @property
    def leases(self) -> Leases: ...

    @property
    def refused(self) -> Refused: ...

    @property
    def queues(self) -> Queues: ...

    @property
    def oauth(self) -> OAuthTokens: ...
