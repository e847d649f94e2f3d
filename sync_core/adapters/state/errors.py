"""The state layer's errors: defined in the ports' one tree, re-exported here.

See :mod:`sync_core.ports.errors` for the tree. ``InvalidKey``, ``EntityTooLarge`` and
``InvalidCursor`` are ``ValueError`` s too: bad input, answered 400/413, never a 500.
Azurite accepts several things Azure refuses (oversized entities, some bad keys), so these
checks run in code before every call instead of trusting the emulator to fail.
"""

from __future__ import annotations

from sync_core.ports.errors import (
    EntityTooLarge,
    InvalidCursor,
    InvalidKey,
    SecretsKeyError,
    StaleEntity,
    StateConfigurationError,
    StateError,
    StoredDataInvalid,
)

__all__ = [
    "EntityTooLarge",
    "InvalidCursor",
    "InvalidKey",
    "SecretsKeyError",
    "StaleEntity",
    "StateConfigurationError",
    "StateError",
    "StoredDataInvalid",
]
