"""Storage's own failures become the one error tree at the adapter boundary (issue 19): the
service sorts them with ``except StateError`` and never names an azure-core class.

Real SDK clients, real HTTP: a port nobody listens on (storage down), Azurite with a wrong
account key (storage refusing the app's credentials), Azurite itself (a poison queue not
created yet)."""

from __future__ import annotations

import uuid

import pytest
from azure.data.tables import TableClient
from azure.storage.queue import QueueServiceClient

from localdev.azurite import Azurite, connection_string, free_port
from sync_core.adapters.state.counting import OperationCounts
from sync_core.adapters.state.queues import QueueGateway
from sync_core.adapters.state.table import Table
from sync_core.ports import StateConfigurationError, StateError, StorageUnavailable

WRONG_KEY = "d3Jvbmcta2V5LW5vdC1henVyaXRlcy1kZXZzdG9yZWFjY291bnQxLXdlbGwta25vd24ta2V5LWF0LWFsbC0="


def _table(conn: str) -> Table:
    name = "t" + uuid.uuid4().hex[:12]
    return Table(TableClient.from_connection_string(conn, name, retry_total=0), OperationCounts())


def _queues(conn: str) -> QueueGateway:
    return QueueGateway(QueueServiceClient.from_connection_string(conn, retry_total=0))


@pytest.fixture
def down() -> str:
    """A connection string to a storage account nobody serves (every port closed)."""
    return connection_string(free_port(), free_port(), free_port())


def test_every_table_call_to_storage_that_is_down_is_storage_unavailable(down: str) -> None:
    table = _table(down)
    calls = {
        "get": lambda: table.get("p", "r"),
        "insert": lambda: table.insert({"PartitionKey": "p", "RowKey": "r"}),
        "replace": lambda: table.replace({"PartitionKey": "p", "RowKey": "r"}, 'W/"x"'),
        "upsert": lambda: table.upsert({"PartitionKey": "p", "RowKey": "r"}),
        "delete": lambda: table.delete("p", "r"),
        "query": lambda: list(table.query("PartitionKey eq @p", {"p": "p"})),
        "transact": lambda: table.transact([("upsert", {"PartitionKey": "p", "RowKey": "r"})]),
        "ensure": table.ensure,
    }
    for name, call in calls.items():
        with pytest.raises(StorageUnavailable, match="storage did not answer") as caught:
            call()
        assert isinstance(caught.value, StateError), name


def test_queue_calls_to_storage_that_is_down_are_storage_unavailable(down: str) -> None:
    queues = _queues(down)
    with pytest.raises(StorageUnavailable):
        queues.send("conviso-to-boards", {"integration_id": "it-1"})
    with pytest.raises(StorageUnavailable):
        queues.peek_poison("conviso-to-boards")
    with pytest.raises(StorageUnavailable):
        queues.replay_poison("conviso-to-boards")


def test_storage_refusing_the_credentials_is_a_configuration_error(azurite: Azurite) -> None:
    wrong = azurite.connection_string.replace(
        azurite.connection_string.split("AccountKey=")[1].split(";")[0], WRONG_KEY
    )
    with pytest.raises(StateConfigurationError, match="refused the app's credentials"):
        _table(wrong).get("p", "r")
    with pytest.raises(StateConfigurationError, match="refused the app's credentials"):
        _queues(wrong).send("conviso-to-boards", {"integration_id": "it-1"})


def test_a_poison_queue_not_created_yet_holds_nothing(azurite: Azurite) -> None:
    assert _queues(azurite.connection_string).peek_poison("q" + uuid.uuid4().hex[:12]) == []
