"""Azure Table Storage limits, checked in code before any call.

Azurite is more lenient than Azure (it stores ~1.2 MB entities, answers some bad keys
with a 500 that azure-core retries for seconds), so a test passing against the emulator
proves nothing about these limits. Every write goes through :func:`check_entity`.

Sizes follow "Understanding the Table service data model": strings are stored as UTF-16,
so a 64 KiB string property is 32 K UTF-16 code units, and a 1 KiB key is 512 of them.
Measuring keys in UTF-16 bytes is the conservative reading of "up to 1 KiB".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sync_core.rules.boards import InvalidIntegrationId
from sync_core.rules.boards import check_integration_id as rules_check_integration_id

from .errors import EntityTooLarge, InvalidKey

__all__ = [
    "MAX_ENTITY_BYTES",
    "MAX_KEY_BYTES",
    "MAX_PROPERTIES",
    "MAX_STRING_CHARS",
    "check_entity",
    "check_integration_id",
    "check_key",
    "forbidden_key_char",
]

MAX_KEY_BYTES = 1024
MAX_STRING_CHARS = 32 * 1024
MAX_BINARY_BYTES = 64 * 1024
MAX_ENTITY_BYTES = 1024 * 1024
#: 255 including PartitionKey, RowKey and Timestamp.
MAX_PROPERTIES = 252

_KEY_FORBIDDEN = frozenset("/\\#?")
_SYSTEM_PROPERTIES = frozenset({"PartitionKey", "RowKey"})


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _shown(value: str) -> str:
    """A short, escaped rendering of a bad key for the error message (keys are not secrets)."""
    return repr(value[:60] + ("…" if len(value) > 60 else ""))


def forbidden_key_char(char: str) -> bool:
    """True for the characters Azure refuses in PartitionKey/RowKey."""
    code = ord(char)
    return char in _KEY_FORBIDDEN or code <= 0x1F or 0x7F <= code <= 0x9F


def check_key(value: object, *, what: str = "key") -> str:
    """Return ``value`` if Azure accepts it as a PartitionKey/RowKey; raise InvalidKey otherwise."""
    if not isinstance(value, str):
        raise InvalidKey(f"{what} must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidKey(f"{what} must not be empty")
    bad = next((c for c in value if forbidden_key_char(c)), None)
    if bad is not None:
        raise InvalidKey(
            f"{what} {_shown(value)} contains {bad!r}: Azure Table keys may not hold "
            "'/', '\\', '#', '?' or control characters"
        )
    size = _utf16_units(value) * 2
    if size > MAX_KEY_BYTES:
        raise InvalidKey(f"{what} is {size} bytes (UTF-16); Azure allows {MAX_KEY_BYTES}")
    return value


def check_integration_id(value: object) -> str:
    """An integration id is the PartitionKey of every table, and part of URLs: keep it plain.

    The rule is the rules' (``sync_core.rules.check_integration_id``); here its refusal is
    the state's ``InvalidKey``, answered 400 like every other bad key.
    """
    try:
        return rules_check_integration_id(value)
    except InvalidIntegrationId as exc:
        raise InvalidKey(str(exc)) from None


def _property_bytes(name: str, value: Any) -> int:
    """Size of one property as the service counts it (8 bytes + name + value)."""
    raw = getattr(value, "value", value)  # EntityProperty
    if isinstance(raw, str):
        units = _utf16_units(raw)
        if units > MAX_STRING_CHARS:
            raise EntityTooLarge(
                f"property {name!r} holds {units} characters; Azure allows {MAX_STRING_CHARS}"
            )
        body = units * 2 + 4
    elif isinstance(raw, bytes | bytearray):
        if len(raw) > MAX_BINARY_BYTES:
            raise EntityTooLarge(
                f"property {name!r} holds {len(raw)} bytes; Azure allows {MAX_BINARY_BYTES}"
            )
        body = len(raw) + 4
    elif isinstance(raw, bool):
        body = 1
    elif isinstance(raw, int | float | datetime):
        body = 8
    elif isinstance(raw, UUID):
        body = 16
    elif raw is None:
        body = 0
    else:
        raise TypeError(f"property {name!r} has a type Table Storage cannot hold: {type(raw)}")
    return 8 + _utf16_units(name) * 2 + body


def check_entity(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    """Raise InvalidKey/EntityTooLarge for an entity Azure would refuse; return it unchanged."""
    check_key(entity.get("PartitionKey"), what="PartitionKey")
    check_key(entity.get("RowKey"), what="RowKey")
    custom = [k for k in entity if k not in _SYSTEM_PROPERTIES]
    if len(custom) > MAX_PROPERTIES:
        raise EntityTooLarge(f"entity has {len(custom)} properties; Azure allows {MAX_PROPERTIES}")
    size = 4 + 2 * (_utf16_units(entity["PartitionKey"]) + _utf16_units(entity["RowKey"]))
    size += sum(_property_bytes(name, entity[name]) for name in custom)
    if size > MAX_ENTITY_BYTES:
        raise EntityTooLarge(f"entity is {size} bytes; Azure allows {MAX_ENTITY_BYTES}")
    return entity
