"""The emulated organization: processes, projects, teams, boards, loaded from a seed.

Names are looked up the way Azure DevOps looks them up: by name or id, case-insensitively.
A failed lookup raises ``ApiError`` with the status and message the service answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SEED",
    "ApiError",
    "BoardState",
    "Person",
    "ProcessType",
    "ProjectState",
    "TeamState",
    "World",
    "load_seed",
]

DEFAULT_SEED = Path(__file__).with_name("seed.json")
DEFAULT_LANE_ID = "00000000-0000-0000-0000-000000000000"


class ApiError(Exception):
    """An answer other than 2xx, shaped like Azure DevOps' error JSON."""

    def __init__(
        self,
        status: int,
        message: str,
        type_key: str = "InvalidOperationException",
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type_key = type_key
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "$id": "1",
            "innerException": None,
            "message": self.message,
            "typeName": f"Microsoft.VisualStudio.Services.Emulated.{self.type_key}, Emulator",
            "typeKey": self.type_key,
            "errorCode": 0,
            "eventId": 3000,
        }


@dataclass(frozen=True)
class Person:
    id: str
    display_name: str
    unique_name: str

    def ref(self, base_url: str) -> dict[str, Any]:
        """An IdentityRef as work item fields and ``revisedBy`` carry it."""
        return {
            "displayName": self.display_name,
            "url": f"{base_url}/_apis/Identities/{self.id}",
            "_links": {
                "avatar": {"href": f"{base_url}/_apis/GraphProfile/MemberAvatars/{self.id}"}
            },
            "id": self.id,
            "uniqueName": self.unique_name,
            "imageUrl": f"{base_url}/_api/_common/identityImage?id={self.id}",
            "descriptor": f"aad.{self.id}",
        }

    @property
    def signature(self) -> str:
        """How resourceVersion 1.0 payloads spell an identity: ``Name <email>``."""
        return f"{self.display_name} <{self.unique_name}>"


@dataclass(frozen=True)
class ProcessType:
    name: str
    reference_name: str
    color: str
    icon: str
    states: tuple[tuple[str, str, str], ...]  # (name, category, color)

    def state_names(self) -> list[str]:
        return [s[0] for s in self.states]

    def category_of(self, state: str) -> str | None:
        return next((c for n, c, _ in self.states if n == state), None)


@dataclass
class BoardState:
    id: str
    name: str
    wef: str
    columns: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    team: TeamState | None = None

    @property
    def column_field(self) -> str:
        return f"WEF_{self.wef}_Kanban.Column"

    @property
    def done_field(self) -> str:
        return f"WEF_{self.wef}_Kanban.Column.Done"

    @property
    def lane_field(self) -> str:
        return f"WEF_{self.wef}_Kanban.Lane"

    def wef_fields(self) -> tuple[str, str, str]:
        return (self.column_field, self.done_field, self.lane_field)

    def holds(self, work_item_type: str) -> bool:
        return any(work_item_type in c.get("stateMappings", {}) for c in self.columns)

    def column(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.columns if c["name"] == name), None)

    def first_column_for(self, work_item_type: str, state: str) -> dict[str, Any] | None:
        return next(
            (c for c in self.columns if c.get("stateMappings", {}).get(work_item_type) == state),
            None,
        )

    def lane_names(self) -> list[str | None]:
        return [r.get("name") for r in self.rows]


@dataclass
class TeamState:
    id: str
    name: str
    area_path: str
    description: str = ""
    boards: list[BoardState] = field(default_factory=list)

    def board(self, name_or_id: str) -> BoardState:
        wanted = name_or_id.lower()
        for board in self.boards:
            if wanted in (board.id.lower(), board.name.lower()):
                return board
        raise ApiError(
            404,
            f"The board '{name_or_id}' does not exist for team '{self.name}'.",
            "BoardDoesNotExistException",
        )


@dataclass
class ProjectState:
    id: str
    name: str
    description: str
    process_name: str
    types: dict[str, ProcessType]
    teams: list[TeamState] = field(default_factory=list)

    def team(self, name_or_id: str) -> TeamState:
        wanted = name_or_id.lower()
        for team in self.teams:
            if wanted in (team.id.lower(), team.name.lower()):
                return team
        raise ApiError(
            404,
            f"The team with id or name '{name_or_id}' does not exist in project '{self.name}'.",
            "TeamNotFoundException",
        )

    def work_item_type(self, name: str) -> ProcessType:
        for type_name, process_type in self.types.items():
            if type_name.lower() == name.lower():
                return process_type
        raise ApiError(
            404,
            f"Work item type {name} does not exist in project {self.name}.",
            "WorkItemTypeNotFoundException",
        )

    def boards(self) -> list[BoardState]:
        return [board for team in self.teams for board in team.boards]


class World:
    """Everything seeded, plus the lookups the HTTP handlers share."""

    def __init__(self, seed: dict[str, Any]) -> None:
        self.organization: str = seed["organization"]
        self.collection_id: str = seed["collectionId"]
        self.account_id: str = seed["accountId"]
        self.pat: str = seed["pat"]
        self.service_identity = _person(seed["serviceIdentity"])
        self.people = {p.display_name: p for p in map(_person, seed.get("people", []))}
        self.processes = {
            name: {t: _process_type(t, spec) for t, spec in process["types"].items()}
            for name, process in seed["processes"].items()
        }
        self.process_ids = {name: p["id"] for name, p in seed["processes"].items()}
        self.projects = [self._project(p) for p in seed["projects"]]

    def _project(self, spec: dict[str, Any]) -> ProjectState:
        project = ProjectState(
            id=spec["id"],
            name=spec["name"],
            description=spec.get("description", ""),
            process_name=spec["process"],
            types=self.processes[spec["process"]],
        )
        for team_spec in spec.get("teams", []):
            team = TeamState(
                id=team_spec["id"],
                name=team_spec["name"],
                area_path=team_spec.get("areaPath", project.name),
                description=team_spec.get("description", "The default project team."),
            )
            for board_spec in team_spec.get("boards", []):
                rows = board_spec.get("rows") or [{"id": DEFAULT_LANE_ID, "name": None}]
                team.boards.append(
                    BoardState(
                        id=board_spec["id"],
                        name=board_spec["name"],
                        wef=board_spec["wef"],
                        columns=board_spec["columns"],
                        rows=rows,
                        team=team,
                    )
                )
            project.teams.append(team)
        return project

    def project(self, name_or_id: str) -> ProjectState:
        wanted = name_or_id.lower()
        for project in self.projects:
            if wanted in (project.id.lower(), project.name.lower()):
                return project
        raise ApiError(
            404,
            f"TF200016: The following project does not exist: {name_or_id}. Verify that the "
            "name of the project is correct and that the project exists on the specified "
            "Azure DevOps Server.",
            "ProjectDoesNotExistWithNameException",
        )

    def person(self, name: str) -> Person:
        """A person by display name; unknown names become people (demo convenience). The
        service identity's name is the service identity (to act as the app in tests)."""
        if name == self.service_identity.display_name:
            return self.service_identity
        if name not in self.people:
            import uuid

            person_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator-person:{name}"))
            slug = "".join(ch for ch in name.lower() if ch.isalnum()) or "someone"
            self.people[name] = Person(person_id, name, f"{slug}@fabrikam.example")
        return self.people[name]

    def wef_fields(self) -> set[str]:
        return {f for project in self.projects for b in project.boards() for f in b.wef_fields()}


def load_seed(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or DEFAULT_SEED).read_text(encoding="utf-8"))


def _person(spec: dict[str, Any]) -> Person:
    return Person(spec["id"], spec["displayName"], spec["uniqueName"])


def _process_type(name: str, spec: dict[str, Any]) -> ProcessType:
    return ProcessType(
        name=name,
        reference_name=spec["referenceName"],
        color=spec["color"],
        icon=spec["icon"],
        states=tuple((s[0], s[1], s[2]) for s in spec["states"]),
    )
