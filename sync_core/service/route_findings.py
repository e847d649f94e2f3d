"""A route's area and iteration paths and its fields, judged against Azure DevOps (R3, R21).

Shared by check connection (each finding one item of its report) and by the save of a
configuration (a finding that fails refuses the save, naming the route's field). Each takes
only the reads it needs (``PathInspectable``, ``FieldInspectable``), so the save can ask
the same questions of the client it already holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..ports import AuthenticationError, ConfigurationError, TeamFieldValues
from ..rules import Route
from ..rules.fields import TypeField, field_problems
from ..rules.vocabulary import AREA_PATH_FIELD

__all__ = [
    "FieldInspectable",
    "PathFinding",
    "PathInspectable",
    "route_field_findings",
    "route_path_findings",
]

#: A refusal names at most this many of the team's areas.
_AREAS_NAMED = 10


class PathInspectable(Protocol):
    """The reads that tell whether a route's area and iteration paths will work (R3)."""

    def team_field_values(self, project: str, team: str) -> TeamFieldValues: ...
    def classification_node_exists(self, project: str, group: str, path: str) -> bool: ...


class FieldInspectable(Protocol):
    """The read that tells whether a route's fields and defaults fit its type (R21)."""

    def work_item_type_fields(self, project: str, work_item_type: str) -> list[TypeField]: ...


@dataclass(frozen=True)
class PathFinding:
    """One verdict on a route's area or iteration path, for check connection and for save.

    ``item`` names it in the check report; ``field`` is the route's field it is about.
    """

    item: str
    field: str
    ok: bool
    reason: str


def route_path_findings(boards: PathInspectable, route: Route) -> list[PathFinding]:
    """Whether the route's named paths exist and its team's board shows its area (R3).

    A card created in an area the team does not show is on no board of the route: Azure
    DevOps accepts it and the team never sees it. The team shows an area that equals one of
    its ``teamfieldvalues`` or lies under one that includes its children; a project whose
    teams select their items by another field than the area path has nothing to compare.
    Azure DevOps' refusals about the project or team become failed findings with its own
    message; authentication failures and unanswered requests are raised to the caller, who
    knows whether that means "not checked" (save) or a failed item (check connection).
    """
    p, t = route.project, route.team
    findings: list[PathFinding] = []

    def ask(item: str, field_name: str, read: Callable[[], tuple[bool, str]]) -> bool:
        try:
            ok, reason = read()
        except AuthenticationError:
            raise
        except ConfigurationError as exc:
            ok, reason = False, str(exc)
        findings.append(PathFinding(item, field_name, ok, reason))
        return ok

    def node(group: str, path: str) -> tuple[bool, str]:
        if boards.classification_node_exists(p, group, path):
            return True, "exists"
        kind = "area" if group == "Areas" else "iteration"
        return False, f"{kind} path '{path}' does not exist in project '{p}'"

    area, iteration = route.area_path, route.iteration_path
    if area is not None and ask(f"area_path:{p}/{area}", "area_path", lambda: node("Areas", area)):
        ask(
            f"area_shown:{p}/{t}/{area}", "area_path",
            lambda: _shows(boards.team_field_values(p, t), t, area),
        )  # fmt: skip
    if iteration is not None:
        item = f"iteration_path:{p}/{iteration}"
        ask(item, "iteration_path", lambda: node("Iterations", iteration))
    return findings


def route_field_findings(boards: FieldInspectable, route: Route) -> list[PathFinding]:
    """Whether every field the route names (``fields``, ``defaults``) exists on its work
    item type, every value it can write is one the type allows, and every field the type
    requires gets a value (R16, R21). One request: the type's fields with their allowed
    values. ``field`` is the route's key the finding is about (``fields.due_date``,
    ``severity_values.HIGH``, ``defaults.Custom.Team``, ``defaults``).

    Azure DevOps' refusal (the type does not exist) is a failed finding in its words;
    authentication failures and unanswered requests are raised, as for the paths."""
    p, wit = route.project, route.work_item_type
    try:
        listed = boards.work_item_type_fields(p, wit)
    except AuthenticationError:
        raise
    except ConfigurationError as exc:
        return [PathFinding(f"fields:{p}/{wit}", "fields", False, str(exc))]
    problems = field_problems(route, {f.reference_name.lower(): f for f in listed})
    findings = [PathFinding(f"field:{p}/{wit}/{path}", path, False, why) for path, why in problems]
    flagged = {path for path, _ in problems}
    severity_flagged = any(path.startswith("severity_values.") for path in flagged)
    for key, name in route.fields.items():
        path = f"fields.{key}"
        if path not in flagged and not (key == "severity" and severity_flagged):
            reason = "exists" + (", and allows every value written" if key == "severity" else "")
            findings.append(PathFinding(f"field:{p}/{wit}/{name}", path, True, reason))
    for name in route.defaults:
        path = f"defaults.{name}"
        if path not in flagged:
            findings.append(
                PathFinding(f"field:{p}/{wit}/{name}", path, True, "exists and allows the value")
            )
    return findings


def _shows(values: TeamFieldValues, team: str, area: str) -> tuple[bool, str]:
    if values.field_name != AREA_PATH_FIELD:
        return True, f"team '{team}' selects its work items by {values.field_name}, not the area"
    if values.shows(area):
        return True, f"team '{team}' shows area '{area}'"
    named = [f"{v.value}{' (and below)' if v.include_children else ''}" for v in values.values]
    areas = ", ".join(named[:_AREAS_NAMED]) + (", ..." if len(named) > _AREAS_NAMED else "")
    return False, (
        f"team '{team}' does not show area '{area}' on its board (its areas: {areas or 'none'})"
    )
