"""How a request proves who it is: one small interface, one class per strategy (R15).

A strategy only produces the ``Authorization`` header value, on every request, so a
bearer token provider can refresh (OAuth, managed identity) without the client knowing.
The secret never appears in ``repr``, logs or errors.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Protocol

__all__ = ["Auth", "BearerTokenAuth", "PatAuth"]


class Auth(Protocol):
    """Anything that can give the ``Authorization`` header for the next request."""

    def authorization(self) -> str: ...


class PatAuth:
    """A personal access token, sent as Basic auth with an empty user name.

    The user name stays empty: some Azure DevOps endpoints answer 401 to a non-empty one.
    """

    __slots__ = ("_header",)

    def __init__(self, pat: str) -> None:
        if not pat or not pat.strip():
            raise ValueError("a personal access token is required")
        token = base64.b64encode(f":{pat.strip()}".encode()).decode("ascii")
        self._header = f"Basic {token}"

    def authorization(self) -> str:
        return self._header

    def __repr__(self) -> str:
        return "PatAuth(pat=<redacted>)"


class BearerTokenAuth:
    """An Entra ID access token, asked from ``token_provider`` for every request.

    The provider owns caching and refresh (MSAL and azure-identity both cache), so a token
    that expires between two requests is simply replaced.
    """

    __slots__ = ("_provider",)

    def __init__(self, token_provider: Callable[[], str]) -> None:
        self._provider = token_provider

    def authorization(self) -> str:
        token = self._provider()
        if not token:
            raise ValueError("the token provider returned no token")
        return f"Bearer {token}"

    def __repr__(self) -> str:
        return "BearerTokenAuth(token_provider=<callable>)"
