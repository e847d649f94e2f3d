"""The emulated organization: processes, projects, teams, boards, loaded from a seed.

Names are looked up the way Azure DevOps looks them up: by name or id, case-insensitively.
A failed lookup raises ``ApiError`` with the status and message the service answers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SEED",
    "ApiError",
    "BoardState",
    "ClassificationNode",
    "FieldSpec",
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
        type_name: str | None = None,
        custom_properties: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type_key = type_key
        self.headers = headers or {}
        self.type_name = type_name
        self.custom_properties = custom_properties

    def body(self) -> dict[str, Any]:
        type_name = (
            self.type_name or f"Microsoft.VisualStudio.Services.Emulated.{self.type_key}, Emulator"
        )
        extra = {"customProperties": self.custom_properties} if self.custom_properties else {}
        return {
            "$id": "1",
            **extra,
            "innerException": None,
            "message": self.message,
            "typeName": type_name,
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
class FieldSpec:
    """One field of a work item type, as ``workitemtypes/{type}/fields?$expand=
    allowedValues`` lists it (wit 7.1 ``WorkItemTypeFieldWithReferences``)."""

    reference_name: str
    name: str
    allowed_values: tuple[str, ...] = ()
    always_required: bool = False
    default_value: Any = None
    help_text: str | None = None


def _core_fields(states: tuple[tuple[str, str, str], ...]) -> list[FieldSpec]:
    """The System fields every type has. Which are required, their defaults and allowed
    values follow the real Bug's answer (specs/azure-devops wit 7.1 httpExamples
    ``workItemTypesField/GET__workItemType_fields_expand.json``: Title, AreaId and
    IterationId always required; State required, defaulting to the initial state)."""
    initial = next((n for n, c, _ in states if c == "Proposed"), states[0][0])
    plain = [
        ("System.Description", "Description"), ("System.Reason", "Reason"),
        ("System.Tags", "Tags"), ("System.History", "History"),
        ("System.AreaPath", "Area Path"), ("System.IterationPath", "Iteration Path"),
        ("System.AssignedTo", "Assigned To"), ("System.Id", "ID"), ("System.Rev", "Rev"),
        ("System.TeamProject", "Team Project"), ("System.WorkItemType", "Work Item Type"),
        ("System.CreatedDate", "Created Date"), ("System.CreatedBy", "Created By"),
        ("System.ChangedDate", "Changed Date"), ("System.ChangedBy", "Changed By"),
        ("System.AuthorizedDate", "Authorized Date"), ("System.RevisedDate", "Revised Date"),
        ("System.Watermark", "Watermark"), ("System.CommentCount", "Comment Count"),
        ("System.BoardColumn", "Board Column"), ("System.BoardColumnDone", "Board Column Done"),
        ("System.BoardLane", "Board Lane"), ("System.NodeName", "Node Name"),
    ]  # fmt: skip
    return [
        FieldSpec("System.Title", "Title", always_required=True),
        FieldSpec("System.AreaId", "Area ID", always_required=True),
        FieldSpec("System.IterationId", "Iteration ID", always_required=True),
        FieldSpec("System.State", "State", tuple(sorted(n for n, _, _ in states)), True, initial),
        *(FieldSpec(ref, name) for ref, name in plain),
    ]


#: Process fields of a type the seed gives none for: what the emulator always accepted.
#: Priority, Severity and Value Area as the real Bug lists them (same example file).
_DEFAULT_PROCESS_FIELDS: tuple[dict[str, Any], ...] = (
    {"referenceName": "Microsoft.VSTS.Common.Priority", "name": "Priority",
     "allowedValues": ["1", "2", "3", "4"], "defaultValue": 2},
    {"referenceName": "Microsoft.VSTS.Common.Severity", "name": "Severity",
     "allowedValues": ["1 - Critical", "2 - High", "3 - Medium", "4 - Low"],
     "defaultValue": "3 - Medium"},
    {"referenceName": "Microsoft.VSTS.Common.ValueArea", "name": "Value Area",
     "allowedValues": ["Architectural", "Business"], "alwaysRequired": True,
     "defaultValue": "Business"},
    {"referenceName": "Microsoft.VSTS.TCM.ReproSteps", "name": "Repro Steps"},
    {"referenceName": "Microsoft.VSTS.Common.AcceptanceCriteria", "name": "Acceptance Criteria"},
    {"referenceName": "Microsoft.VSTS.Scheduling.RemainingWork", "name": "Remaining Work"},
    {"referenceName": "Microsoft.VSTS.Common.StateChangeDate", "name": "State Change Date"},
)  # fmt: skip


def _field_spec(spec: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        reference_name=spec["referenceName"],
        name=spec.get("name") or spec["referenceName"],
        allowed_values=tuple(str(v) for v in spec.get("allowedValues", ())),
        always_required=bool(spec.get("alwaysRequired", False)),
        default_value=spec.get("defaultValue"),
        help_text=spec.get("helpText"),
    )


@dataclass(frozen=True)
class ProcessType:
    name: str
    reference_name: str
    color: str
    icon: str
    states: tuple[tuple[str, str, str], ...]  # (name, category, color)
    #: the type's fields by lower-case reference name (reference names compare without
    #: regard to case); a test may mark one required (``World.require_field``)
    fields: dict[str, FieldSpec] = field(default_factory=dict, compare=False, hash=False)

    def field_spec(self, reference_name: str) -> FieldSpec | None:
        return self.fields.get(reference_name.lower())

    def state_names(self) -> list[str]:
        return [s[0] for s in self.states]

    def category_of(self, state: str) -> str | None:
        return next((c for n, c, _ in self.states if n == state), None)

    def initial_state(self) -> str:
        """The state a new work item of this type starts in: the first of category Proposed.

        Azure Boards creates a work item only in this state (MicrosoftDocs/azure-devops-docs
        ``docs/boards/queries/import-work-items-from-csv.md``: "All work items you import are
        created in a new state"; Azure/azure-devops-cli-extension #273, #397 and PR #407
        removed ``--state`` from ``az boards work-item create`` for that reason).
        """
        return next((n for n, c, _ in self.states if c == "Proposed"), self.states[0][0])


@dataclass
class ClassificationNode:
    """One area or iteration node (wit 7.1 ``WorkItemClassificationNode``).

    ``parts`` is the path below the project root (``()`` for the root itself), so the
    node's work item path is ``"\\".join((project, *parts))``.
    """

    id: int
    identifier: str
    name: str
    structure_type: str  # "area" | "iteration"
    parts: tuple[str, ...]
    attributes: dict[str, Any] | None = None
    children: list[ClassificationNode] = field(default_factory=list)

    def child(self, name: str) -> ClassificationNode | None:
        """Node names compare case-insensitively, as area and iteration paths do."""
        return next((c for c in self.children if c.name.lower() == name.lower()), None)

    def find(self, parts: tuple[str, ...]) -> ClassificationNode | None:
        node: ClassificationNode | None = self
        for part in parts:
            node = node.child(part) if node else None
        return node

    def walk(self) -> list[ClassificationNode]:
        return [self, *(n for c in self.children for n in c.walk())]


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
    """A team, its board(s) and its areas (its team field values).

    ``area_path`` is the team's default area (``defaultValue``); ``areas`` are its
    ``values``: ``(path, includeChildren)`` pairs, as ``GET .../teamsettings/teamfieldvalues``
    answers them (work 7.1 ``teamFieldValues/GET__work_teamsettings_teamfieldvalues.json``).
    """

    id: str
    name: str
    area_path: str
    description: str = ""
    boards: list[BoardState] = field(default_factory=list)
    areas: list[tuple[str, bool]] = field(default_factory=list)

    def shows(self, area_path: str) -> bool:
        """A team's board shows the work items whose area is one of the team's areas, or
        under one that includes its children (MicrosoftDocs azure-devops-docs
        ``docs/boards/work-items/move-work-items.md``: work items "appear on a team's backlog
        based on their assignment to the Area Path(s) owned by a team"; ``set-area-paths.md``
        for "include sub areas"; a team's areas are its team field values, work 7.1
        ``TeamFieldValues``). Area paths compare case-insensitively."""
        wanted = area_path.lower()
        for value, include_children in self.areas:
            area = value.lower()
            if wanted == area or (include_children and wanted.startswith(area + "\\")):
                return True
        return False

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
    areas: ClassificationNode | None = None
    iterations: ClassificationNode | None = None

    def tree(self, group: str) -> ClassificationNode:
        """``Areas`` or ``Iterations`` (case-insensitive), the structure groups of wit 7.1."""
        root = {"areas": self.areas, "iterations": self.iterations}.get(group.lower())
        if root is None:
            raise ApiError(
                400,
                f"The structure group '{group}' is not valid; use Areas or Iterations.",
                "ArgumentException",
            )
        return root

    def canonical_path(self, group: str, path: str) -> str | None:
        """The node's path as Azure Boards stores it, or None if no such node exists.

        A work item path is ``Project[\\Node...]``; names compare case-insensitively and the
        stored value takes the node's own spelling.
        """
        project, *parts = path.split("\\")
        if project.lower() != self.name.lower() or any(not p for p in parts):
            return None
        node = self.tree(group).find(tuple(parts))
        return None if node is None else "\\".join((self.name, *node.parts))

    def boards_showing(self, work_item_type: str, area_path: str) -> list[BoardState]:
        """The boards a work item is on: its type is on the board, its area is the team's."""
        return [
            b
            for team in self.teams
            if team.shows(area_path)
            for b in team.boards
            if b.holds(work_item_type)
        ]

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
        self._node_ids = 0
        self.projects = [self._project(p) for p in seed["projects"]]

    def _project(self, spec: dict[str, Any]) -> ProjectState:
        project = ProjectState(
            id=spec["id"],
            name=spec["name"],
            description=spec.get("description", ""),
            process_name=spec["process"],
            types=self.processes[spec["process"]],
        )
        project.areas = self._tree(project, "area", spec.get("areas", []))
        project.iterations = self._tree(project, "iteration", spec.get("iterations", []))
        for team_spec in spec.get("teams", []):
            self._team(project, team_spec)
        return project

    def _tree(
        self, project: ProjectState, structure_type: str, specs: list[Any]
    ) -> ClassificationNode:
        """The project's area or iteration tree: its root, then each seeded path in order.

        A seed entry is a path below the root (``"Security\\Pentest"``) or an object with
        ``path`` and, for iterations, ``startDate``/``finishDate``. Parents come first."""
        root = self._node(project, structure_type, (), project.name, None)
        for entry in specs:
            path = entry if isinstance(entry, str) else entry["path"]
            parts = tuple(path.split("\\"))
            parent = root.find(parts[:-1])
            if parent is None or not all(parts):
                raise ValueError(f"seed: {structure_type} {path!r} needs its parent first")
            attributes = None
            if isinstance(entry, dict) and ("startDate" in entry or "finishDate" in entry):
                attributes = {k: entry[k] for k in ("startDate", "finishDate") if k in entry}
            parent.children.append(
                self._node(project, structure_type, parts, parts[-1], attributes)
            )
        return root

    def _node(
        self,
        project: ProjectState,
        structure_type: str,
        parts: tuple[str, ...],
        name: str,
        attributes: dict[str, Any] | None,
    ) -> ClassificationNode:
        self._node_ids += 1
        key = f"emulator-node:{project.id}:{structure_type}:" + "\\".join(parts).lower()
        return ClassificationNode(
            id=self._node_ids,
            identifier=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
            name=name,
            structure_type=structure_type,
            parts=parts,
            attributes=attributes,
        )

    def _team(self, project: ProjectState, team_spec: dict[str, Any]) -> TeamState:
        default_area = team_spec.get("areaPath", project.name)
        area_specs = team_spec.get("areas") or [{"value": default_area, "includeChildren": False}]
        areas = [(a["value"], bool(a.get("includeChildren", False))) for a in area_specs]
        for value, _ in [(default_area, False), *areas]:
            if project.canonical_path("Areas", value) != value:
                raise ValueError(f"seed: team {team_spec['name']!r} names no area {value!r}")
        team = TeamState(
            id=team_spec["id"],
            name=team_spec["name"],
            area_path=default_area,
            description=team_spec.get("description", "The default project team."),
            areas=areas,
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
        return team

    # ------------------------------------------------ what tests add to the seed

    def add_project(self, name: str, *, process: str = "Fabrikam Agile") -> ProjectState:
        """A project with its root area and iteration and no team (tests of paging)."""
        if any(p.name.lower() == name.lower() for p in self.projects):
            raise ValueError(f"project {name!r} exists")
        spec = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator-project:{name.lower()}")),
            "name": name,
            "process": process,
            "description": "Added by a test.",
        }
        project = self._project(spec)
        self.projects.append(project)
        return project

    def add_team(
        self,
        project: str,
        name: str,
        *,
        areas: list[tuple[str, bool]] | None = None,
        default_area: str | None = None,
    ) -> TeamState:
        """A team without a board (tests of paging); its areas default to the project root
        without children, so it shows no existing work item unless asked to."""
        owner = self.project(project)
        if any(t.name.lower() == name.lower() for t in owner.teams):
            raise ValueError(f"team {name!r} exists in {owner.name}")
        chosen = areas or [(default_area or owner.name, False)]
        return self._team(
            owner,
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator-team:{owner.id}:{name}")),
                "name": name,
                "areaPath": default_area or chosen[0][0],
                "areas": [{"value": v, "includeChildren": c} for v, c in chosen],
                "description": "Added by a test.",
            },
        )

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

    def require_field(
        self, project: str, work_item_type: str, reference_name: str, *, required: bool = True
    ) -> None:
        """An organization admin marks a field of the type required (process editor,
        "Required" on the field's Options tab): a create without it is refused (R21)."""
        process_type = self.project(project).work_item_type(work_item_type)
        spec = process_type.field_spec(reference_name)
        if spec is None:
            raise KeyError(f"{work_item_type} has no field {reference_name}")
        process_type.fields[spec.reference_name.lower()] = dataclass_replace(
            spec, always_required=required
        )

    def wef_fields(self) -> set[str]:
        return {f for project in self.projects for b in project.boards() for f in b.wef_fields()}


def load_seed(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or DEFAULT_SEED).read_text(encoding="utf-8"))


def _person(spec: dict[str, Any]) -> Person:
    return Person(spec["id"], spec["displayName"], spec["uniqueName"])


def _process_type(name: str, spec: dict[str, Any]) -> ProcessType:
    states = tuple((s[0], s[1], s[2]) for s in spec["states"])
    specs = [*_core_fields(states), *map(_field_spec, spec.get("fields", _DEFAULT_PROCESS_FIELDS))]
    return ProcessType(
        name=name,
        reference_name=spec["referenceName"],
        color=spec["color"],
        icon=spec["icon"],
        states=states,
        fields={f.reference_name.lower(): f for f in specs},
    )
