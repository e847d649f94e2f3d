"""The sync service's state: Azure Table Storage and Storage Queues.

Build it with :func:`state_from_settings`; everything else hangs off :class:`StateStore`:
``.integrations`` (configuration, secrets sealed, status), ``.links`` (R1, with the
create-claim protocol), ``.events`` (R9 de-duplication), ``.deliveries`` (R11),
``.watermarks`` and ``.leases`` (R13), ``.queues`` (R12). Errors: see :mod:`.errors`.
"""

from __future__ import annotations

from .connection import StorageClients, storage_clients
from .counting import Operation, OperationCounts
from .deliveries import Delivery, DeliveryPage, DeliveryStore
from .errors import (
    EntityTooLarge,
    InvalidCursor,
    InvalidKey,
    SecretsKeyError,
    StaleEntity,
    StateConfigurationError,
    StateError,
    StoredDataInvalid,
)
from .events import EventStore
from .integrations import IntegrationStatus, IntegrationStore
from .leases import LeaseStore
from .links import ClaimOutcome, ClaimResult, LinkStore, StoredLink
from .queues import INBOUND_QUEUE, OUTBOUND_QUEUE, PoisonMessage, QueueGateway
from .refused import RefusedStore, RefusedWork
from .secret_box import SecretBox
from .store import StateStore, state_from_settings
from .watermarks import Watermark, WatermarkStore

__all__ = [
    "INBOUND_QUEUE",
    "OUTBOUND_QUEUE",
    "ClaimOutcome",
    "ClaimResult",
    "Delivery",
    "DeliveryPage",
    "DeliveryStore",
    "EntityTooLarge",
    "EventStore",
    "IntegrationStatus",
    "IntegrationStore",
    "InvalidCursor",
    "InvalidKey",
    "LeaseStore",
    "LinkStore",
    "Operation",
    "OperationCounts",
    "PoisonMessage",
    "QueueGateway",
    "RefusedStore",
    "RefusedWork",
    "SecretBox",
    "SecretsKeyError",
    "StaleEntity",
    "StateConfigurationError",
    "StateError",
    "StateStore",
    "StorageClients",
    "StoredDataInvalid",
    "StoredLink",
    "Watermark",
    "WatermarkStore",
    "state_from_settings",
    "storage_clients",
]
