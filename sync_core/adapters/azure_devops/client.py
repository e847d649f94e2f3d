"""The Azure DevOps REST client of one organization (api-version 7.1, httpx, no SDK).

Each method is one documented operation (the contract tests check every request against
the official spec) and returns typed values; limits and errors are handled once, in
``transport.Requester``. The client holds no state besides its connection pool and
pacing, so one instance per organization serves every integration thread.

The operations are grouped by what they reach, one module each (``discovery``,
``work_items``, ``hooks``), on the shared plumbing of ``rest``; this class joins them, so
callers keep one client per organization.
"""

from __future__ import annotations

from sync_core.ports.constants import MAX_BATCH_IDS

from .discovery import Discovery
from .hooks import ServiceHooks
from .rest import API_VERSION, BASE_URL_SETTING, DEFAULT_BASE_URL
from .work_items import WorkItems

__all__ = [
    "API_VERSION",
    "BASE_URL_SETTING",
    "DEFAULT_BASE_URL",
    "MAX_BATCH_IDS",
    "AzureDevOpsClient",
]


class AzureDevOpsClient(Discovery, WorkItems, ServiceHooks):
    """Talks to one Azure DevOps organization on behalf of one set of credentials."""

    def __enter__(self) -> AzureDevOpsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
