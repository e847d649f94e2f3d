"""``DevHost``: runs a ``func.FunctionApp``'s HTTP, queue and timer triggers without Core Tools.

Never imported by deployed code. ``app.get_functions()`` is called once per app object (it is
not idempotent: a second call raises), so several hosts may run the same app one after another.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import azure.functions as func
from werkzeug.wrappers import Request, Response

from localdev.devhost.http import HttpFunctions, error_response
from localdev.devhost.invoke import Invoker, unsupported_bindings
from localdev.devhost.queues import SENDS, QueueWorker
from localdev.devhost.settings import (
    ROOT,
    DevHostError,
    HostSettings,
    resolve_setting_refs,
    storage_connection_string,
)
from localdev.devhost.timers import TimerFunction
from localdev.wsgi_server import ServerThread

logger = logging.getLogger("localdev.devhost")

DEFAULT_PORT = 7071
QUEUE_LEASE_SECONDS = 60.0
_JOIN_TIMEOUT = 10.0
_ADMIN_PREFIX = "/admin/functions/"
_FUNCTIONS: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


def load_app(spec: str = "function_app:app") -> func.FunctionApp:
    """Import ``module:attribute`` (by default the deployed app) and return the FunctionApp."""
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute or "app")


def functions_of(app: func.FunctionApp) -> list[Any]:
    """``app.get_functions()``, called once per app object and remembered."""
    if app not in _FUNCTIONS:
        _FUNCTIONS[app] = list(app.get_functions())
    return _FUNCTIONS[app]


class DevHost:
    """HTTP on 127.0.0.1 (``port`` 0 = a free one), queue pumps and timers for one app.

    ``environ`` (default ``os.environ``) resolves ``%SETTING%`` names and connections;
    ``concurrency`` is the worker threads per queue function; ``visibility_timeout`` and
    ``poll_interval`` (seconds) override host.json's ``visibilityTimeout`` and
    ``maxPollingInterval``; ``http``/``queues``/``timers`` switch each part off.
    A host is single-use: after ``stop()`` build a new one (the app's functions are cached).
    """

    def __init__(
        self,
        app: func.FunctionApp | None = None,
        *,
        port: int = DEFAULT_PORT,
        host_settings: HostSettings | None = None,
        environ: Mapping[str, str] | None = None,
        http: bool = True,
        queues: bool = True,
        timers: bool = True,
        concurrency: int = 1,
        visibility_timeout: float | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self.app = app if app is not None else load_app()
        self.settings = host_settings or HostSettings.from_host_json()
        self._environ = os.environ if environ is None else environ
        self._port = port
        self._enabled = {"http": http, "queues": queues, "timers": timers}
        self._concurrency = concurrency
        self._visibility_timeout = (
            self.settings.visibility_timeout if visibility_timeout is None else visibility_timeout
        )
        self._poll_interval = (
            self.settings.max_polling_interval if poll_interval is None else poll_interval
        )
        self._invoker = Invoker(str(ROOT))
        self._stopping = threading.Event()
        self._server: ServerThread | None = None
        self._workers: list[QueueWorker] = []
        self._started = False
        self._sort(functions_of(self.app))

    def _sort(self, functions: list[Any]) -> None:
        """Group functions by trigger; refuse what the dev host cannot run, before starting."""
        http, self._queue_functions, self.timers = [], [], {}
        for function in functions:
            name, trigger = function.get_function_name(), function.get_trigger()
            if unsupported := unsupported_bindings(function):
                raise DevHostError(f"function {name}: bindings {unsupported} are not supported")
            if trigger.type == "httpTrigger":
                http.append(function)
            elif trigger.type == "queueTrigger":
                self._queue_functions.append(function)
            elif trigger.type == "timerTrigger":
                schedule = resolve_setting_refs(trigger.schedule, self._environ)
                self.timers[name] = TimerFunction(function, schedule, invoker=self._invoker)
            else:
                raise DevHostError(f"function {name}: trigger {trigger.type} is not supported")
        self._http = HttpFunctions(
            http, route_prefix=self.settings.route_prefix, invoker=self._invoker
        )

    @property
    def port(self) -> int:
        if self._server is None:
            raise DevHostError("the HTTP server is not running")
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DevHost:
        if self._started:
            return self
        self._started = True
        self._invoker.start()
        try:
            if self._enabled["queues"]:
                self._start_queues()
            if self._enabled["timers"]:
                for timer in self.timers.values():
                    timer.start(self._stopping)
            if self._enabled["http"]:
                self._server = ServerThread(self._wsgi, port=self._port).start()
        except Exception:
            self.stop()
            raise
        return self

    def _start_queues(self) -> None:
        for function in self._queue_functions:
            trigger = function.get_trigger()
            connection = storage_connection_string(trigger.connection, self._environ)
            queue_name = resolve_setting_refs(trigger.queue_name, self._environ)
            workers = [
                QueueWorker(
                    function, connection_string=connection, queue_name=queue_name,
                    invoker=self._invoker, max_dequeue_count=self.settings.max_dequeue_count,
                    visibility_timeout=self._visibility_timeout, poll_interval=self._poll_interval,
                    base64_bodies=self.settings.message_encoding == "base64",
                    lease=QUEUE_LEASE_SECONDS, stopping=self._stopping, index=index,
                )
                for index in range(self._concurrency)
            ]
            workers[0].create_queue()
            self._workers += workers
            for worker in workers:
                worker.thread.start()
            SENDS.listen(workers[0].url, workers)

    def stop(self) -> None:
        """Stop serving, let running invocations finish, join every thread."""
        self._stopping.set()
        SENDS.forget(self._workers)
        for worker in self._workers:
            worker.poke()  # an idle pump stops now, not after its back-off
        if self._server is not None:
            self._server.stop()
            self._server = None
        threads = [w.thread for w in self._workers]
        threads += [t.thread for t in self.timers.values() if t.thread is not None]
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=_JOIN_TIMEOUT)
            if thread.is_alive():
                logger.warning("thread %s did not stop in %s s", thread.name, _JOIN_TIMEOUT)
        self._invoker.stop()

    def __enter__(self) -> DevHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run_timer(self, name: str, *, past_due: bool = False) -> Any:
        """Run a timer function now (in this thread); its exception, if any, propagates."""
        if not self._started:
            raise DevHostError("start() the host before running a timer")
        if name not in self.timers:
            raise DevHostError(f"no timer function named {name!r}")
        return self.timers[name].run(past_due=past_due)

    def describe(self) -> list[str]:
        """One line per function: what triggers it (for the startup banner)."""
        lines = [f"http  {route}" for route in self._http.routes()]
        for function in self._queue_functions:
            trigger = function.get_trigger()
            lines.append(
                f"queue {trigger.queue_name} ({trigger.connection or 'AzureWebJobsStorage'})"
                f" -> {function.get_function_name()} x{self._concurrency}"
            )
        lines += [f"timer {t.name} [{t.expression}]" for t in self.timers.values()]
        return lines

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The functions' routes, plus the host's ``POST /admin/functions/{name}`` for timers."""
        path = environ.get("PATH_INFO", "")
        if not path.startswith(_ADMIN_PREFIX):
            return self._http(environ, start_response)
        return self._admin(Request(environ), path[len(_ADMIN_PREFIX):])(environ, start_response)

    def _admin(self, request: Request, name: str) -> Response:
        if request.method != "POST":
            return error_response(405, "method_not_allowed", "use POST", Allow="POST")
        if name not in self.timers:
            return error_response(404, "not_found", f"no timer function named {name!r}")
        try:
            self.timers[name].run()
        except Exception:
            logger.exception("timer function %s failed", name)
        return Response(status=202)
