"""Use cases: load, decide (with the rules), execute (through the ports), record."""

from .admin import (
    delete_integration,
    get_integration,
    list_deliveries,
    put_integration,
    replay_poison,
    storage_health,
)
from .context import LayoutCache, SyncContext
from .errors import IntegrationNotFound, InvalidInput, Retry, ServiceError
from .intake import Accepted, accept_boards_event, accept_conviso_event
from .worker import MAX_DEQUEUE_COUNT, run_inbound, run_outbound

__all__ = [
    "MAX_DEQUEUE_COUNT",
    "Accepted",
    "IntegrationNotFound",
    "InvalidInput",
    "LayoutCache",
    "Retry",
    "ServiceError",
    "SyncContext",
    "accept_boards_event",
    "accept_conviso_event",
    "delete_integration",
    "get_integration",
    "list_deliveries",
    "put_integration",
    "replay_poison",
    "run_inbound",
    "run_outbound",
    "storage_health",
]
