"""Cold start: ``import function_app`` against ``import azure.functions`` alone, each in
fresh interpreters (the bytecode cache warm, as on a deployed app), medians of both, and
proof that importing and indexing the app opens no socket and reads no storage setting.

The guard replaces ``socket.socket.connect``, ``socket.create_connection`` and
``socket.getaddrinfo`` before the import, in a process whose environment has no storage
setting at all; any call is recorded and refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .stack import median

__all__ = ["measure_cold_start"]

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
socket.create_connection = refuse("create_connection")
socket.getaddrinfo = refuse("getaddrinfo")
import function_app
functions = function_app.app.get_functions()  # what the worker does when it indexes
print(json.dumps({"calls": calls, "functions": len(functions)}))
"""

_STORAGE_SETTINGS = ("SYNC_STORAGE", "AzureWebJobsStorage")


def _environment() -> dict[str, str]:
    """This environment without any storage setting, so a storage call could not work."""
    return {
        k: v
        for k, v in os.environ.items()
        if not any(k.startswith(name) for name in _STORAGE_SETTINGS)
    }


def _run(code: str) -> str:
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_environment(),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if answer.returncode != 0:
        raise RuntimeError(f"the import failed: {answer.stderr[-2000:]}")
    return answer.stdout.strip().splitlines()[-1]


def measure_cold_start(*, runs: int) -> dict[str, Any]:
    """Alternating fresh processes; ratio of the median import times."""
    _run(_TIMED.format(module="function_app"))  # writes the bytecode cache once
    app, bare = [], []
    for _ in range(runs):
        app.append(float(_run(_TIMED.format(module="function_app"))))
        bare.append(float(_run(_TIMED.format(module="azure.functions"))))
    guarded = json.loads(_run(_GUARDED))
    return {
        "runs": runs,
        "function_app_ms": round(median(app) * 1000, 1),
        "azure_functions_ms": round(median(bare) * 1000, 1),
        "ratio": round(median(app) / median(bare), 3),
        "network_calls_at_import": guarded["calls"],
        "functions_indexed": guarded["functions"],
    }
