"""The sign-in port: Entra ID's authorization-code flow with PKCE, for R15 (a).

The adapter (``adapters.auth.EntraClient``, MSAL) implements it; the service starts and
finishes a person's sign-in through it and never names MSAL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["SignInService", "SignInStart"]


class SignInStart(Protocol):
    """A fresh flow: where to send the browser, and what to keep until the callback."""

    @property
    def authorize_url(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def flow(self) -> dict[str, Any]: ...


class SignInService(Protocol):
    """Entra ID, as the app registration sees it."""

    def begin(self) -> SignInStart: ...

    def finish(self, flow: dict[str, Any], response: Mapping[str, str]) -> tuple[str, str]:
        """The serialized token cache and who signed in; PermissionError when refused."""
        ...
