"""Discovery: what the organization holds, so an operator writes a configuration without
guessing (projects, teams, boards with their columns and lanes, a team's areas, work item
types and their states with categories). Lists are read to their end by the client (teams
come 100 at a time).

Read-only and answered as plain JSON lists from the Azure DevOps client. Azure DevOps'
refusals keep their meaning for the caller (``refusals.azure_devops_answers``): a project that does
not exist is a 404 with Azure DevOps' own message, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ports import (
    Boards,
)
from .context import SyncContext
from .errors import InvalidInput
from .intake import load_integration
from .refusals import azure_devops_answers

__all__ = ["discover"]


def _projects(client: Boards, *_: str) -> Any:
    return [{"id": p.id, "name": p.name, "state": p.state} for p in client.list_projects()]


def _teams(client: Boards, project: str) -> Any:
    return [
        {"id": t.id, "name": t.name, "description": t.description}
        for t in client.list_teams(project)
    ]


def _boards(client: Boards, project: str, team: str) -> Any:
    return [{"id": b.id, "name": b.name} for b in client.list_boards(project, team)]


def _board(client: Boards, project: str, team: str, board: str) -> Any:
    """Columns with their state mappings, lanes, and the fields a route writes through."""
    found = client.get_board(project, team, board)
    fields = found.fields
    return {
        "id": found.id,
        "name": found.name,
        "columns": [
            {
                "name": c.name,
                "column_type": c.column_type,
                "state_mappings": dict(c.state_mappings),
                "is_split": bool(c.is_split),
                "item_limit": c.item_limit,
            }
            for c in found.columns
        ],
        # The default lane has no name; a route's ``lane: null`` means it.
        "lanes": [{"id": r.id, "name": r.name, "default": r.name is None} for r in found.rows],
        "fields": {
            "column": fields.column_field.reference_name,
            "lane": fields.row_field.reference_name if fields.row_field else None,
            "done": fields.done_field.reference_name if fields.done_field else None,
        },
    }


def _areas(client: Boards, project: str, team: str) -> Any:
    """The areas the team's board shows: a route's ``area_path`` is one of them or below
    one marked ``include_children`` (R3); ``default`` is where a card without one goes."""
    found = client.team_field_values(project, team)
    return [
        {
            "path": v.value,
            "include_children": v.include_children,
            "default": v.value == found.default_value,
        }
        for v in found.values
    ]


def _types(client: Boards, project: str) -> Any:
    return [
        {"name": t.name, "reference_name": t.reference_name, "disabled": t.is_disabled}
        for t in client.work_item_types(project)
    ]


def _states(client: Boards, project: str, work_item_type: str) -> Any:
    return [
        {"name": s.name, "category": s.category, "color": s.color}
        for s in client.work_item_type_states(project, work_item_type)
    ]


def _fields(client: Boards, project: str, work_item_type: str) -> Any:
    """The type's fields for a route's ``fields``/``defaults`` pickers (R20, R21): which it
    requires and, for a list field, its allowed values (e.g. Severity's "1 - Critical")."""
    listed = client.work_item_type_fields(project, work_item_type)
    return [
        {
            "reference_name": f.reference_name,
            "name": f.name,
            "required": f.always_required,
            "has_default": f.has_default,
            "allowed_values": list(f.allowed_values),
        }
        for f in listed
    ]


#: Path shape (literal words, ``*`` for a name) -> what answers it.
_ROUTES: tuple[tuple[tuple[str, ...], Callable[..., Any]], ...] = (
    (("projects",), _projects),
    (("projects", "*", "teams"), _teams),
    (("projects", "*", "teams", "*", "boards"), _boards),
    (("projects", "*", "teams", "*", "boards", "*"), _board),
    (("projects", "*", "teams", "*", "areas"), _areas),
    (("projects", "*", "workitemtypes"), _types),
    (("projects", "*", "workitemtypes", "*", "states"), _states),
    (("projects", "*", "workitemtypes", "*", "fields"), _fields),
)
PATHS = (
    "projects",
    "projects/{project}/teams",
    "projects/{project}/teams/{team}/boards",
    "projects/{project}/teams/{team}/boards/{board}",
    "projects/{project}/teams/{team}/areas",
    "projects/{project}/workitemtypes",
    "projects/{project}/workitemtypes/{type}/states",
    "projects/{project}/workitemtypes/{type}/fields",
    "assets",
)


def _match(segments: list[str]) -> tuple[Callable[..., Any], list[str]] | None:
    for shape, handler in _ROUTES:
        if len(shape) == len(segments) and all(
            word == "*" or word == segment.lower()
            for word, segment in zip(shape, segments, strict=True)
        ):
            return handler, [s for word, s in zip(shape, segments, strict=True) if word == "*"]
    return None


def discover(ctx: SyncContext, integration_id: str, path: str) -> dict[str, Any]:
    """``{"path": ..., "items" | "board": ...}`` for one discovery path; 400 for an unknown one."""
    segments = [s for s in path.strip("/").split("/") if s]
    if [s.lower() for s in segments] == ["assets"]:  # Conviso's, for the asset picker
        from .assets import list_assets

        return list_assets(ctx, integration_id)
    found = _match(segments)
    if found is None or any(len(name) > 256 for name in segments):
        raise InvalidInput(f"unknown discovery path '{path[:200]}'; one of: {', '.join(PATHS)}")
    handler, names = found
    config = load_integration(ctx, integration_id)
    with azure_devops_answers():
        client = ctx.boards_for(integration_id, config)
        answer = handler(client, *names)
    key = "board" if handler is _board else "items"
    return {"path": "/".join(segments), key: answer}
