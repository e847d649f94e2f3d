"""How Python values become Table properties and come back.

Table Storage returns its own types (``TablesEntityDatetime``, ``EntityProperty`` for
64-bit integers) and caps a string at 32 K characters; the stores use these few
conversions so every model they return holds plain Python values.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

from .limits import MAX_STRING_CHARS

__all__ = ["now", "read_datetime", "read_int", "read_text", "to_utc", "write_text"]

#: Chunk size in Python characters: even if every one is outside the BMP (two UTF-16
#: units), a chunk stays within a string property. The entity-size check bounds the total.
_CHUNK = MAX_STRING_CHARS // 2


def now() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def read_datetime(value: Any) -> datetime | None:
    """A plain aware ``datetime`` from what the SDK returns (or None)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime property, got {type(value).__name__}")
    v = to_utc(value)
    return datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, tzinfo=UTC)


def read_int(value: Any) -> int | None:
    """An ``int`` from an Int32, or an Int64 the SDK hands back as an EntityProperty."""
    if value is None:
        return None
    return int(getattr(value, "value", value))


def write_text(entity: MutableMapping[str, Any], name: str, text: str) -> None:
    """Store ``text`` under ``name``, ``name_1``, … in chunks that fit a string property.

    Too long a text makes the entity too large; :func:`.limits.check_entity` says so.
    """
    chunks = [text[i : i + _CHUNK] for i in range(0, len(text), _CHUNK)]
    entity[name] = chunks[0] if chunks else ""
    for index, chunk in enumerate(chunks[1:], start=1):
        entity[f"{name}_{index}"] = chunk
    entity[f"{name}_parts"] = max(len(chunks), 1)


def read_text(entity: Mapping[str, Any], name: str) -> str:
    parts = read_int(entity.get(f"{name}_parts")) or 1
    return "".join(str(entity.get(name if i == 0 else f"{name}_{i}", "")) for i in range(parts))
