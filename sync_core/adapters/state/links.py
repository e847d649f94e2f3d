"""Vulnerability ↔ work item links (R1), and the claim that makes creation happen once.

Rows of one integration's partition:

- ``v|<vulnerability id>`` — first a *claim* (who is creating the work item, since when),
  then, once the work item exists, the *link* itself. Same row, so turning a claim into a
  link is one ETag-guarded write and no second creator can slip in between.
- ``w|<work item id>`` — the reverse row, for inbound Boards events (R7).

The create protocol, for a worker handling a vulnerability with no link yet::

    outcome = links.claim(iid, vid, claimant)
    WON    -> create the work item, then links.complete(iid, link, outcome.etag)
              (or links.release(...) if the create certainly did not happen)
    LINKED -> update outcome.link instead (someone created it)
    HELD   -> another worker is creating it now: retry later
    STALE  -> the claimant died mid-create: look the tag up in Azure DevOps (WIQL), then
              links.take_over(iid, vid, claimant, outcome.etag); only one healer wins.

A create answered with a 5xx or a timeout may still have happened, so it is healed like a
stale claim (tag look-up), never released.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import TableEntity, UpdateMode
from pydantic import BaseModel, ValidationError

from sync_core.ports.data import ClaimOutcome, ClaimResult, StoredLink
from sync_core.rules.models import Link

from .errors import StoredDataInvalid
from .keys import encode_part, join_key
from .limits import check_integration_id
from .properties import now, read_datetime, to_utc
from .table import Table, etag_of

__all__ = ["DEFAULT_CLAIM_TTL", "ClaimOutcome", "ClaimResult", "LinkStore", "StoredLink"]

DEFAULT_CLAIM_TTL = timedelta(seconds=120)
_CLAIM, _LINK, _REVERSE = "claim", "link", "reverse"
_ATTEMPTS = 5
#: RowKeys one ``get_many`` query asks for: 15 comparisons at most, one is the partition's
KEYS_PER_QUERY = 14


def _forward_key(vulnerability_id: str) -> str:
    return join_key("v", encode_part(vulnerability_id))


def _reverse_key(work_item_id: int) -> str:
    return join_key("w", str(int(work_item_id)))


def _link_entity(pk: str, link: Link) -> dict[str, Any]:
    """Every Link field as a property: scalars as themselves (readable, queryable),
    structured ones (the card) as JSON under ``<name>_json``. Generic over the model, so a
    field the rules add later is stored without touching this module."""
    entity: dict[str, Any] = {
        "PartitionKey": pk,
        "RowKey": _forward_key(link.vulnerability_id),
        "kind": _LINK,
    }
    as_json = link.model_dump(mode="json")
    for name in Link.model_fields:
        value = getattr(link, name)
        if value is None:
            continue
        if isinstance(value, BaseModel | dict | list | tuple | set | frozenset):
            entity[f"{name}_json"] = json.dumps(as_json[name], separators=(",", ":"))
        elif isinstance(value, Enum):
            entity[name] = value.value
        elif isinstance(value, datetime):
            entity[name] = to_utc(value)
        else:
            entity[name] = value
    return entity


def _reverse_entity(pk: str, link: Link) -> dict[str, Any]:
    return {
        "PartitionKey": pk,
        "RowKey": _reverse_key(link.work_item_id),
        "kind": _REVERSE,
        "vulnerability_id": link.vulnerability_id,
        "work_item_id": link.work_item_id,
    }


def _link_of(row: TableEntity) -> Link:
    data: dict[str, Any] = {}
    try:
        for name in Link.model_fields:
            if f"{name}_json" in row:
                data[name] = json.loads(row[f"{name}_json"])
            elif name in row:
                value = row[name]
                data[name] = (
                    read_datetime(value)
                    if isinstance(value, datetime)
                    else (
                        getattr(value, "value", value)  # an Int64 comes back as EntityProperty
                    )
                )
        return Link.model_validate(data)
    except (ValueError, ValidationError):
        raise StoredDataInvalid(f"link row {row.get('RowKey')!r} does not validate") from None


def _guarded_replace(entity: dict[str, Any], etag: str) -> tuple[Any, ...]:
    options = {
        "mode": UpdateMode.REPLACE,
        "etag": etag,
        "match_condition": MatchConditions.IfNotModified,
    }
    return ("update", entity, options)


class LinkStore:
    """Links of every integration, one partition each."""

    def __init__(self, table: Table, *, claim_ttl: timedelta = DEFAULT_CLAIM_TTL) -> None:
        self._table = table
        self._claim_ttl = claim_ttl

    # ------------------------------------------------------------ create protocol

    def claim(self, integration_id: str, vulnerability_id: str, claimant: str) -> ClaimOutcome:
        """Claim the right to create the vulnerability's work item (insert-only, so one wins)."""
        pk = check_integration_id(integration_id)
        rk = _forward_key(vulnerability_id)
        for _ in range(_ATTEMPTS):
            entity = self._claim_entity(pk, rk, vulnerability_id, claimant)
            etag = self._table.insert(entity)
            if etag is not None:
                return ClaimOutcome(
                    result=ClaimResult.WON,
                    etag=etag,
                    claimant=claimant,
                    claimed_at=entity["claimed_at"],
                )
            row = self._table.get(pk, rk)
            if row is not None:  # else released meanwhile: claim again
                return self._outcome_of(row)
        raise StoredDataInvalid(f"claim row {rk!r} keeps appearing and vanishing")

    def take_over(
        self, integration_id: str, vulnerability_id: str, claimant: str, etag: str
    ) -> str:
        """Replace a stale claim with ours; StaleEntity if another healer got there first."""
        pk = check_integration_id(integration_id)
        rk = _forward_key(vulnerability_id)
        return self._table.replace(self._claim_entity(pk, rk, vulnerability_id, claimant), etag)

    def complete(self, integration_id: str, link: Link, etag: str) -> str:
        """Turn our claim into the link and write the reverse row, atomically.

        Guarded by the claim's ETag: a claimant whose stale claim was taken over gets
        StaleEntity and must not link the item it created (the healer's tag look-up finds it).
        """
        pk = check_integration_id(integration_id)
        results = self._table.transact(
            [
                _guarded_replace(_link_entity(pk, link), etag),
                ("upsert", _reverse_entity(pk, link), {"mode": UpdateMode.REPLACE}),
            ]
        )
        return str(results[0]["etag"])

    def release(self, integration_id: str, vulnerability_id: str, etag: str) -> None:
        """Drop our claim after a create that certainly did not happen (a 4xx answer)."""
        pk = check_integration_id(integration_id)
        self._table.delete(pk, _forward_key(vulnerability_id), etag=etag)

    # ------------------------------------------------------------------ links

    def get(self, integration_id: str, vulnerability_id: str) -> StoredLink | None:
        """The vulnerability's link, or None (no row, or only a claim so far)."""
        pk = check_integration_id(integration_id)
        row = self._table.get(pk, _forward_key(vulnerability_id))
        if row is None or row.get("kind") != _LINK:
            return None
        return StoredLink(_link_of(row), etag_of(row))

    def get_many(
        self, integration_id: str, vulnerability_ids: Iterable[str]
    ) -> dict[str, StoredLink]:
        """The links of several vulnerabilities, by id (those with none, or only a claim, are
        absent): one query per :data:`KEYS_PER_QUERY` ids instead of a read each. Table
        Storage allows "no more than 15 discrete comparisons" in a ``$filter``
        (learn.microsoft.com "Querying tables and entities"); the partition takes one."""
        pk = check_integration_id(integration_id)
        wanted = sorted({str(v) for v in vulnerability_ids})
        found: dict[str, StoredLink] = {}
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            ids = {_forward_key(v): v for v in wanted[start : start + KEYS_PER_QUERY]}
            names = {f"k{n}": key for n, key in enumerate(ids)}
            either = " or ".join(f"RowKey eq @{name}" for name in names)
            query = f"PartitionKey eq @pk and ( {either} )"  # the SDK substitutes whole words
            for row in self._table.query(query, {"pk": pk, **names}):
                if row.get("kind") == _LINK:
                    found[ids[str(row["RowKey"])]] = StoredLink(_link_of(row), etag_of(row))
        return found

    def get_by_work_item(self, integration_id: str, work_item_id: int) -> StoredLink | None:
        """The link of a work item, for inbound events (R7); returns the ETag to save with.

        The reverse row only points at the forward row, which is the truth: a reverse row
        left behind by a replaced work item (R6) answers None.
        """
        pk = check_integration_id(integration_id)
        reverse = self._table.get(pk, _reverse_key(work_item_id))
        if reverse is None:
            return None
        found = self.get(integration_id, str(reverse["vulnerability_id"]))
        if found is None or found.link.work_item_id != int(work_item_id):
            return None
        return found

    def save(self, integration_id: str, link: Link, etag: str) -> str:
        """Write a changed link back (revisions, applied status…); StaleEntity if it moved.

        The work item must stay the same; use :meth:`replace_work_item` to change it.
        """
        pk = check_integration_id(integration_id)
        return self._table.replace(_link_entity(pk, link), etag)

    def replace_work_item(
        self, integration_id: str, link: Link, etag: str, *, previous_work_item_id: int
    ) -> str:
        """Point the link at a new work item (R6: the old one was deleted in Azure DevOps)."""
        pk = check_integration_id(integration_id)
        if int(previous_work_item_id) == link.work_item_id:
            raise ValueError("replace_work_item needs a different work item id")
        results = self._table.transact(
            [
                _guarded_replace(_link_entity(pk, link), etag),
                ("upsert", _reverse_entity(pk, link), {"mode": UpdateMode.REPLACE}),
            ]
        )
        # Outside the transaction: a missing row would fail the whole batch.
        self._table.delete(pk, _reverse_key(previous_work_item_id))
        return str(results[0]["etag"])

    def page_after(self, integration_id: str, after: str | None, limit: int) -> list[StoredLink]:
        """Up to ``limit`` links in key order, after the vulnerability ``after`` (None:
        from the first). The reconcile pass checks a bounded slice of the links per run,
        rotating through them (R25); claims are passed over."""
        pk = check_integration_id(integration_id)
        low = _forward_key(after) if after else "v" + "|"
        rows = self._table.query(
            "PartitionKey eq @pk and RowKey gt @low and RowKey lt @high and kind eq @kind",
            {"pk": pk, "low": low, "high": "v" + chr(ord("|") + 1), "kind": _LINK},
            page_size=max(1, min(limit, 1000)),
        )
        found: list[StoredLink] = []
        for row in rows:
            found.append(StoredLink(_link_of(row), etag_of(row)))
            if len(found) >= limit:
                break
        return found

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _claim_entity(pk: str, rk: str, vulnerability_id: str, claimant: str) -> dict[str, Any]:
        return {
            "PartitionKey": pk,
            "RowKey": rk,
            "kind": _CLAIM,
            "vulnerability_id": vulnerability_id,
            "claimant": claimant,
            "claimed_at": now(),
        }

    def _outcome_of(self, row: TableEntity) -> ClaimOutcome:
        etag = etag_of(row)
        if row.get("kind") == _LINK:
            return ClaimOutcome(result=ClaimResult.LINKED, etag=etag, link=_link_of(row))
        claimed_at = read_datetime(row.get("claimed_at"))
        fresh = claimed_at is not None and now() - claimed_at <= self._claim_ttl
        return ClaimOutcome(
            result=ClaimResult.HELD if fresh else ClaimResult.STALE,
            etag=etag,
            claimant=row.get("claimant"),
            claimed_at=claimed_at,
        )
