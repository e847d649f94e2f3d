"""Settings choose the storage clients: a connection string locally, identity in Azure.

The identity branch cannot talk to plain-HTTP Azurite (token credentials need HTTPS), so
these tests only look at the clients built; constructing them calls nothing.
"""

from __future__ import annotations

import json
import socket
import threading

import pytest
from azure.core.exceptions import ServiceResponseError
from cryptography.fernet import Fernet

from sync_core.adapters.state import (
    StateConfigurationError,
    connection,
    state_from_settings,
    storage_clients,
)
from sync_core.adapters.state.counting import OperationCounts
from sync_core.adapters.state.table import Table
from sync_core.answers import guarded

#: Azurite's published development account key (not a secret)
_AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

AZURE = {
    "SYNC_STORAGE__tableServiceUri": "https://acct.table.core.windows.net",
    "SYNC_STORAGE__queueServiceUri": "https://acct.queue.core.windows.net",
}


def test_connection_string_builds_clients_on_its_endpoints(storage_connection_string: str) -> None:
    clients = storage_clients({"SYNC_STORAGE": storage_connection_string})
    assert clients.tables.url.startswith("http://127.0.0.1:")
    assert clients.queues.url.startswith("http://127.0.0.1:")
    assert clients.tables.credential.named_key.name == "devstoreaccount1"


def test_identity_settings_use_the_service_uris_and_default_credential() -> None:
    from azure.identity import DefaultAzureCredential

    clients = storage_clients({**AZURE, "SYNC_STORAGE__clientId": "1111-uami"})
    assert clients.tables.url.startswith("https://acct.table.core.windows.net")
    assert clients.queues.url.startswith("https://acct.queue.core.windows.net")
    assert isinstance(clients.tables.credential, DefaultAzureCredential)
    assert clients.queues.credential is clients.tables.credential


def test_account_name_alone_derives_the_public_endpoints() -> None:
    clients = storage_clients({"SYNC_STORAGE__accountName": "acct"})
    assert clients.tables.url.startswith("https://acct.table.core.windows.net")


def test_connection_string_wins_over_identity_settings(storage_connection_string: str) -> None:
    clients = storage_clients({"SYNC_STORAGE": storage_connection_string, **AZURE})
    assert clients.tables.url.startswith("http://127.0.0.1:")


def test_no_storage_setting_names_what_to_set() -> None:
    with pytest.raises(StateConfigurationError, match="SYNC_STORAGE__tableServiceUri"):
        storage_clients({})


def test_plain_http_service_uri_is_refused_clearly() -> None:
    with pytest.raises(StateConfigurationError, match="https"):
        storage_clients({**AZURE, "SYNC_STORAGE__tableServiceUri": "http://acct.table"})


def test_bad_connection_string_does_not_echo_it() -> None:
    bad = "AccountKey=hunter2-secret;nonsense"
    with pytest.raises(StateConfigurationError) as caught:
        storage_clients({"SYNC_STORAGE": bad})
    assert "hunter2" not in str(caught.value)


def test_state_from_settings_makes_no_call_and_needs_the_secrets_key() -> None:
    settings = {**AZURE, "SECRETS_KEY": Fernet.generate_key().decode()}
    state = state_from_settings(settings)  # unreachable host: any call would fail
    assert state.operation_counts.table_total == 0
    with pytest.raises(StateConfigurationError, match="SECRETS_KEY"):
        state_from_settings(AZURE)


class _SilentStorage:
    """A TCP server on 127.0.0.1 that reads each request and never answers: storage hung."""

    def __init__(self) -> None:
        self.requests = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._held.append(conn)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.requests += 1

    def close(self) -> None:
        self._server.close()
        for conn in self._held:
            conn.close()


def test_a_hung_storage_call_fails_within_its_bounds_and_answers_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the production bounds (20 s per read, 3 retries), shrunk to keep the test short
    monkeypatch.setitem(connection.STORAGE_LIMITS, "read_timeout", 0.3)
    monkeypatch.setitem(connection.STORAGE_LIMITS, "retry_total", 1)
    monkeypatch.setitem(connection.QUEUE_BACKOFF, "initial_backoff", 0)
    monkeypatch.setitem(connection.QUEUE_BACKOFF, "random_jitter_range", 0)
    silent = _SilentStorage()
    try:
        conn = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={_AZURITE_KEY};"
            f"TableEndpoint=http://127.0.0.1:{silent.port}/devstoreaccount1;"
            f"QueueEndpoint=http://127.0.0.1:{silent.port}/devstoreaccount1;"
        )
        tables, queues = storage_clients({"SYNC_STORAGE": conn})

        events = Table(tables.get_table_client("events"), OperationCounts())

        def webhook(req: object) -> object:  # an insert through the adapter (R9's first_time)
            events.insert({"PartitionKey": "p", "RowKey": "r"})
            return None

        answer = guarded(webhook)(None)  # type: ignore[arg-type]
        assert answer.status_code == 503
        assert json.loads(answer.get_body())["error"]["code"] == "unavailable"
        assert silent.requests == 1  # an insert may have landed: the SDK does not repeat it
        with pytest.raises(ServiceResponseError):
            tables.get_table_client("links").get_entity("p", "r")
        assert silent.requests == 3  # a read is repeated: once (the shrunk retry_total)
        with pytest.raises(ServiceResponseError):
            queues.get_queue_client("work").peek_messages()
        assert silent.requests == 5
    finally:
        silent.close()
