"""Count storage requests by kind, so benchmarks can report "Table operations per event".

Every Table and Queue request the stores make goes through one shared counter. A query
counts once per page fetched (each page is one billable request), a transaction once.
"""

from __future__ import annotations

import threading
from enum import StrEnum

__all__ = ["Operation", "OperationCounts"]


class Operation(StrEnum):
    READ = "reads"
    INSERT = "inserts"
    UPDATE = "updates"  # replace, merge and upsert
    DELETE = "deletes"
    QUERY = "queries"  # one per page
    TRANSACTION = "transactions"  # one entity-group transaction, whatever it holds
    MESSAGE_SENT = "messages_sent"
    MESSAGE_READ = "messages_read"  # a receive or peek request
    MESSAGE_UPDATED = "messages_updated"  # e.g. made visible again
    MESSAGE_DELETED = "messages_deleted"


class OperationCounts:
    """A thread-safe tally; take a :meth:`snapshot` before and after the work you measure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(Operation, 0)

    def add(self, operation: Operation, n: int = 1) -> None:
        with self._lock:
            self._counts[operation] += n

    def snapshot(self) -> dict[str, int]:
        """The counts so far, by kind name (``{"reads": 3, ...}``)."""
        with self._lock:
            return {op.value: n for op, n in self._counts.items()}

    @property
    def table_total(self) -> int:
        """All Table Storage requests (reads, writes, query pages, transactions)."""
        table_ops = (
            Operation.READ,
            Operation.INSERT,
            Operation.UPDATE,
            Operation.DELETE,
            Operation.QUERY,
            Operation.TRANSACTION,
        )
        with self._lock:
            return sum(self._counts[op] for op in table_ops)

    def reset(self) -> None:
        with self._lock:
            self._counts = dict.fromkeys(Operation, 0)

    def __repr__(self) -> str:
        return f"OperationCounts({self.snapshot()})"
