"""Settings choose the storage clients: a connection string locally, identity in Azure.

The identity branch cannot talk to plain-HTTP Azurite (token credentials need HTTPS), so
these tests only look at the clients built; constructing them calls nothing.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from sync_core.adapters.state import (
    StateConfigurationError,
    state_from_settings,
    storage_clients,
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
