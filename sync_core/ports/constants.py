"""Names and limits the service and the adapters must agree on.

Queue names are the Functions host's bindings too (``function_app.py``), so they live in
one place; the limits are the real services' (sources named beside each).
"""

from __future__ import annotations

__all__ = [
    "INBOUND_QUEUE",
    "MAX_BATCH_IDS",
    "MAX_MESSAGE_BYTES",
    "OUTBOUND_QUEUE",
    "POISON_SUFFIX",
    "RECONCILE_QUEUE",
]

#: Conviso events become Boards writes here.
OUTBOUND_QUEUE = "conviso-to-boards"
#: Boards service-hook events become Conviso status changes here.
INBOUND_QUEUE = "boards-to-conviso"
#: Reconcile and backfill runs asked for over HTTP with ``Prefer: respond-async``: a long
#: backfill outlives the 230 s an HTTP answer may take in Azure, a queue trigger does not.
RECONCILE_QUEUE = "reconcile-runs"
#: The Functions host moves a message failing 5 times to ``<queue>-poison``.
POISON_SUFFIX = "-poison"
#: Azure Storage Queues: a message is at most 64 KiB.
MAX_MESSAGE_BYTES = 64 * 1024
#: Azure DevOps: "Maximum 200 ids" per GET workitems / POST workitemsbatch.
MAX_BATCH_IDS = 200
