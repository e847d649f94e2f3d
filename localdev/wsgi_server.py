"""A threaded WSGI server on 127.0.0.1 for the development host and the emulators."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[..., Any]


class ServerThread:
    """Serve ``app`` on 127.0.0.1 (port 0 = a free one) until ``stop()``."""

    def __init__(self, app: WSGIApp, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"wsgi-{self.port}", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
