"""The Conviso Platform GraphQL client: read an issue, page issues to a watermark, change a status.

It speaks plain HTTP through an injected ``httpx.Client`` (the tests point it at the local
emulator), retries only what is transient (see ``retry``), and turns every other answer
into the error tree of ``errors``. What it returns is the rules' ``Vulnerability``, so
nothing above this module touches Conviso's JSON.

The operations are grouped by concern, one module each (``graphql``: the transport;
``reads``; ``writes``); this class joins them, so callers keep one client per API key.
"""

from __future__ import annotations

from .graphql import DEFAULT_API_URL, DEFAULT_TIMEOUT, issue_from_node
from .reads import DEFAULT_PER_PAGE, MAX_PER_PAGE, IssuePage
from .writes import IssueWrites

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_PER_PAGE",
    "DEFAULT_TIMEOUT",
    "MAX_PER_PAGE",
    "ConvisoClient",
    "IssuePage",
    "issue_from_node",
]


class ConvisoClient(IssueWrites):
    """Conviso's GraphQL API over HTTP, authenticated with ``x-api-key``: reads and writes."""

    def __repr__(self) -> str:
        return f"ConvisoClient(api_url={self._api_url!r})"

    def __enter__(self) -> ConvisoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
