"""Azurite is real Table Storage: a round trip, and an ETag guard that refuses a stale write."""

from __future__ import annotations

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError
from azure.data.tables import TableServiceClient, UpdateMode

pytestmark = pytest.mark.azurite


def test_entity_round_trip(storage_connection_string: str, unique_name: str) -> None:
    table = TableServiceClient.from_connection_string(storage_connection_string).create_table(
        unique_name
    )
    table.create_entity({"PartitionKey": "integration-1", "RowKey": "link-123", "workItemId": 42})
    got = table.get_entity("integration-1", "link-123")
    assert got["workItemId"] == 42
    assert got.metadata["etag"]


def test_update_with_stale_etag_is_refused(
    storage_connection_string: str, unique_name: str
) -> None:
    table = TableServiceClient.from_connection_string(storage_connection_string).create_table(
        unique_name
    )
    table.create_entity({"PartitionKey": "p", "RowKey": "r", "rev": 1})
    first = table.get_entity("p", "r")
    second = table.get_entity("p", "r")

    first["rev"] = 2
    table.update_entity(
        first,
        mode=UpdateMode.REPLACE,
        etag=first.metadata["etag"],
        match_condition=MatchConditions.IfNotModified,
    )
    second["rev"] = 3
    with pytest.raises(ResourceModifiedError):
        table.update_entity(
            second,
            mode=UpdateMode.REPLACE,
            etag=second.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
    assert table.get_entity("p", "r")["rev"] == 2
