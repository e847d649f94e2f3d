"""Just enough WIQL: ``SELECT … FROM WorkItems WHERE <clause> AND <clause> … [ORDER BY …]``.

A clause is ``[Field] =|<>|CONTAINS 'text'`` or ``@project``, or ``[Field] >|>=|<|<=
'value'`` (dates compare as instants, other values as text). ``System.Tags CONTAINS``
matches a whole tag, as Azure Boards does. A date with a time of day needs the
``timePrecision=true`` query parameter, as on the service. Anything else is a 400, so a
client that starts to rely on more WIQL finds out in its tests, not in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from .work_items import WorkItemRecord
from .world import ApiError

__all__ = ["run_wiql"]

_QUERY = re.compile(
    r"^\s*SELECT\s+.+?\s+FROM\s+WorkItems(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+\[(?P<order>[^\]]+)\](?:\s+(?P<dir>ASC|DESC))?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CLAUSE = re.compile(
    r"^\s*\[(?P<field>[^\]]+)\]\s*(?P<op>>=|<=|<>|=|>|<|CONTAINS)\s*(?P<value>'(?:[^']|'')*'|@project)\s*$",
    re.IGNORECASE,
)
_AND = re.compile(r"\s+AND\s+(?=\[)", re.IGNORECASE)
_ALIASES = {"state": "System.State", "title": "System.Title", "id": "System.Id"}


def run_wiql(
    query: Any,
    items: Iterable[WorkItemRecord],
    project: str | None,
    *,
    time_precision: bool = False,
) -> list[WorkItemRecord]:
    if not isinstance(query, str) or not (match := _QUERY.match(query)):
        raise ApiError(400, "VS402336: The WIQL query is not valid.", "QueryException")
    where = _AND.split(match["where"] or "")
    tests = [_clause(text, project, time_precision) for text in where if text.strip()]
    found = [i for i in items if not i.deleted and all(test(i) for test in tests)]
    order = _ALIASES.get((match["order"] or "System.Id").lower(), match["order"] or "System.Id")
    found.sort(key=lambda i: _sort_key(i.fields.get(order)))
    if (match["dir"] or "ASC").upper() == "DESC":
        found.reverse()
    return found


def _clause(
    text: str, project: str | None, time_precision: bool
) -> Callable[[WorkItemRecord], bool]:
    match = _CLAUSE.match(text)
    if not match:
        raise ApiError(
            400,
            f"VS402336: The emulator cannot read the WIQL clause '{text.strip()}'.",
            "QueryException",
        )
    field = _ALIASES.get(match["field"].lower(), match["field"])
    raw = match["value"]
    if raw.lower() == "@project":
        if project is None:
            raise ApiError(400, "@project needs a project in the URL.", "QueryException")
        value = project
    else:
        value = raw[1:-1].replace("''", "'")
    op = match["op"].upper()
    if op == "CONTAINS" and field == "System.Tags":
        return lambda i: value.lower() in _tags(i.fields.get(field))
    if op == "CONTAINS":
        return lambda i: value.lower() in str(i.fields.get(field, "")).lower()
    if op in _ORDERED:
        return _compare(field, op, value, time_precision)
    if op == "=":
        return lambda i: str(i.fields.get(field, "")).lower() == value.lower()
    return lambda i: str(i.fields.get(field, "")).lower() != value.lower()


_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def _compare(
    field: str, op: str, value: str, time_precision: bool
) -> Callable[[WorkItemRecord], bool]:
    wanted = _instant(value)
    if wanted is None:
        return lambda i: _ORDERED[op](str(i.fields.get(field, "")), value)
    if "T" in value and not time_precision:
        raise ApiError(
            400,
            "TF51005: The query references a date with a time of day; "
            "set timePrecision to compare times.",
            "QueryException",
        )

    def test(item: WorkItemRecord) -> bool:
        have = _instant(item.fields.get(field))
        return have is not None and _ORDERED[op](have, wanted)

    return test


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _tags(value: Any) -> set[str]:
    return {t.strip().lower() for t in str(value or "").split(";") if t.strip()}


def _sort_key(value: Any) -> tuple[int, str]:
    """Numbers before text, numbers in numeric order."""
    if isinstance(value, int):
        return (0, f"{value:020d}")
    return (1, str(value or ""))
