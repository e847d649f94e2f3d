"""The Conviso client's errors: defined in the ports' one tree, re-exported here.

See :mod:`sync_core.ports.errors` for the tree. No error ever carries the API key.
"""

from __future__ import annotations

from sync_core.ports.errors import (
    ConvisoAuthError,
    ConvisoError,
    ConvisoQueryError,
    ConvisoRequestError,
    ConvisoUnavailable,
    StatusNotPermitted,
)

__all__ = [
    "ConvisoAuthError",
    "ConvisoError",
    "ConvisoQueryError",
    "ConvisoRequestError",
    "ConvisoUnavailable",
    "StatusNotPermitted",
]
