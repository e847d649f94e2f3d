"""Discovery: what the organization holds (projects, teams, areas, boards, work item types)
and who the credentials are — read by setup, check connection and the board layout cache.

Read-only operations, each one documented request (the contract tests check them against
the official spec); listings are paged to the end and never loop on a service that does
not move on.
"""

from __future__ import annotations

from typing import Any

from sync_core.rules.fields import TypeField
from sync_core.rules.models import BoardLayout

from .errors import AuthenticationError, ConfigurationError
from .layout import board_layout_from
from .models import (
    Board,
    BoardColumnInfo,
    BoardReference,
    BoardRow,
    ConnectionData,
    Identity,
    Project,
    Team,
    TeamFieldValues,
    WorkItemStateInfo,
    WorkItemTypeInfo,
)
from .rest import OrganizationRest, list_values

__all__ = ["MAX_PROJECT_PAGES", "MAX_TEAM_PAGES", "TEAM_PAGE", "Discovery"]

#: Projects are paged by continuation token; stop somewhere.
MAX_PROJECT_PAGES = 50
#: Teams are paged by ``$top``/``$skip``; 100 is the service's own default page.
TEAM_PAGE = 100
#: 100,000 teams: far past any real project, short of a loop.
MAX_TEAM_PAGES = 1000
#: ``structureGroup`` of classification nodes, as the official examples spell it.
_STRUCTURE_GROUPS = {"areas": "Areas", "iterations": "Iterations"}


class Discovery(OrganizationRest):
    """The organization's projects, teams, boards and types, and the caller's identity."""

    def connection_data(self) -> ConnectionData:
        """``GET _apis/connectionData``: who the credentials are (undocumented, widely used).

        Sent without ``api-version``, which a GET may omit; the resource is preview-only.
        """
        body = self._get(self._url("_apis", "connectionData"), versioned=False)
        return ConnectionData.model_validate(body)

    def current_identity(self) -> Identity:
        """The identity this client writes as: revisions by its ``id`` are echoes (R8)."""
        return self.connection_data().authenticated_user

    def check_connection(self) -> Identity:
        """Raises ``AuthenticationError`` or another error when the organization is unusable."""
        return self.current_identity()

    # ------------------------------------------------------------------ discovery

    def list_projects(self) -> list[Project]:
        """Every project: 100 a page, the next page named by ``x-ms-continuationtoken``.

        A token seen before ends the listing (a service that never moves on must not loop),
        and a project is listed once however often it is answered.
        """
        projects: dict[str, Project] = {}
        token: str | None = None
        tokens: set[str] = set()
        for _ in range(MAX_PROJECT_PAGES):
            params = {"continuationToken": token} if token else None
            response = self._send("GET", self._url("_apis", "projects"), params=params)
            for project in (Project.model_validate(p) for p in list_values(response.json())):
                projects.setdefault(project.id, project)
            token = response.headers.get("x-ms-continuationtoken")
            if not token or token in tokens:
                break
            tokens.add(token)
        return list(projects.values())

    def list_teams(self, project: str) -> list[Team]:
        """Every team of the project, read ``$top``/``$skip`` a page to the end.

        The service answers 100 teams when ``$top`` is not given (core.json ``Teams_Get
        Teams``; Azure/azure-sdk-tools#181): one page would call team 101 "missing" (R16).
        A page shorter than asked for is the last; a page of teams already seen (a service
        that ignores ``$skip``) ends the listing rather than looping.
        """
        url = self._url("_apis", "projects", project, "teams")
        teams: list[Team] = []
        seen: set[str] = set()
        for _ in range(MAX_TEAM_PAGES):
            params = {"$top": str(TEAM_PAGE), "$skip": str(len(teams))}
            page = [Team.model_validate(t) for t in list_values(self._get(url, params=params))]
            fresh = [t for t in page if t.id not in seen]
            seen.update(t.id for t in fresh)
            teams += fresh
            if len(page) < TEAM_PAGE or not fresh:
                break
        return teams

    def team_field_values(self, project: str, team: str) -> TeamFieldValues:
        """The team's areas (``values``, each with ``includeChildren``) and its default area.

        ``GET {org}/{project}/{team}/_apis/work/teamsettings/teamfieldvalues``: a team's
        board shows only the items whose area is one of these (R3).
        """
        url = self._url(project, team, "_apis", "work", "teamsettings", "teamfieldvalues")
        return TeamFieldValues.model_validate(self._get(url))

    def classification_node_exists(self, project: str, group: str, path: str) -> bool:
        """Whether an area (``group="Areas"``) or iteration (``"Iterations"``) path exists.

        ``path`` is the full path as work items carry it (``Fabrikam\\Security``); the node
        is asked by its path below the project root: ``classificationnodes/Areas/Security``,
        and the root itself (``Fabrikam``) is ``classificationnodes/Areas``. A path that does
        not start with the project's name, or has an empty node name, cannot exist in the
        project and costs no request; a 404 is "no such node".
        """
        structure = _STRUCTURE_GROUPS.get(group.casefold())
        if structure is None:
            raise ValueError("group must be 'Areas' or 'Iterations'")
        root, *nodes = path.split("\\")
        if root.casefold() != project.casefold() or not all(nodes):
            return False
        url = self._url(project, "_apis", "wit", "classificationnodes", structure, *nodes)
        try:
            self._get(url)
        except ConfigurationError as exc:
            if exc.status == 404 and not isinstance(exc, AuthenticationError):
                return False
            raise
        return True

    def list_boards(self, project: str, team: str) -> list[BoardReference]:
        body = self._get(self._url(project, team, "_apis", "work", "boards"))
        return [BoardReference.model_validate(b) for b in list_values(body)]

    def get_board(self, project: str, team: str, board: str) -> Board:
        """The board with its columns, rows and ``fields`` (column/row/done field names)."""
        body = self._get(self._url(project, team, "_apis", "work", "boards", board))
        return Board.model_validate(body)

    def board_columns(self, project: str, team: str, board: str) -> list[BoardColumnInfo]:
        url = self._url(project, team, "_apis", "work", "boards", board, "columns")
        return [BoardColumnInfo.model_validate(c) for c in list_values(self._get(url))]

    def board_rows(self, project: str, team: str, board: str) -> list[BoardRow]:
        url = self._url(project, team, "_apis", "work", "boards", board, "rows")
        return [BoardRow.model_validate(r) for r in list_values(self._get(url))]

    def work_item_types(self, project: str) -> list[WorkItemTypeInfo]:
        body = self._get(self._url(project, "_apis", "wit", "workitemtypes"))
        return [WorkItemTypeInfo.model_validate(t) for t in list_values(body)]

    def work_item_type_states(self, project: str, work_item_type: str) -> list[WorkItemStateInfo]:
        url = self._url(project, "_apis", "wit", "workitemtypes", work_item_type, "states")
        return [WorkItemStateInfo.model_validate(s) for s in list_values(self._get(url))]

    def work_item_type_fields(self, project: str, work_item_type: str) -> list[TypeField]:
        """The type's fields, which it always requires, and a list field's allowed values:
        ``GET {project}/_apis/wit/workitemtypes/{type}/fields?$expand=allowedValues``
        (wit 7.1 ``Work Item Types Field - List``). Checked against a route's ``fields``
        and ``defaults`` on save and by check connection (R16, R21)."""
        url = self._url(project, "_apis", "wit", "workitemtypes", work_item_type, "fields")
        body = self._get(url, params={"$expand": "allowedValues"})
        return [_type_field(f) for f in list_values(body) if isinstance(f, dict)]

    def board_layout(self, project: str, team: str, board: str, work_item_type: str) -> BoardLayout:
        """What the rules need of a route's board: three requests (board, type states, the
        team's areas), cached by the service. The team's default area is where a new card
        goes when the route names none, so that it is on the team's board at all (R3)."""
        areas = self.team_field_values(project, team)
        return board_layout_from(
            self.get_board(project, team, board),
            self.work_item_type_states(project, work_item_type),
        ).model_copy(update={"team_field": areas.field_name, "team_default": areas.default_value})


def _type_field(wire: dict[str, Any]) -> TypeField:
    """``WorkItemTypeFieldWithReferences``; an identity field's allowed values are objects
    (people), not a list the route's values are checked against."""
    allowed = wire.get("allowedValues") or []
    return TypeField(
        reference_name=str(wire.get("referenceName") or ""),
        name=str(wire.get("name") or ""),
        always_required=bool(wire.get("alwaysRequired")),
        allowed_values=tuple(str(v) for v in allowed if isinstance(v, str | int | float)),
        has_default=wire.get("defaultValue") not in (None, ""),
    )
