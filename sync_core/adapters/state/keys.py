"""Turn untrusted ids into valid, reversible Table keys.

Vulnerability ids, event ids and sources come from the outside (an event body, a URL)
and may hold characters Azure refuses in a key. Percent-encoding only the refused set
(plus ``%`` itself and the separators used in composite keys) keeps ordinary ids readable
in Storage Explorer while making every id a legal key, and :func:`decode_part` gives the
original back.
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

from .limits import check_key, forbidden_key_char

__all__ = ["HASH_ABOVE", "decode_part", "encode_part", "hashed_part", "join_key"]

#: Composite-key separator; escaped inside parts so splitting is unambiguous.
SEPARATOR = "|"
#: Marks a hashed part; escaped inside ordinary parts so a hash never collides with an id.
_HASH_MARK = "~"
_ESCAPED_TOO = frozenset({"%", SEPARATOR, _HASH_MARK})
#: Encoded parts longer than this are replaced by their SHA-256 (event ids can be anything).
HASH_ABOVE = 200


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def encode_part(value: str) -> str:
    """Percent-encode the characters a key cannot hold; reversible with :func:`decode_part`."""
    if not isinstance(value, str) or not value:
        raise TypeError("a key part must be a non-empty string")
    return "".join(_escape(c) if c in _ESCAPED_TOO or forbidden_key_char(c) else c for c in value)


def decode_part(encoded: str) -> str:
    """The original id of an :func:`encode_part` result."""
    return unquote(encoded, encoding="utf-8", errors="strict")


def hashed_part(value: str, *, limit: int = HASH_ABOVE) -> str:
    """Encode ``value``, or hash it when the encoding is longer than ``limit`` (one-way).

    Used where the id is only compared, never read back (processed event ids, R9).
    """
    encoded = encode_part(value)
    if len(encoded) <= limit:
        return encoded
    return _HASH_MARK + "sha256" + _HASH_MARK + hashlib.sha256(value.encode("utf-8")).hexdigest()


def join_key(*parts: str) -> str:
    """Join already-encoded parts into one validated key."""
    return check_key(SEPARATOR.join(parts), what="RowKey")
