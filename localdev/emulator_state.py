"""The emulators' state as JSON, so ``make run`` restarts with the cards Azurite's links name.

Azurite keeps its data in ``.azurite/`` across ``make run`` restarts, and the links there
name work item ids and vulnerability ids. Emulators that restarted empty handed out the same
ids again, so an update for one vulnerability landed on the card of another. Both emulators
therefore save their state beside Azurite's (``localdev/run.py`` decides when) and load it
on start: ``BoardsEmulator.snapshot()``/``restore()`` and ``ConvisoEmulator.snapshot()``/
``restore()`` call the functions here.

What is kept: the Boards emulator's work items (fields, revisions, relations, history, the
next id) and service-hook subscriptions; the Conviso emulator's companies, assets, projects,
issues with their history, the applied status changes and its id counters. The seed (projects,
teams, boards, processes) is not: it is the same on every start. Projects or teams a test
adds at run time are not kept.

``advance_ids`` moves the id counters on by a gap, for a restore from a snapshot that was
taken while running (the process did not stop cleanly): ids handed out after that snapshot
are then never handed out again.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localdev.boards_emulator import BoardsEmulator
    from localdev.conviso_emulator import ConvisoEmulator

__all__ = [
    "FORMAT",
    "SnapshotError",
    "advance_ids",
    "boards_restore",
    "boards_snapshot",
    "conviso_restore",
    "conviso_snapshot",
]

#: the snapshot format; a different one is not read (the emulators start empty instead)
FORMAT = 1


class SnapshotError(ValueError):
    """A snapshot that cannot be restored: wrong format, another organization, bad data."""


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _known(cls: type, data: dict[str, Any], **given: Any) -> Any:
    """``cls`` built from the fields of ``data`` it has (a field added since keeps its default)."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: _decode(v) for k, v in data.items() if k in names and k not in given}
    return cls(**values, **given)


def _counter_value(counter: itertools.count[int]) -> tuple[int, itertools.count[int]]:
    """The next value of an ``itertools.count`` and a counter that still starts there."""
    value = next(counter)
    return value, itertools.count(value)


# ------------------------------------------------------------------------- Boards


def boards_snapshot(emulator: BoardsEmulator) -> dict[str, Any]:
    with emulator._lock:
        store = emulator.store
        items = []
        for record in store.items.values():
            entry = {
                f.name: _encode(getattr(record, f.name))
                for f in dataclasses.fields(record)
                if f.name != "project"  # the seed's, named by id (it links to the world)
            }
            entry["project"] = record.project.id
            items.append(entry)
        return {
            "format": FORMAT,
            "organization": emulator.world.organization,
            "next_id": store._next_id,
            "items": items,
            "subscriptions": _encode(emulator.subscriptions.items),
            "subscription_secrets": dict(emulator.subscriptions.secrets),
        }


def boards_restore(emulator: BoardsEmulator, data: dict[str, Any]) -> int:
    """Replace the emulator's items and subscriptions with the snapshot's; how many items."""
    from localdev.boards_emulator.work_items import WorkItemRecord

    _check(data, emulator.world.organization)
    with emulator._lock:
        world = emulator.world
        try:
            items = {}
            for entry in data["items"]:
                record = _known(WorkItemRecord, entry, project=world.project(entry["project"]))
                record.history = [tuple(h) for h in record.history]
                items[record.id] = record
            next_id = int(data["next_id"])
            subscriptions = {str(k): _decode(v) for k, v in data["subscriptions"].items()}
            secrets = {str(k): str(v) for k, v in data.get("subscription_secrets", {}).items()}
        except Exception as exc:
            raise SnapshotError(f"the Boards snapshot does not load ({exc!r})") from exc
        emulator.store.items = items
        emulator.store._next_id = max(next_id, max(items, default=0) + 1)
        emulator.subscriptions.items = subscriptions
        emulator.subscriptions.secrets = secrets
        return len(items)


# ------------------------------------------------------------------------ Conviso


def conviso_snapshot(emulator: ConvisoEmulator) -> dict[str, Any]:
    store = emulator.store
    with store.lock:
        next_id, store._ids = _counter_value(store._ids)
        next_issue, store._issue_ids = _counter_value(store._issue_ids)
        return {
            "format": FORMAT,
            "next_id": next_id,
            "next_issue_id": next_issue,
            "companies": [_encode(c) for c in store.companies.values()],
            "assets": [_encode(a) for a in store.assets.values()],
            "projects": [_encode(p) for p in store.projects.values()],
            "issues": [_encode(i) for i in store.issues.values()],
            "status_changes": [_encode(c) for c in store.status_changes],
        }


def conviso_restore(emulator: ConvisoEmulator, data: dict[str, Any]) -> int:
    """Replace the emulator's data with the snapshot's; how many issues."""
    from localdev.conviso_emulator.store import (
        AssetRecord,
        CompanyRecord,
        IssueRecord,
        ProjectRecord,
        StatusChange,
    )

    _check(data, None)
    store = emulator.store
    try:
        companies = {c.id: c for c in (_known(CompanyRecord, d) for d in data["companies"])}
        assets = {a.id: a for a in (_known(AssetRecord, d) for d in data["assets"])}
        projects = {p.id: p for p in (_known(ProjectRecord, d) for d in data["projects"])}
        issues = {}
        for entry in data["issues"]:
            history = [_known(StatusChange, h) for h in entry.get("history", [])]
            issue = _known(IssueRecord, entry, history=history)
            issues[issue.id] = issue
        changes = [_known(StatusChange, c) for c in data["status_changes"]]
        next_id, next_issue = int(data["next_id"]), int(data["next_issue_id"])
    except Exception as exc:
        raise SnapshotError(f"the Conviso snapshot does not load ({exc!r})") from exc
    with store.lock:
        store.companies, store.assets, store.projects = companies, assets, projects
        store.issues, store.status_changes = issues, changes
        store._ids = itertools.count(next_id)
        store._issue_ids = itertools.count(next_issue)
    return len(issues)


def advance_ids(boards: BoardsEmulator | None, conviso: ConvisoEmulator | None, gap: int) -> None:
    """Move every id counter on by ``gap`` (see the module docstring)."""
    if boards is not None:
        with boards._lock:
            boards.store._next_id += gap
    if conviso is not None:
        store = conviso.store
        with store.lock:
            value, _ = _counter_value(store._ids)
            store._ids = itertools.count(value + gap)
            value, _ = _counter_value(store._issue_ids)
            store._issue_ids = itertools.count(value + gap)


def _check(data: Any, organization: str | None) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"not a snapshot of format {FORMAT}")
    if organization is not None and data.get("organization") != organization:
        raise SnapshotError(
            f"the snapshot is of organization {data.get('organization')!r}, not {organization!r}"
        )
