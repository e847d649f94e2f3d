"""Integration configuration and recent deliveries, for the admin API (PRODUCT.md §4).

integrations    validate, store, show (secrets write-only), delete a configuration
validation      a refused configuration said in its own terms, field by field
hooks_removal   an integration's service hooks deleted with it (R17)
deliveries      recent deliveries (R11), poison replay (R12), storage health
refused_calls   webhook calls refused as unauthenticated, counted per hour
"""

from .deliveries import list_deliveries, replay_poison, storage_health
from .integrations import (
    SECRET_PATHS,
    delete_integration,
    get_integration,
    public_view,
    put_integration,
)
from .refused_calls import REFUSED_CALLS, RefusedCalls, record_refused_call, refused_calls
from .validation import validation_message

__all__ = [
    "REFUSED_CALLS",
    "SECRET_PATHS",
    "RefusedCalls",
    "delete_integration",
    "get_integration",
    "list_deliveries",
    "public_view",
    "put_integration",
    "record_refused_call",
    "refused_calls",
    "replay_poison",
    "storage_health",
    "validation_message",
]
