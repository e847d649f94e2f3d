"""The links fake: ``LinkStore``'s create protocol (R1) and its ETags, on a dict.

Held to the real store by ``test_links_contract.py``, which runs the same tests on both.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sync_core.adapters.state.keys import encode_part  # the real key order
from sync_core.ports import ClaimOutcome, ClaimResult, StaleEntity, StoredLink
from sync_core.rules import Link, check_integration_id

_etags = itertools.count(1)


def _etag() -> str:
    """A fresh ETag: every write changes it, as Table Storage's does."""
    return f'W/"fake-link-{next(_etags)}"'


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FakeLinks:
    """Links and claims (R1): ``LinkStore``'s create protocol on a dict.

    Forward rows ``(iid, "v", vulnerability id)`` hold a claim or a link; reverse rows
    ``(iid, "w", work item id)`` point back. Every write is guarded as the real one is.
    """

    def __init__(
        self,
        clock: Callable[[], datetime] = _utc_now,
        claim_ttl: timedelta = timedelta(seconds=120),
    ):
        self._clock, self._ttl = clock, claim_ttl
        self.rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def _fwd(self, iid: str, vid: str) -> tuple[str, str, str]:
        return (check_integration_id(iid), "v", vid)

    def _guarded(self, key: tuple[str, str, str], etag: str) -> dict[str, Any]:
        row = self.rows.get(key)
        if row is None or row["etag"] != etag:
            raise StaleEntity(f"links: row {key[2]!r} changed since it was read")
        return row

    def claim(self, integration_id: str, vulnerability_id: str, claimant: str) -> ClaimOutcome:
        key = self._fwd(integration_id, vulnerability_id)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = {"claimant": claimant, "at": self._clock(), "etag": _etag()}
            return ClaimOutcome(
                result=ClaimResult.WON, etag=row["etag"], claimant=claimant, claimed_at=row["at"]
            )
        if "link" in row:
            return ClaimOutcome(result=ClaimResult.LINKED, etag=row["etag"], link=row["link"])
        fresh = self._clock() - row["at"] <= self._ttl
        return ClaimOutcome(
            result=ClaimResult.HELD if fresh else ClaimResult.STALE,
            etag=row["etag"], claimant=row["claimant"], claimed_at=row["at"],
        )  # fmt: skip

    def take_over(
        self, integration_id: str, vulnerability_id: str, claimant: str, etag: str
    ) -> str:
        key = self._fwd(integration_id, vulnerability_id)
        self._guarded(key, etag)
        self.rows[key] = {"claimant": claimant, "at": self._clock(), "etag": _etag()}
        return str(self.rows[key]["etag"])

    def complete(self, integration_id: str, link: Link, etag: str) -> str:
        key = self._fwd(integration_id, link.vulnerability_id)
        self._guarded(key, etag)  # before any write: the real transaction is atomic
        return self._write(key, link)

    def _write(self, key: tuple[str, str, str], link: Link) -> str:
        self.rows[key] = {"link": link, "etag": _etag()}
        self.rows[(key[0], "w", str(link.work_item_id))] = {"vid": link.vulnerability_id}
        return str(self.rows[key]["etag"])

    def release(self, integration_id: str, vulnerability_id: str, etag: str) -> None:
        key = self._fwd(integration_id, vulnerability_id)
        if key in self.rows:  # a missing row is fine (delete of nothing)
            self._guarded(key, etag)
            del self.rows[key]

    def get(self, integration_id: str, vulnerability_id: str) -> StoredLink | None:
        row = self.rows.get(self._fwd(integration_id, vulnerability_id))
        if row is None or "link" not in row:
            return None
        return StoredLink(row["link"], row["etag"])

    def get_many(
        self, integration_id: str, vulnerability_ids: Iterable[str]
    ) -> dict[str, StoredLink]:
        rows = {v: self.rows.get(self._fwd(integration_id, v)) for v in vulnerability_ids}
        return {
            v: StoredLink(row["link"], row["etag"])
            for v, row in rows.items()
            if row is not None and "link" in row
        }

    def get_by_work_item(self, integration_id: str, work_item_id: int) -> StoredLink | None:
        reverse = self.rows.get((check_integration_id(integration_id), "w", str(work_item_id)))
        if reverse is None:
            return None
        found = self.get(integration_id, reverse["vid"])
        if found is None or found.link.work_item_id != int(work_item_id):
            return None
        return found

    def save(self, integration_id: str, link: Link, etag: str) -> str:
        key = self._fwd(integration_id, link.vulnerability_id)
        self._guarded(key, etag)
        self.rows[key] = {"link": link, "etag": _etag()}
        return str(self.rows[key]["etag"])

    def replace_work_item(
        self, integration_id: str, link: Link, etag: str, *, previous_work_item_id: int
    ) -> str:
        if int(previous_work_item_id) == link.work_item_id:
            raise ValueError("replace_work_item needs a different work item id")
        key = self._fwd(integration_id, link.vulnerability_id)
        self._guarded(key, etag)
        new_etag = self._write(key, link)
        self.rows.pop((key[0], "w", str(previous_work_item_id)), None)
        return new_etag

    def page_after(self, integration_id: str, after: str | None, limit: int) -> list[StoredLink]:
        """In the real key order: the percent-encoded vulnerability id (``keys.encode_part``)."""
        pk = check_integration_id(integration_id)
        found = sorted(
            (encode_part(k[2]), StoredLink(r["link"], r["etag"]))
            for k, r in self.rows.items()
            if k[0] == pk and k[1] == "v" and "link" in r
        )
        low = encode_part(after) if after else ""
        return [s for key, s in found if key > low][:limit]

    def links(self, integration_id: str) -> list[Link]:
        """Test helper: every link of the integration."""
        return [s.link for s in self.page_after(integration_id, None, 10**6)]
