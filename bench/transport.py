"""Client CPU per Table insert: the SDK left to read the environment on every request
(its default) against the options :mod:`sync_core.adapters.state.connection` builds
(proxy and CA settings read once, ``use_env_settings=False``), alternating run by run.

CPU time of the sending thread (``time.thread_time``), not wall time: what the change
saves is the client's own work, which the machine's load does not inflate the way it
inflates a round trip to Azurite.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from .stack import median

__all__ = ["measure_transport"]


def measure_transport(connection_string: str, *, operations: int, runs: int) -> dict[str, Any]:
    from azure.data.tables import TableServiceClient

    from sync_core.adapters.state.connection import _transport_options

    url = TableServiceClient.from_connection_string(connection_string).url
    cpu: dict[str, list[float]] = {"sdk_default": [], "read_once": []}
    for run in range(runs):
        order = ("sdk_default", "read_once") if run % 2 == 0 else ("read_once", "sdk_default")
        for label in order:
            options = _transport_options(url) if label == "read_once" else {}
            service = TableServiceClient.from_connection_string(connection_string, **options)
            table = service.create_table_if_not_exists("bench" + uuid.uuid4().hex[:10])
            table.create_entity({"PartitionKey": "p", "RowKey": "warm"})
            started = time.thread_time()
            for n in range(operations):
                table.create_entity({"PartitionKey": "p", "RowKey": f"r{n}", "v": "x" * 64})
            cpu[label].append((time.thread_time() - started) * 1000 / operations)
            service.delete_table(table.table_name)
    default, once = median(cpu["sdk_default"]), median(cpu["read_once"])
    return {
        "operations": operations,
        "runs": runs,
        "environment_names_ca_bundle": any(
            os.environ.get(n) for n in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
        ),
        "sdk_default_cpu_ms": round(default, 3),
        "read_once_cpu_ms": round(once, 3),
        "saved_share": round(1 - once / default, 3),
    }
