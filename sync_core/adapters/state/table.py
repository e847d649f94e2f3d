"""One Azure table behind the few calls the stores need: validated, counted, ETag-aware.

Every store talks to Table Storage only through :class:`Table`, so the limits of
:mod:`.limits` are checked before each request, each request is counted, and the SDK's
exceptions become this layer's (:class:`StaleEntity`, :class:`StorageUnavailable`) at one
place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableEntity, TableTransactionError, UpdateMode

from .counting import Operation, OperationCounts
from .errors import StaleEntity, StoredDataInvalid, storage_call
from .limits import check_entity, check_key

__all__ = ["MAX_BATCH", "Table", "etag_of"]

logger = logging.getLogger(__name__)

#: An entity-group transaction holds at most 100 operations (Azurite garbles larger ones).
MAX_BATCH = 100
_STALE_CODES = frozenset({"UpdateConditionNotSatisfied", "ResourceNotFound", "EntityAlreadyExists"})


def etag_of(row: TableEntity) -> str:
    """The ETag a row was read with, to write it back guarded by.

    The SDK types it ``str | None`` (its metadata TypedDict also describes entities not yet
    written); every row the service answers carries one, so a missing ETag is a broken
    answer, refused here rather than turned into an unguarded write.
    """
    etag = row.metadata.get("etag")
    if not etag:
        raise StoredDataInvalid("a row was read without an ETag")
    return etag


class Table:
    """A validated, counted view of one table."""

    def __init__(self, client: TableClient, counts: OperationCounts) -> None:
        self._client = client
        self._counts = counts

    @property
    def name(self) -> str:
        return self._client.table_name

    def ensure(self) -> None:
        """Create the table if needed (idempotent; a no-op when it exists)."""
        try:
            with storage_call(self.name):
                self._client.create_table()
            logger.info("created table %s", self.name)
        except ResourceExistsError:
            pass

    def get(self, partition_key: str, row_key: str) -> TableEntity | None:
        check_key(partition_key, what="PartitionKey")
        check_key(row_key, what="RowKey")
        self._counts.add(Operation.READ)
        try:
            with storage_call(self.name):
                return self._client.get_entity(partition_key, row_key)
        except ResourceNotFoundError:
            return None

    def insert(self, entity: Mapping[str, Any]) -> str | None:
        """Insert-only write: the new ETag, or None when the row already exists (a 409)."""
        check_entity(entity)
        self._counts.add(Operation.INSERT)
        try:
            with storage_call(self.name):
                return str(self._client.create_entity(dict(entity))["etag"])
        except ResourceExistsError:
            return None

    def replace(self, entity: Mapping[str, Any], etag: str) -> str:
        """Replace the row only if it still has ``etag``; StaleEntity if it changed or went."""
        check_entity(entity)
        self._counts.add(Operation.UPDATE)
        try:
            with storage_call(self.name):
                meta = self._client.update_entity(
                    dict(entity),
                    mode=UpdateMode.REPLACE,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceModifiedError, ResourceNotFoundError) as exc:
            raise StaleEntity(
                f"{self.name}: row {entity['RowKey']!r} changed since it was read"
            ) from exc
        return str(meta["etag"])

    def upsert(self, entity: Mapping[str, Any]) -> str:
        """Unconditional write (REPLACE): for rows only one writer owns."""
        check_entity(entity)
        self._counts.add(Operation.UPDATE)
        with storage_call(self.name):
            return str(self._client.upsert_entity(dict(entity), mode=UpdateMode.REPLACE)["etag"])

    def delete(self, partition_key: str, row_key: str, *, etag: str | None = None) -> None:
        """Delete a row (missing is fine); with ``etag``, only if unchanged (else StaleEntity)."""
        check_key(partition_key, what="PartitionKey")
        check_key(row_key, what="RowKey")
        self._counts.add(Operation.DELETE)
        if etag is None:
            with storage_call(self.name):
                self._client.delete_entity(partition_key, row_key)
            return
        try:
            with storage_call(self.name):
                self._client.delete_entity(
                    partition_key, row_key, etag=etag, match_condition=MatchConditions.IfNotModified
                )
        except ResourceModifiedError as exc:
            raise StaleEntity(f"{self.name}: row {row_key!r} changed since it was read") from exc

    def query(
        self,
        query_filter: str,
        parameters: Mapping[str, Any],
        *,
        select: Sequence[str] | None = None,
        page_size: int | None = None,
    ) -> Iterator[TableEntity]:
        """Rows matching an OData filter, lazily, counting one query per page fetched."""
        pages = self._client.query_entities(
            query_filter,
            parameters=dict(parameters),
            select=list(select) if select else None,
            results_per_page=page_size,
        ).by_page()
        while True:
            with storage_call(self.name):  # each page is one request, made by next()
                page = next(pages, None)
                rows = None if page is None else list(page)
            if rows is None:
                return
            self._counts.add(Operation.QUERY)
            yield from rows

    def transact(self, operations: Sequence[tuple[Any, ...]]) -> list[Mapping[str, Any]]:
        """One atomic entity-group transaction (same partition, ≤ 100 operations).

        A failed ETag condition (or a row that vanished or appeared) is a StaleEntity,
        and nothing of the batch is written.
        """
        if not 0 < len(operations) <= MAX_BATCH:
            raise ValueError(f"a transaction holds 1-{MAX_BATCH} operations")
        for operation in operations:
            if operation[0] == "delete":
                check_key(operation[1]["PartitionKey"], what="PartitionKey")
                check_key(operation[1]["RowKey"], what="RowKey")
            else:
                check_entity(operation[1])
        self._counts.add(Operation.TRANSACTION)
        try:
            with storage_call(self.name):
                return list(self._client.submit_transaction(list(operations)))
        except TableTransactionError as exc:
            # azure-data-tables documents ``error_code`` (an ivar) but sets it after
            # construction (_error._decode_error), so its type declares no such attribute.
            if getattr(exc, "error_code", None) in _STALE_CODES:
                raise StaleEntity(f"{self.name}: a row changed since it was read") from exc
            raise

    def delete_partition(self, partition_key: str) -> int:
        """Delete every row of one partition, 100 per transaction; returns how many."""
        check_key(partition_key, what="PartitionKey")
        keys = [
            row["RowKey"]
            for row in self.query(
                "PartitionKey eq @pk", {"pk": partition_key}, select=["PartitionKey", "RowKey"]
            )
        ]
        for start in range(0, len(keys), MAX_BATCH):
            self.delete_rows(partition_key, keys[start : start + MAX_BATCH])
        return len(keys)

    def delete_rows(self, partition_key: str, row_keys: Sequence[str]) -> None:
        """Delete up to 100 rows of one partition in one request.

        A row someone else deleted meanwhile fails the whole batch; then fall back to
        one delete each, which tolerates missing rows.
        """
        if not row_keys:
            return
        batch = [("delete", {"PartitionKey": partition_key, "RowKey": rk}) for rk in row_keys]
        try:
            self.transact(batch)
        except StaleEntity:
            for row_key in row_keys:
                self.delete(partition_key, row_key)
