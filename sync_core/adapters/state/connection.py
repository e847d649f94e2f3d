"""Storage clients from settings, in the Functions identity-connection convention.

One setting prefix (``SYNC_STORAGE``) serves both worlds, exactly as a queue trigger's
``connection="SYNC_STORAGE"`` reads it:

- ``SYNC_STORAGE`` = a connection string (local development, tests against Azurite);
- in Azure, ``SYNC_STORAGE__tableServiceUri`` and ``SYNC_STORAGE__queueServiceUri`` (or
  just ``SYNC_STORAGE__accountName``), plus ``SYNC_STORAGE__clientId`` for a
  user-assigned identity, authenticated by ``DefaultAzureCredential`` (managed identity).

Building clients makes no network call; azure-identity is imported only on the identity
path, so local runs and cold starts do not pay for it.

When the environment names no proxy and no CA bundle, the clients do not look there on
every request: ``requests`` would otherwise re-read proxies, ``NO_PROXY`` and ``~/.netrc``
per call, about a fifth of a Table operation's CPU (docs/performance.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from .errors import StateConfigurationError

__all__ = ["DEFAULT_PREFIX", "StorageClients", "storage_clients"]

DEFAULT_PREFIX = "SYNC_STORAGE"
#: what ``requests`` reads from the environment when it trusts it (besides ``~/.netrc``)
_ENVIRONMENT_SETTINGS = (
    "http_proxy", "https_proxy", "all_proxy", "no_proxy",
    "requests_ca_bundle", "curl_ca_bundle",
)  # fmt: skip


def _transport_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Skip the per-request environment look-ups, unless there is something to find."""
    names = {name.lower() for name in (os.environ if environ is None else environ)}
    return {} if names & set(_ENVIRONMENT_SETTINGS) else {"use_env_settings": False}


class StorageClients(NamedTuple):
    tables: TableServiceClient
    queues: QueueServiceClient


def storage_clients(settings: Mapping[str, str], prefix: str = DEFAULT_PREFIX) -> StorageClients:
    """Table and Queue service clients for the settings under ``prefix``."""
    connection = (settings.get(prefix) or "").strip()
    options = _transport_options()
    if connection:
        try:
            return StorageClients(
                TableServiceClient.from_connection_string(connection, **options),
                QueueServiceClient.from_connection_string(connection, **options),
            )
        except ValueError:
            # The SDK's message could echo the string, account key included.
            raise StateConfigurationError(f"{prefix} is not a valid connection string") from None
    table_uri, queue_uri = _service_uris(settings, prefix)
    from azure.identity import DefaultAzureCredential  # only the Azure path needs it

    client_id = (settings.get(f"{prefix}__clientId") or "").strip() or None
    credential = DefaultAzureCredential(managed_identity_client_id=client_id)
    return StorageClients(
        TableServiceClient(endpoint=table_uri, credential=credential, **options),
        QueueServiceClient(account_url=queue_uri, credential=credential, **options),
    )


def _service_uris(settings: Mapping[str, str], prefix: str) -> tuple[str, str]:
    table_uri = (settings.get(f"{prefix}__tableServiceUri") or "").strip()
    queue_uri = (settings.get(f"{prefix}__queueServiceUri") or "").strip()
    account = (settings.get(f"{prefix}__accountName") or "").strip()
    if account and not (table_uri or queue_uri):
        table_uri = f"https://{account}.table.core.windows.net"
        queue_uri = f"https://{account}.queue.core.windows.net"
    if not (table_uri and queue_uri):
        raise StateConfigurationError(
            f"storage is not configured: set {prefix} (a connection string) or "
            f"{prefix}__tableServiceUri and {prefix}__queueServiceUri (managed identity)"
        )
    for name, uri in (("tableServiceUri", table_uri), ("queueServiceUri", queue_uri)):
        if not uri.startswith("https://"):
            raise StateConfigurationError(
                f"{prefix}__{name} must be an https:// URL (identity credentials need HTTPS)"
            )
    return table_uri, queue_uri
