"""R20, R21: the vulnerability in fields a route names, its deadline, and when to write them.

A route maps what of the vulnerability goes where (``fields``: ``cve`` → ``Custom.CVE``…).
Each value is computed from Conviso's snapshot alone (``conviso_values``), as plain text,
and kept in the link once applied (``Link.applied_fields``). A field is written when the
card is created and afterwards only when Conviso's value changed since the one applied:
a person's edit of a field Conviso did not change stays, exactly as for Priority (R4).

Every value is plain text, never markup: CVE and CWE are reduced to their identifiers,
the other strings lose control characters and the markup delimiters ``<`` and ``>``, so
no field, whatever its type, can render something a scanned repository put there.

Whether the named fields exist on the work item type, and whether the values a route can
write are ones the type allows, is ``field_problems``: a pure check over the type's fields
as Azure DevOps lists them (``workitemtypes/{type}/fields?$expand=allowedValues``), used
when a configuration is saved and by check connection (R16).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .card import history_note
from .models import Link, Route, Vulnerability
from .vocabulary import NOTED_SLA_STATES, Severity, SlaState

__all__ = [
    "WRITTEN_KEYS",
    "TypeField",
    "applied_after",
    "changed_fields",
    "conviso_values",
    "create_fields",
    "field_problems",
    "noted_after",
    "sla_note",
]

#: The ``fields`` keys whose value the sync writes from Conviso's snapshot. The others
#: (``risk_accepted_until``) are read from the card, never written by it (R24).
WRITTEN_KEYS: tuple[str, ...] = (
    "due_date", "cve", "cwe", "cvss", "vulnerability_id", "asset", "type", "severity",
)  # fmt: skip
#: Azure DevOps' String fields hold at most 255 characters.
_MAX_TEXT = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MARKUP = re.compile(r"[<>]")
_SPACES = re.compile(r"\s+")
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
_CWE = re.compile(r"CWE-\d{1,5}", re.IGNORECASE)

FieldMap = dict[str, str | int]


def _plain(value: object) -> str:
    text = _SPACES.sub(" ", _MARKUP.sub("", _CONTROL.sub(" ", str(value)))).strip()
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _identifiers(pattern: re.Pattern[str], value: str | None) -> str | None:
    """``CVE-2021-44228, CVE-2021-45046`` out of whatever text holds them; None if none."""
    if not value:
        return None
    found = list(dict.fromkeys(m.upper() for m in pattern.findall(value)))
    return _plain(", ".join(found)) if found else None


def _stamp(moment: datetime) -> str:
    """ISO 8601 in UTC, as Azure DevOps takes a DateTime field's value."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conviso_values(vulnerability: Vulnerability) -> dict[str, str]:
    """What Conviso says of each writable key, as plain text; a key it says nothing of is
    absent (and never clears a field: the card keeps what it had)."""
    v = vulnerability
    detail = v.detail
    cvss = (
        f"{detail.cvss_score:g}"
        if detail.cvss_score is not None
        else (_plain(detail.cvss_metric) if detail.cvss_metric else None)
    )
    asset = f"{v.asset.name} (#{v.asset.id})" if v.asset.name else f"#{v.asset.id}"
    values: dict[str, str | None] = {
        "due_date": _stamp(v.sla.due_at) if v.sla and v.sla.due_at else None,
        "cve": _identifiers(_CVE, detail.cve),
        "cwe": _identifiers(_CWE, v.category),
        "cvss": cvss,
        "vulnerability_id": _plain(v.id),
        "asset": _plain(asset),
        "type": _plain(v.type) if v.type else None,
        "severity": v.severity.value if v.severity else None,
    }
    return {key: value for key, value in values.items() if value}


def _field_value(route: Route, key: str, value: str) -> str:
    """The value as the route writes it: a severity through ``severity_values``."""
    if key == "severity":
        return route.severity_values.get(Severity(value), value)
    return value


def create_fields(route: Route, vulnerability: Vulnerability) -> FieldMap:
    """A new card's mapped fields and the route's ``defaults`` (R21)."""
    fields: FieldMap = dict(route.defaults)
    values = conviso_values(vulnerability)
    for key, name in route.fields.items():
        if key in WRITTEN_KEYS and key in values:
            fields[name] = _field_value(route, key, values[key])
    return fields


def changed_fields(route: Route, vulnerability: Vulnerability, link: Link) -> FieldMap:
    """The mapped fields whose Conviso value changed since the one applied.

    A link made before fields were kept (``applied_fields`` None) writes none: nothing
    tells Conviso's change from a person's edit; the values are kept from now on."""
    if link.applied_fields is None:
        return {}
    values = conviso_values(vulnerability)
    fields: FieldMap = {}
    for key, name in route.fields.items():
        value = values.get(key)
        if key in WRITTEN_KEYS and value is not None and link.applied_fields.get(key) != value:
            fields[name] = _field_value(route, key, value)
    return fields


def applied_after(link: Link, vulnerability: Vulnerability) -> dict[str, str]:
    """The values the link keeps once a snapshot is applied; a value the snapshot lacks
    (an event without the SLA) keeps the one applied before."""
    return {**(link.applied_fields or {}), **conviso_values(vulnerability)}


def sla_note(vulnerability: Vulnerability, link: Link) -> str | None:
    """The one history note of an SLA state not yet said on the card (R20)."""
    sla = vulnerability.sla
    if sla is None or sla.state not in NOTED_SLA_STATES or sla.state in link.sla_noted:
        return None
    due = f" (due {_stamp(sla.due_at)[:10]})" if sla.due_at else ""
    if sla.state == SlaState.APPROACHING:
        left = f"; {sla.days_remaining} day(s) left" if sla.days_remaining is not None else ""
        text = (
            f"The remediation deadline of Conviso vulnerability #{vulnerability.id} is "
            f"approaching{due}{left}."
        )
    else:
        text = (
            f"The remediation deadline of Conviso vulnerability #{vulnerability.id} was "
            f"breached{due}."
        )
    return history_note(text)


def noted_after(link: Link, vulnerability: Vulnerability) -> tuple[SlaState, ...]:
    """The SLA states said once a write of the snapshot landed: its note went with it (a
    new card is created without one: it shows the deadline in its field already)."""
    state = vulnerability.sla.state if vulnerability.sla else None
    if state not in NOTED_SLA_STATES or state in link.sla_noted:
        return link.sla_noted
    return (*link.sla_noted, state)


# --------------------------------------------------------------- fit to the type


@dataclass(frozen=True)
class TypeField:
    """One field of a work item type, as ``workitemtypes/{type}/fields`` lists it."""

    reference_name: str
    name: str = ""
    always_required: bool = False
    #: the values a list field allows (empty: any value)
    allowed_values: tuple[str, ...] = ()
    #: the type fills the field itself on a new item (its ``defaultValue``)
    has_default: bool = False


def _allowed(value: object, field: TypeField) -> bool:
    return not field.allowed_values or str(value) in field.allowed_values


def _quoted(values: Iterable[str], limit: int = 8) -> str:
    listed = [f"'{v}'" for v in values]
    return ", ".join(listed[:limit]) + (", ..." if len(listed) > limit else "")


def field_problems(route: Route, type_fields: Mapping[str, TypeField]) -> list[tuple[str, str]]:
    """(route field path, problem) for each named field the type lacks, each value it
    would refuse, and each field it requires that nothing gives a value (R16, R21).

    ``type_fields`` is keyed by reference name in lower case (Azure DevOps compares
    reference names case-insensitively). Fields every new card gets from the sync
    (title, state, area…) are not asked for.
    """
    wit = route.work_item_type
    problems: list[tuple[str, str]] = []

    def missing(path: str, name: str) -> None:
        problems.append((path, f"field '{name}' does not exist on work item type '{wit}'"))

    for key, name in route.fields.items():
        found = type_fields.get(name.lower())
        if found is None:
            missing(f"fields.{key}", name)
            continue
        if key != "severity" or not found.allowed_values:
            continue
        written = {s: route.severity_values.get(s, s.value) for s in Severity}
        refused = sorted({v for s, v in written.items() if not _allowed(v, found)})
        if refused and not route.severity_values:
            problems.append(
                (
                    "fields.severity",
                    f"'{name}' allows only {_quoted(found.allowed_values)}: map each Conviso "
                    "severity to one of them in severity_values",
                )
            )
        elif refused:
            for severity, value in route.severity_values.items():
                if not _allowed(value, found):
                    problems.append(
                        (
                            f"severity_values.{severity.value}",
                            f"'{value}' is not an allowed value of '{name}' (allowed: "
                            f"{_quoted(found.allowed_values)})",
                        )
                    )
    for name, default in route.defaults.items():
        found = type_fields.get(name.lower())
        if found is None:
            missing(f"defaults.{name}", name)
        elif not _allowed(default, found):
            problems.append(
                (
                    f"defaults.{name}",
                    f"'{default}' is not an allowed value of '{name}' (allowed: "
                    f"{_quoted(found.allowed_values)})",
                )
            )
    given = {n.lower() for n in route.defaults} | {
        n.lower() for k, n in route.fields.items() if k in _ALWAYS_GIVEN
    }
    for field in type_fields.values():
        name = field.reference_name
        if (
            field.always_required
            and not field.has_default
            and name.lower() not in given | _SYNC_GIVES
        ):
            problems.append(
                (
                    "defaults",
                    f"work item type '{wit}' requires field '{name}': give it a value in defaults",
                )
            )
    return problems


#: Keys whose value every vulnerability has, so a required field they fill is given.
_ALWAYS_GIVEN = frozenset({"vulnerability_id", "asset"})
#: Fields a new card always gets a value for, from the sync or from Azure DevOps itself
#: (ids, dates, the project, the area and iteration it defaults).
_SYNC_GIVES = frozenset(
    name.lower()
    for name in (
        "System.Title", "System.Description", "System.State", "System.Reason", "System.Tags",
        "System.AreaPath", "System.AreaId", "System.IterationPath", "System.IterationId",
        "System.TeamProject", "System.WorkItemType", "System.Id", "System.Rev",
        "System.CreatedBy", "System.CreatedDate", "System.ChangedBy", "System.ChangedDate",
        "System.AuthorizedAs", "System.AuthorizedDate", "System.RevisedDate",
        "System.Watermark", "System.NodeName", "System.PersonId", "System.History",
        "Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Common.StateChangeDate",
    )
)  # fmt: skip
