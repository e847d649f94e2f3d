"""The state layer's errors, one small tree so callers catch at the level they mean.

::

    StateError
    ├── StateConfigurationError      settings missing or malformed (never echoes a value)
    │   └── SecretsKeyError          SECRETS_KEY missing/malformed, or cannot open a stored secret
    ├── StaleEntity                  an ETag-guarded write lost: re-read and decide again
    ├── StoredDataInvalid            a stored row no longer validates (schema drift, tampering)
    └── (ValueError)
        ├── InvalidKey               a key Azure would refuse, caught before any call
        ├── EntityTooLarge           an entity, property or message over an Azure limit
        └── InvalidCursor            a deliveries cursor that this store did not hand out

``InvalidKey``, ``EntityTooLarge`` and ``InvalidCursor`` are ``ValueError`` s too: they are
bad input, and the HTTP layer answers them with a 400/413, never a 500. Azurite accepts
several things Azure refuses (oversized entities, some bad keys), so these checks run in
code before every call instead of trusting the emulator to fail.
"""

from __future__ import annotations

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


class StateError(Exception):
    """Base of every error raised by the state layer."""


class StateConfigurationError(StateError):
    """A storage or secrets setting is missing or malformed. Messages name the setting only."""


class SecretsKeyError(StateConfigurationError):
    """``SECRETS_KEY`` is missing, malformed, or does not open what is stored."""


class StaleEntity(StateError):
    """An ETag-guarded write found the row changed (or gone) since it was read.

    The caller re-reads and decides again; this is how two workers racing on one link
    end with exactly one winner.
    """


class StoredDataInvalid(StateError):
    """A stored row does not validate any more. The message never carries stored values."""


class InvalidKey(StateError, ValueError):
    """A PartitionKey/RowKey (or an id used as one) that Azure Table Storage would refuse."""


class EntityTooLarge(StateError, ValueError):
    """An entity, a property or a queue message is over an Azure Storage limit."""


class InvalidCursor(StateError, ValueError):
    """A deliveries page cursor that is not one this store produced."""
