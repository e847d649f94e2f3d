"""Calling user functions the way the Python worker does.

Sync functions run in the calling thread (the worker uses a thread pool); coroutine
functions all run on one event loop owned by the host, so an ``httpx.AsyncClient`` cached
by the app keeps working across invocations, as it does in Azure.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Bindings a function may have besides its trigger: only the HTTP return value.
_SUPPORTED_EXTRA_BINDINGS = {"http"}


@dataclass(frozen=True)
class InvocationContext:
    """The parts of ``func.Context`` functions read; passed when one asks for ``context``."""

    function_name: str
    function_directory: str
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class Invoker:
    """Runs one function call; owns the shared event loop for coroutine functions."""

    def __init__(self, function_directory: str) -> None:
        self._directory = function_directory
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="devhost-asyncio", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()

    def call(self, function: Any, trigger_value: Any) -> Any:
        """Call ``function`` (an ``azure.functions`` Function) with its trigger argument."""
        user_function: Callable[..., Any] = function.get_user_function()
        kwargs = {function.get_trigger().name: trigger_value}
        if "context" in inspect.signature(user_function).parameters:
            kwargs["context"] = InvocationContext(function.get_function_name(), self._directory)
        result = user_function(**kwargs)
        if inspect.isawaitable(result):
            return asyncio.run_coroutine_threadsafe(_await(result), self._loop).result()
        return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def unsupported_bindings(function: Any) -> list[str]:
    """Binding types the development host cannot provide (it has no binding extensions)."""
    trigger = function.get_trigger()
    return [
        binding.type
        for binding in function.get_bindings()
        if binding is not trigger and binding.type not in _SUPPORTED_EXTRA_BINDINGS
    ]
