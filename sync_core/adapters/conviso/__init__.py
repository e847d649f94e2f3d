"""The Conviso Platform adapter: a GraphQL client returning the rules' ``Vulnerability``.

``ConvisoClient`` reads issues, pages them to a watermark and changes their status;
``errors`` draws the error tree callers catch; ``queries`` holds the documents the
contract tests validate against the published schema.
"""

from __future__ import annotations

from .client import (
    DEFAULT_API_URL,
    DEFAULT_PER_PAGE,
    DEFAULT_TIMEOUT,
    ConvisoClient,
    IssuePage,
    issue_from_node,
)
from .errors import (
    ConvisoAuthError,
    ConvisoError,
    ConvisoQueryError,
    ConvisoRequestError,
    ConvisoUnavailable,
    StatusNotPermitted,
)
from .retry import MAX_RETRIES, Backoff

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_PER_PAGE",
    "DEFAULT_TIMEOUT",
    "MAX_RETRIES",
    "Backoff",
    "ConvisoAuthError",
    "ConvisoClient",
    "ConvisoError",
    "ConvisoQueryError",
    "ConvisoRequestError",
    "ConvisoUnavailable",
    "IssuePage",
    "StatusNotPermitted",
    "issue_from_node",
]
