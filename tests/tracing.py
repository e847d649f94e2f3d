"""The coverage tracer off where no product code runs: libraries, servers, data generation.

``make test`` measures the line coverage of ``sync_core`` (``[tool.coverage.run] source``).
On Python 3.11 a thread with a trace function runs *every* frame in the interpreter's
tracing mode, whatever file it belongs to, so the Azure SDKs, requests, urllib3, httpx,
werkzeug, the emulators and Hypothesis ran at about half speed. Measured on the end-to-end,
reliability and reconcile tests (user CPU, one run each, back to back): 115 s with the tracer
everywhere, 70 s without coverage, 57 s with this plugin.

Below the calls wrapped :func:`untraced` here no ``sync_core`` code runs — the app passes
the SDKs no policy, hook or callback, and httpx calls nothing of it back; Hypothesis'
strategies make JSON documents from the models' schemas (one signs with
``sync_core.edge.sign_conviso``, which the tests that call it directly cover) — so
coverage's tracer is suspended there, for the calling thread only, and resumed on the way
out. A werkzeug request thread (an emulator's, or the development host's) runs untraced
until the host calls a function of the app (:func:`traced`). ``sync_core``'s covered lines
were compared with and without this plugin, line by line: nothing covered without it is
missing with it (a few lines that only some interleavings reach differ from run to run).

Only coverage.py's tracer is suspended: a debugger's trace function is left alone.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import azure.core.paging
import azure.core.pipeline
import httpx
import requests.adapters
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.queue import QueueClient, QueueServiceClient
from hypothesis.internal.conjecture.data import ConjectureData
from werkzeug.serving import WSGIRequestHandler

from localdev.devhost.invoke import Invoker

F = TypeVar("F", bound=Callable[..., Any])

#: per thread: the tracer an :func:`untraced` call suspended, for :func:`traced` below it
_suspended = threading.local()


def _coverage_tracer() -> Any:
    tracer = sys.gettrace()
    return tracer if type(tracer).__module__.startswith("coverage") else None


def untraced(function: F) -> F:
    """``function`` with coverage's tracer suspended in this thread while it runs."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        tracer = _coverage_tracer()
        if tracer is None:
            return function(*args, **kwargs)
        outer = getattr(_suspended, "tracer", None)
        _suspended.tracer = tracer
        sys.settrace(None)
        try:
            return function(*args, **kwargs)
        finally:
            sys.settrace(tracer)  # coverage's CTracer takes this form back (settrace(gettrace()))
            _suspended.tracer = outer

    return call  # type: ignore[return-value]


def traced(function: F) -> F:
    """``function`` traced again when an :func:`untraced` caller in this thread suspended
    the tracer: the development host's request thread, once it calls the app."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        tracer = getattr(_suspended, "tracer", None)
        if tracer is None or sys.gettrace() is not None:
            return function(*args, **kwargs)
        _suspended.tracer = None
        sys.settrace(tracer)
        try:
            return function(*args, **kwargs)
        finally:
            sys.settrace(None)
            _suspended.tracer = tracer

    return call  # type: ignore[return-value]


def _untrace_methods(cls: type) -> None:
    """Every public method of an SDK client: its serialization and pipeline run untraced."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, untraced(member))


def install() -> None:
    """Wrap the HTTP stacks' lowest calls, werkzeug's request handling and the development
    host's call into the app, once per process."""
    if getattr(install, "done", False):
        return
    pipeline = azure.core.pipeline.Pipeline
    pipeline.run = untraced(pipeline.run)  # type: ignore[method-assign]
    adapter = requests.adapters.HTTPAdapter
    adapter.send = untraced(adapter.send)  # type: ignore[method-assign]
    transport = httpx.HTTPTransport
    transport.handle_request = untraced(transport.handle_request)  # type: ignore[method-assign]
    WSGIRequestHandler.handle = untraced(WSGIRequestHandler.handle)  # type: ignore[method-assign]
    Invoker.call = traced(Invoker.call)  # type: ignore[method-assign]
    for client in (TableClient, TableServiceClient, QueueClient, QueueServiceClient):
        _untrace_methods(client)
    for paged in (azure.core.paging.ItemPaged, azure.core.paging.PageIterator):
        paged.__next__ = untraced(paged.__next__)  # type: ignore[method-assign]
    ConjectureData.draw = untraced(ConjectureData.draw)  # type: ignore[method-assign]
    install.done = True  # type: ignore[attr-defined]
