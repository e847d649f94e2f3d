"""Storage clients from settings, in the Functions identity-connection convention.

One setting prefix (``SYNC_STORAGE``) serves both worlds, exactly as a queue trigger's
``connection="SYNC_STORAGE"`` reads it:

- ``SYNC_STORAGE`` = a connection string (local development, tests against Azurite);
- in Azure, ``SYNC_STORAGE__tableServiceUri`` and ``SYNC_STORAGE__queueServiceUri`` (or
  just ``SYNC_STORAGE__accountName``), plus ``SYNC_STORAGE__clientId`` for a
  user-assigned identity, authenticated by ``DefaultAzureCredential`` (managed identity).

Building clients makes no network call; azure-identity is imported only on the identity
path, so local runs and cold starts do not pay for it.

The environment's proxy and CA-bundle settings are read once, when the clients are built,
and handed to the SDK explicitly; the SDK is then told not to read the environment again
(``use_env_settings=False``). Left to itself, ``requests`` re-reads every ``*_proxy``
variable, ``NO_PROXY``, the CA-bundle variables and ``~/.netrc`` on every request: about a
eighth of a Table operation's client CPU (docs/performance.md). What is read is what
``requests`` itself would use for the client's one storage host: ``HTTP(S)_PROXY`` /
``ALL_PROXY`` unless ``NO_PROXY`` covers the host, then ``REQUESTS_CA_BUNDLE`` or else
``CURL_CA_BUNDLE``. ``~/.netrc`` is deliberately not: its Basic credentials would replace
the storage signature or token on every request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple, TypedDict

from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from .errors import StateConfigurationError

__all__ = ["DEFAULT_PREFIX", "StorageClients", "storage_clients"]

DEFAULT_PREFIX = "SYNC_STORAGE"


class _QueueBackoff(TypedDict):
    """The Queue SDK's retry keywords (``ExponentialRetry``), all whole seconds or counts."""

    initial_backoff: int
    increment_base: int
    random_jitter_range: int


#: Bounds on one storage call, so that a storage outage is a prompt 503 at the webhook (the
#: sender retries) and a failed function (the queue retries), never a request held for
#: minutes: azure-core's own defaults are 300 s per read and, for Tables, 10 retries with
#: backoff. Storage answers in milliseconds; these leave room for a slow moment.
STORAGE_LIMITS: dict[str, int] = {"connection_timeout": 5, "read_timeout": 20, "retry_total": 3}
#: the Queue SDK waits 15 s (± 3) before its first retry, then 15 + 3^n: a webhook whose
#: enqueue hit a busy moment would answer after a minute. 1 s, then 1 + 2^n.
QUEUE_BACKOFF: _QueueBackoff = {
    "initial_backoff": 1, "increment_base": 2, "random_jitter_range": 1,
}  # fmt: skip
#: the CA-bundle variables ``requests`` honours, in its order of precedence
_CA_BUNDLE_SETTINGS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _transport_options(url: str) -> dict[str, Any]:
    """What ``requests`` would take from the environment for requests to ``url`` (one
    storage host per client), read now, and the instruction not to read it again; with
    the bounds of :data:`STORAGE_LIMITS`."""
    from urllib.parse import urlsplit

    from requests.utils import get_environ_proxies  # honours NO_PROXY for this host

    options: dict[str, Any] = {**STORAGE_LIMITS, "use_env_settings": False}
    bundle = next((os.environ[n] for n in _CA_BUNDLE_SETTINGS if os.environ.get(n)), None)
    if bundle:
        options["connection_verify"] = bundle
    scheme = urlsplit(url).scheme
    found = get_environ_proxies(url)
    proxy = found.get(scheme) or found.get("all")
    if proxy:
        options["proxies"] = {scheme: proxy}
    return options


class StorageClients(NamedTuple):
    tables: TableServiceClient
    queues: QueueServiceClient


def storage_clients(settings: Mapping[str, str], prefix: str = DEFAULT_PREFIX) -> StorageClients:
    """Table and Queue service clients for the settings under ``prefix``."""
    connection = (settings.get(prefix) or "").strip()
    if connection:
        try:
            # built once to learn each endpoint (no network), then with its options
            table_url = TableServiceClient.from_connection_string(connection).url
            queue_url = QueueServiceClient.from_connection_string(connection).url
            return StorageClients(
                TableServiceClient.from_connection_string(
                    connection, **_transport_options(table_url)
                ),
                QueueServiceClient.from_connection_string(
                    connection, **_transport_options(queue_url), **QUEUE_BACKOFF
                ),
            )
        except ValueError:
            # The SDK's message could echo the string, account key included.
            raise StateConfigurationError(f"{prefix} is not a valid connection string") from None
    table_uri, queue_uri = _service_uris(settings, prefix)
    from azure.identity import DefaultAzureCredential  # only the Azure path needs it

    client_id = (settings.get(f"{prefix}__clientId") or "").strip() or None
    credential = DefaultAzureCredential(managed_identity_client_id=client_id)
    return StorageClients(
        TableServiceClient(
            endpoint=table_uri, credential=credential, **_transport_options(table_uri)
        ),
        QueueServiceClient(
            account_url=queue_uri,
            credential=credential,
            **_transport_options(queue_uri),
            **QUEUE_BACKOFF,
        ),
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
