"""JSON Patch documents for work items, built from the rules' plain field maps.

One decision becomes one patch (R5): fields, board column and lane, tags, the Hyperlink
back to Conviso and a history note travel together, so Azure DevOps makes one revision
and fires one service hook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sync_core.rules.vocabulary import HISTORY_FIELD, TAGS_FIELD

__all__ = [
    "JsonPatch",
    "create_patch",
    "field_path",
    "history_patch",
    "join_tags",
    "update_patch",
]

JsonPatch = list[dict[str, Any]]
FieldValue = str | int


def field_path(reference_name: str) -> str:
    """``/fields/<name>``, escaped as RFC 6901 asks (``~`` and ``/`` never appear in practice)."""
    return "/fields/" + reference_name.replace("~", "~0").replace("/", "~1")


def join_tags(tags: Iterable[str]) -> str:
    unique = dict.fromkeys(t.strip() for t in tags if t and t.strip())
    return "; ".join(unique)


def _field_ops(fields: Mapping[str, FieldValue]) -> JsonPatch:
    # `add` on an existing field overwrites it (System.Tags excepted: it appends).
    return [
        {"op": "add", "path": field_path(name), "value": value} for name, value in fields.items()
    ]


def create_patch(
    fields: Mapping[str, FieldValue],
    *,
    tags: Iterable[str] = (),
    hyperlink: str | None = None,
    hyperlink_comment: str | None = None,
    history: str | None = None,
) -> JsonPatch:
    fields = dict(fields)
    all_tags = [*str(fields.pop(TAGS_FIELD, "")).split(";"), *tags]
    ops = _field_ops(fields)
    if joined := join_tags(all_tags):
        ops.append({"op": "add", "path": field_path(TAGS_FIELD), "value": joined})
    if history:
        ops.append({"op": "add", "path": field_path(HISTORY_FIELD), "value": history})
    if hyperlink:
        relation: dict[str, Any] = {"rel": "Hyperlink", "url": hyperlink}
        if hyperlink_comment:
            relation["attributes"] = {"comment": hyperlink_comment}
        ops.append({"op": "add", "path": "/relations/-", "value": relation})
    return ops


def update_patch(
    expected_rev: int, fields: Mapping[str, FieldValue], *, history: str | None = None
) -> JsonPatch:
    """``test /rev`` first: a stale revision rejects the whole patch with a 412."""
    ops: JsonPatch = [{"op": "test", "path": "/rev", "value": expected_rev}]
    ops.extend(_field_ops(fields))
    if history:
        ops.append({"op": "add", "path": field_path(HISTORY_FIELD), "value": history})
    return ops


def history_patch(note: str) -> JsonPatch:
    return [{"op": "add", "path": field_path(HISTORY_FIELD), "value": note}]
