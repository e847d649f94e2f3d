"""``EntraEmulator``: a local Microsoft Entra ID tenant over HTTPS on 127.0.0.1.

MSAL and azure-identity run against it unpatched: the authority is ``emulator.authority``
and the client trusts ``emulator.ca_file`` (the emulator's own throwaway certificate).
A test can follow the authorize redirect like a browser that consents, then expire or
revoke the refresh tokens to see what the app does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from localdev.wsgi_server import ServerThread

from .app import EntraApp, Grant
from .tls import self_signed_context

__all__ = ["EntraApp", "EntraEmulator", "Grant"]


class EntraEmulator:
    """Start with ``with EntraEmulator() as entra:``; configure MSAL with ``entra.authority``."""

    def __init__(
        self,
        *,
        tenant: str = "fabrikam-tenant",
        client_id: str = "11111111-2222-3333-4444-555555555555",
        client_secret: str = "emulator-client-secret",  # noqa: S107 (a local fake)
        on_access_token: Callable[[str], None] | None = None,
        port: int = 0,
    ) -> None:
        self._port = port
        self._server: ServerThread | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="entra-emulator-")
        self._context, self.ca_file = self_signed_context(Path(self._dir.name))
        self.app = EntraApp(
            tenant=tenant,
            client_id=client_id,
            client_secret=client_secret,
            base_url=lambda: self.url,
            on_access_token=on_access_token,
        )

    def start(self) -> EntraEmulator:
        self._server = ServerThread(self.app, port=self._port, ssl_context=self._context).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._dir.cleanup()

    def __enter__(self) -> EntraEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Entra ID emulator is not running")
        return self._server.url

    @property
    def authority(self) -> str:
        """What ``ENTRA_AUTHORITY`` is set to (``https://<host>/<tenant>``)."""
        return f"{self.url}/{self.app.tenant}"

    @property
    def client_id(self) -> str:
        return self.app.client_id

    @property
    def client_secret(self) -> str:
        return self.app.client_secret

    def expire_refresh_tokens(self) -> None:
        self.app.expire_refresh_tokens()

    def revoke_grants(self) -> None:
        self.app.revoke_grants()

    def reset(self) -> None:
        self.app.reset()
