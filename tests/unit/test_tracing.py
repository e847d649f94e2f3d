"""tests/tracing.py: coverage's tracer is off inside an untraced call and back after it, on
inside a traced call below it, and a tracer that is not coverage's is never touched."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from tests.tracing import traced, untraced


class _Tracer:
    """A trace function that records nothing and keeps itself installed."""

    def __call__(self, frame: Any, event: str, arg: Any) -> Any:
        return None


class CoverageLike(_Tracer):
    pass


CoverageLike.__module__ = "coverage.tracer"  # what tests/tracing.py recognises


def _in_thread(tracer: Any, body: Callable[[], Any]) -> Any:
    """Run ``body`` in a new thread under ``tracer`` only (the session's tracer, if any, is
    put back in that thread before it ends)."""
    result: list[Any] = []

    def run() -> None:
        saved = sys.gettrace()
        sys.settrace(tracer)
        try:
            result.append(body())
        finally:
            sys.settrace(saved)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=10)
    return result[0]


def test_an_untraced_call_runs_without_the_tracer_and_gives_it_back() -> None:
    tracer = CoverageLike()
    seen = _in_thread(tracer, lambda: (untraced(sys.gettrace)(), sys.gettrace()))
    assert seen == (None, tracer)


def test_a_traced_call_below_an_untraced_one_has_the_tracer_again() -> None:
    tracer = CoverageLike()

    def app() -> Any:
        return sys.gettrace()

    def server() -> tuple[Any, Any, Any]:
        return sys.gettrace(), traced(app)(), sys.gettrace()

    seen = _in_thread(tracer, lambda: (untraced(server)(), sys.gettrace()))
    assert seen == ((None, tracer, None), tracer)


def test_a_traced_call_in_a_traced_thread_changes_nothing() -> None:
    tracer = CoverageLike()
    assert _in_thread(tracer, traced(sys.gettrace)) is tracer


def test_a_debuggers_trace_function_is_left_alone() -> None:
    debugger = _Tracer()
    assert _in_thread(debugger, untraced(sys.gettrace)) is debugger


def test_an_exception_still_gives_the_tracer_back() -> None:
    tracer = CoverageLike()

    def fails() -> None:
        raise ValueError("boom")

    def body() -> Any:
        try:
            untraced(fails)()
        except ValueError:
            return sys.gettrace()
        return "no exception"

    assert _in_thread(tracer, body) is tracer
