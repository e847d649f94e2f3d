"""A threaded WSGI server on 127.0.0.1 for the development host and the emulators."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[..., Any]


class ServerThread:
    """Serve ``app`` on 127.0.0.1 (port 0 = a free one) until ``stop()``."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context`` serves HTTPS (the Entra ID emulator: MSAL accepts only https)."""
        self._scheme = "https" if ssl_context is not None else "http"
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, ssl_context=ssl_context
        )
        self._thread = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.05),
            name=f"wsgi-{self.port}",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
