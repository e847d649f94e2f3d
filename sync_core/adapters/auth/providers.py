"""Which token provider an integration gets, by ``auth.mode`` (R15); used by ``bootstrap``.

One ``TokenProviders`` per process: the Entra client (and its HTTP cache) and the
service principal credential are shared by every integration; a delegated provider is
made per integration, because each has its own signed-in user and token cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from ..azure_devops.errors import AuthenticationError
from ..state.oauth import OAuthStore
from .delegated import DelegatedTokenProvider
from .entra import EntraClient
from .errors import OAuthNotConfigured
from .service_principal import ServicePrincipalTokenProvider

__all__ = ["TokenProvider", "TokenProviders"]

TokenProvider = Callable[[], str]


class TokenProviders:
    def __init__(self, settings: Mapping[str, str], store: OAuthStore) -> None:
        self._settings = dict(settings)
        self._store = store
        self._lock = threading.Lock()
        self._entra: EntraClient | None = None
        self._service_principal: ServicePrincipalTokenProvider | None = None

    def entra(self) -> EntraClient:
        """The process's Entra client; OAuthNotConfigured when ENTRA_* settings are missing."""
        with self._lock:
            if self._entra is None:
                self._entra = EntraClient.from_settings(self._settings)
            return self._entra

    def for_mode(self, mode: str, integration_id: str) -> TokenProvider:
        if mode == "service_principal":
            with self._lock:
                if self._service_principal is None:
                    self._service_principal = ServicePrincipalTokenProvider(self._settings)
                return self._service_principal
        if mode == "oauth":
            try:
                entra = self.entra()
            except OAuthNotConfigured as exc:
                raise AuthenticationError(str(exc)) from None
            return DelegatedTokenProvider(integration_id, entra=entra, store=self._store)
        raise ValueError(f"auth.mode {mode!r} has no token provider")
