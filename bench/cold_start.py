"""Cold start: ``import function_app`` against ``import azure.functions`` alone, each in
fresh interpreters (the bytecode cache warm, as on a deployed app), medians of both, and
proof that importing and indexing the app opens no socket and reads no storage setting.

The guard replaces ``socket.socket.connect``, ``connect_ex``, ``socket.create_connection``
and ``socket.getaddrinfo`` before the import; any call is recorded and refused. The
storage settings the app reads (``SYNC_STORAGE``, ``AzureWebJobsStorage``) are set, and
point at a closed port on 127.0.0.1, so a storage call at import would reach the guard
instead of failing quietly for want of a setting; and after indexing, the composition
root must still be unbuilt (``bootstrap._context is None``: no store, no SDK client).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .stack import median

__all__ = ["guarded_import", "measure_cold_start"]

ROOT = Path(__file__).resolve().parent.parent

_TIMED = """
import time
started = time.perf_counter()
import {module}
print(time.perf_counter() - started)
"""

_GUARDED = """
import json, socket
calls = []
def refuse(name):
    def call(*args, **kwargs):
        calls.append(name)
        raise OSError("network is not allowed at import: " + name)
    return call
socket.socket.connect = refuse("connect")
socket.socket.connect_ex = refuse("connect_ex")
socket.create_connection = refuse("create_connection")
socket.getaddrinfo = refuse("getaddrinfo")
import function_app
functions = function_app.app.get_functions()  # what the worker does when it indexes
{then}
import sys
bootstrap = sys.modules.get("sync_core.bootstrap")
built = bootstrap is not None and bootstrap._context is not None
print(json.dumps({"calls": calls, "functions": len(functions), "context_built": built}))
"""

_STORAGE_SETTINGS = ("SYNC_STORAGE", "AzureWebJobsStorage")
#: the development storage account's well-known key, at an address where nothing listens
_UNREACHABLE_STORAGE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
    "KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    "QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;"
)


def _environment(*, guarded: bool) -> dict[str, str]:
    """This environment; storage settings removed for the timed imports (so both sides
    start alike) and aimed at a closed port for the guarded one (so a call would be seen)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not any(k.startswith(name) for name in _STORAGE_SETTINGS)
    }
    if guarded:
        env.update(dict.fromkeys(_STORAGE_SETTINGS, _UNREACHABLE_STORAGE))
    return env


def _run(code: str, *, guarded: bool = False) -> str:
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_environment(guarded=guarded),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if answer.returncode != 0:
        raise RuntimeError(f"the import failed: {answer.stderr[-2000:]}")
    return answer.stdout.strip().splitlines()[-1]


def guarded_import(then: str = "") -> dict[str, Any]:
    """Import and index the app under the guard; ``then`` is code run afterwards, still
    under it (the smoke test passes a storage call, to show the guard would see one)."""
    return json.loads(_run(_GUARDED.replace("{then}", then), guarded=True))


def measure_cold_start(*, runs: int) -> dict[str, Any]:
    """Alternating fresh processes; ratio of the median import times."""
    _run(_TIMED.format(module="function_app"))  # writes the bytecode cache once
    app, bare = [], []
    for _ in range(runs):
        app.append(float(_run(_TIMED.format(module="function_app"))))
        bare.append(float(_run(_TIMED.format(module="azure.functions"))))
    guarded = guarded_import()
    return {
        "runs": runs,
        "function_app_ms": round(median(app) * 1000, 1),
        "azure_functions_ms": round(median(bare) * 1000, 1),
        "ratio": round(median(app) / median(bare), 3),
        "network_calls_at_import": guarded["calls"],
        "context_built_at_import": guarded["context_built"],
        "functions_indexed": guarded["functions"],
    }
