"""The state layer in one object, built from settings in one place.

``state_from_settings(settings)`` is what ``bootstrap`` calls: it builds the clients
(no network), the tables and the stores; ``StateStore.ensure()`` creates tables and
queues, once, explicitly (a deployment step or the first start of the dev host), so a
cold start never pays for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from .connection import DEFAULT_PREFIX, storage_clients
from .counting import OperationCounts
from .deliveries import DEFAULT_CAP, DeliveryStore
from .events import EventStore
from .integrations import IntegrationStore
from .leases import LeaseStore
from .links import DEFAULT_CLAIM_TTL, LinkStore
from .oauth import OAuthStore
from .queues import QueueGateway
from .refused import RefusedStore
from .secret_box import SecretBox
from .table import Table
from .watermarks import WatermarkStore

__all__ = ["DEFAULT_TABLE_PREFIX", "StateStore", "state_from_settings"]

DEFAULT_TABLE_PREFIX = "sync"
_TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,40}$")


@dataclass(frozen=True)
class StateStore:
    """Every store of the sync service, sharing one operation counter."""

    integrations: IntegrationStore
    links: LinkStore
    events: EventStore
    deliveries: DeliveryStore
    watermarks: WatermarkStore
    leases: LeaseStore
    #: work a configuration error refused, applied again when its route works (R14)
    refused: RefusedStore
    queues: QueueGateway
    #: pending OAuth sign-ins and each integration's sealed token cache (R15)
    oauth: OAuthStore
    tables: tuple[Table, ...]
    counts: OperationCounts

    @property
    def operation_counts(self) -> OperationCounts:
        """Storage requests so far, by kind (``.snapshot()``), for "operations per event"."""
        return self.counts

    def ensure(self) -> None:
        """Create every table and queue that does not exist yet (idempotent)."""
        for table in self.tables:
            table.ensure()
        self.queues.ensure()


def state_from_settings(
    settings: Mapping[str, str],
    *,
    storage_prefix: str = DEFAULT_PREFIX,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
    delivery_cap: int = DEFAULT_CAP,
    claim_ttl: timedelta = DEFAULT_CLAIM_TTL,
) -> StateStore:
    """Build the state layer from app settings (``SYNC_STORAGE*``, ``SECRETS_KEY``).

    ``table_prefix`` names the tables (``<prefix>links`` …); tests give each run its own.
    Raises StateConfigurationError for missing or malformed settings; calls nothing.
    """
    if not _TABLE_PREFIX.match(table_prefix):
        raise ValueError("table_prefix must be a letter then up to 40 letters or digits")
    box = SecretBox.from_settings(settings)
    clients = storage_clients(settings, storage_prefix)
    counts = OperationCounts()

    def table(name: str) -> Table:
        return Table(clients.tables.get_table_client(f"{table_prefix}{name}"), counts)

    links, events, deliveries = table("links"), table("events"), table("deliveries")
    watermarks, leases, integrations = table("watermarks"), table("leases"), table("integrations")
    oauth, refused = table("oauth"), table("refused")
    per_integration = (links, events, deliveries, watermarks, leases, oauth, refused)
    return StateStore(
        integrations=IntegrationStore(integrations, box, per_integration),
        links=LinkStore(links, claim_ttl=claim_ttl),
        events=EventStore(events),
        deliveries=DeliveryStore(deliveries, cap=delivery_cap),
        watermarks=WatermarkStore(watermarks),
        leases=LeaseStore(leases),
        refused=RefusedStore(refused),
        queues=QueueGateway(clients.queues, counts),
        oauth=OAuthStore(oauth, box),
        tables=(integrations, *per_integration),
        counts=counts,
    )
