"""Work items with revisions, and the rules Azure Boards enforces when one is written.

One JSON Patch makes one revision. A work item is on the boards of the teams whose areas
hold its area path (``TeamState.shows``); it carries one ``WEF_<guid>_Kanban.Column``
(``.Column.Done``, ``.Lane``) per such board, and writing the fields of a board it is not
on is refused. Column and state stay consistent through each board's ``stateMappings``:
writing a board's column sets the state it maps to, and a state moves every board's card
to the first column mapped to it, unless its current column already maps to it. A work
item is created only in its type's initial state. ``System.BoardColumn`` and its siblings
are read-only (TF401326); a stale ``test /rev`` is a 412; an area or iteration path that
is not a node of the project is TF401347. docs/real-service-rules.md lists each rule with
its source.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .world import ApiError, BoardState, Person, ProjectState, World

#: The .NET types the real service names in ``typeName`` for the errors below.
RULE_VALIDATION_TYPE = (
    "Microsoft.TeamFoundation.WorkItemTracking.WebApi.RuleValidationException, "
    "Microsoft.TeamFoundation.WorkItemTracking.WebApi"
)
INVALID_TREE_NAME_TYPE = (
    "Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemFieldInvalidTreeNameException, "
    "Microsoft.TeamFoundation.WorkItemTracking.Server"
)

__all__ = ["Change", "WorkItemRecord", "WorkItemStore", "now_iso"]

BOARD_COLUMN = "System.BoardColumn"
BOARD_COLUMN_DONE = "System.BoardColumnDone"
BOARD_LANE = "System.BoardLane"
STATE = "System.State"
TAGS = "System.Tags"
HISTORY = "System.History"
ASSIGNED_TO = "System.AssignedTo"
READ_ONLY = frozenset(
    {
        BOARD_COLUMN, BOARD_COLUMN_DONE, BOARD_LANE, "System.Id", "System.Rev",
        "System.TeamProject", "System.WorkItemType", "System.CreatedDate", "System.CreatedBy",
        "System.ChangedDate", "System.ChangedBy", "System.AuthorizedDate",
        "System.RevisedDate", "System.Watermark", "System.CommentCount",
    }
)  # fmt: skip


def _rule_errors(reference_name: str, flags: str, message: str) -> dict[str, Any]:
    """``customProperties.RuleValidationErrors`` as Azure DevOps adds it to a TF401320
    answer (a real body is quoted in e.g. an ADO client's test: fieldReferenceName,
    fieldStatusFlags "required, invalidEmpty", errorMessage)."""
    return {
        "RuleValidationErrors": [
            {
                "fieldReferenceName": reference_name,
                "fieldStatusFlags": flags,
                "errorMessage": message,
                "ruleValidationErrors": None,
            }
        ]
    }


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class WorkItemRecord:
    id: int
    project: ProjectState
    type_name: str
    rev: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    relations: list[dict[str, Any]] = field(default_factory=list)
    history: list[tuple[int, str]] = field(default_factory=list)
    deleted: bool = False


@dataclass(frozen=True)
class Change:
    """One revision: the item before and after, and who made it (for service hooks)."""

    item: WorkItemRecord
    before: dict[str, Any]
    after: dict[str, Any]
    actor: Person
    created: bool


class WorkItemStore:
    """All work items of the organization; callers hold the emulator's lock."""

    def __init__(self, world: World, org_url: Callable[[], str]) -> None:
        self.world = world
        self._org_url = org_url
        self.items: dict[int, WorkItemRecord] = {}
        self._next_id = 1

    @property
    def base_url(self) -> str:
        return self._org_url()

    def get(self, work_item_id: int) -> WorkItemRecord:
        item = self.items.get(work_item_id)
        if item is None or item.deleted:
            raise ApiError(
                404,
                f"TF401232: Work item {work_item_id} does not exist, or you do not have "
                "permissions to read it.",
                "WorkItemUnauthorizedAccessException",
            )
        return item

    def create(
        self,
        project: ProjectState,
        type_name: str,
        patch: Any,
        actor: Person,
        *,
        validate_only: bool,
    ) -> Change:
        process_type = project.work_item_type(type_name)
        item = WorkItemRecord(id=self._next_id, project=project, type_name=process_type.name)
        change = self._apply(item, patch, actor, created=True, validate_only=validate_only)
        if not validate_only:
            self.items[item.id] = item
            self._next_id += 1
        return change

    def update(
        self, work_item_id: int, patch: Any, actor: Person, *, validate_only: bool
    ) -> Change:
        return self._apply(
            self.get(work_item_id), patch, actor, created=False, validate_only=validate_only
        )

    def delete(self, work_item_id: int) -> WorkItemRecord:
        item = self.get(work_item_id)
        item.deleted = True
        return item

    # ------------------------------------------------------------------ the rules

    def _apply(
        self, item: WorkItemRecord, patch: Any, actor: Person, *, created: bool, validate_only: bool
    ) -> Change:
        before = copy.deepcopy(item.fields)
        before.pop(HISTORY, None)
        written, relations, note = self._read_patch(item, patch)
        fields = dict(before)
        for name, value in written.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        if created:
            self._defaults(item, fields, actor)
        if ASSIGNED_TO in written:
            self._assign(fields, written[ASSIGNED_TO])
        self._validate(item, fields, created=created)
        self._check_type_rules(item, fields, written)
        self._keep_board_consistent(item, fields, written, created=created)
        self._stamp(item, fields, before, actor, note)
        change = Change(item, before, fields, actor, created)
        if validate_only:
            return Change(_preview(item, fields, relations), before, fields, actor, created)
        item.fields = fields
        item.relations = relations
        item.rev = fields["System.Rev"]
        if note:
            item.history.append((item.rev, note))
        return change

    def _read_patch(
        self, item: WorkItemRecord, patch: Any
    ) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
        if not isinstance(patch, list) or not patch:
            raise ApiError(
                400,
                "You must pass a valid patch document in the body of the request.",
                "VssPropertyValidationException",
            )
        written: dict[str, Any] = {}
        relations = copy.deepcopy(item.relations)
        note: str | None = None
        tags = _split_tags(item.fields.get(TAGS))
        tags_written = False
        for op in patch:
            kind, path = _op_and_path(op)
            if kind == "test":
                self._test(item, path, op.get("value"))
            elif path.startswith("/fields/"):
                name = path[len("/fields/") :].replace("~1", "/").replace("~0", "~")
                self._check_writable(item, name)
                if name == HISTORY:
                    note = None if kind == "remove" else str(op.get("value") or "") or None
                elif name == TAGS:
                    new = _split_tags(op.get("value")) if kind != "remove" else []
                    tags = [*tags, *new] if kind == "add" else new
                    tags_written = True
                else:
                    written[name] = None if kind == "remove" else op.get("value")
            elif path == "/relations/-" and kind == "add":
                relations.append(_relation(op.get("value"), relations))
            elif path.startswith("/relations/") and kind == "remove":
                index = _index(path, len(relations))
                relations.pop(index)
            else:
                raise ApiError(
                    400, f"The emulator does not support '{kind}' on '{path}'.", "InvalidPatchPath"
                )
        if tags_written:
            written[TAGS] = _join_tags(tags) or None
        return written, relations, note

    def _test(self, item: WorkItemRecord, path: str, value: Any) -> None:
        if path == "/rev":
            if value != item.rev:
                raise ApiError(
                    412,
                    f"The update is based on revision {value} of work item {item.id}, "
                    f"but its current revision is {item.rev}.",
                    "WorkItemRevisionMismatchException",
                )
            return
        if path.startswith("/fields/"):
            if item.fields.get(path[len("/fields/") :]) != value:
                raise ApiError(412, f"Test operation on '{path}' failed.", "TestOperationFailed")
            return
        raise ApiError(400, f"The emulator cannot test '{path}'.", "InvalidPatchPath")

    def _check_writable(self, item: WorkItemRecord, name: str) -> None:
        if name in READ_ONLY:
            raise ApiError(
                400,
                f"TF401326: Invalid field status 'ReadOnly' for field '{name}'.",
                "RuleValidationException",
            )
        # A field the work item type does not have is refused as one that does not exist
        # ("TF51535: Cannot find field Custom.X.": nkdAgility/azure-devops-migration-tools
        # and many clients quote this 400 for fields missing on the target type).
        process_type = item.project.work_item_type(item.type_name)
        if process_type.field_spec(name) is None and name not in self.world.wef_fields():
            raise ApiError(400, f"TF51535: Cannot find field {name}.", "FieldDoesNotExistException")

    def _defaults(self, item: WorkItemRecord, fields: dict[str, Any], actor: Person) -> None:
        process_type = item.project.work_item_type(item.type_name)
        fields.setdefault("System.AreaPath", item.project.name)
        fields.setdefault("System.IterationPath", item.project.name)
        fields["System.TeamProject"] = item.project.name
        fields["System.WorkItemType"] = item.type_name
        fields["System.CreatedBy"] = actor.ref(self.base_url)
        fields.setdefault("Microsoft.VSTS.Common.Priority", 2)
        for spec in process_type.fields.values():
            # a new item takes the type's default value of a field it does not name
            # (Severity "3 - Medium", Value Area "Business": the real Bug's defaults)
            if spec.default_value is not None and spec.reference_name != STATE:
                fields.setdefault(spec.reference_name, spec.default_value)
        if STATE not in fields and not self._column_written(item, fields):
            fields[STATE] = process_type.initial_state()

    def _assign(self, fields: dict[str, Any], value: Any) -> None:
        """``System.AssignedTo`` takes a person by e-mail (an identity's ``uniqueName``), by
        display name, or as ``Name <email>``, and is stored as the identity (an IdentityRef,
        as REST answers show it); "" or a remove unassigns (R23).

        A person who is not a member of the organization is refused: "The identity value
        'user@Live.com' for field 'Assigned To' is an unknown identity."
        (Azure/azure-devops-cli-extension#272, where a maintainer confirms it answers a user
        without organization membership; bluebasher/WorkItemUpdater#78 for a removed AAD
        user). The exact typeKey is not quoted there; the emulator names the rule one."""
        if value in (None, ""):
            fields.pop(ASSIGNED_TO, None)
            return
        text = value.get("uniqueName") if isinstance(value, dict) else value
        wanted = str(text or "").strip()
        bracketed = re.search(r"<([^<>]+)>\s*$", wanted)
        key = (bracketed.group(1) if bracketed else wanted).strip().lower()
        people = [self.world.service_identity, *self.world.people.values()]
        person = next(
            (p for p in people if key in (p.unique_name.lower(), p.display_name.lower())), None
        )
        if person is None:
            raise ApiError(
                400,
                f"The identity value '{wanted}' for field 'Assigned To' is an unknown identity.",
                "RuleValidationException",
                type_name=RULE_VALIDATION_TYPE,
            )
        fields[ASSIGNED_TO] = person.ref(self.base_url)

    def _column_written(self, item: WorkItemRecord, fields: dict[str, Any]) -> bool:
        return any(b.column_field in fields for b in item.project.boards())

    def _validate(self, item: WorkItemRecord, fields: dict[str, Any], *, created: bool) -> None:
        if not str(fields.get("System.Title") or "").strip():
            raise ApiError(
                400,
                "TF401320: Rule Error for field Title. Error code: Required, InvalidEmpty.",
                "RuleValidationException",
            )
        for path_field, group in (("System.AreaPath", "Areas"), ("System.IterationPath",
                                                                  "Iterations")):  # fmt: skip
            # An area or iteration path must name an existing node of the project: else
            # 400 TF401347, with work item id -1 on a create (ni/grpc-device#1241 shows the
            # full 400 of a create; microsoft/sarif-sdk#2818; solidify/jira-azuredevops-
            # migrator#1143 for System.IterationPath). The stored value takes the node's
            # own spelling, as paths compare case-insensitively.
            value = fields.get(path_field)
            found = item.project.canonical_path(group, value) if isinstance(value, str) else None
            if found is None:
                raise ApiError(
                    400,
                    f"TF401347: Invalid tree name given for work item "
                    f"{-1 if created else item.id}, field '{path_field}'.",
                    "WorkItemFieldInvalidTreeNameException",
                    type_name=INVALID_TREE_NAME_TYPE,
                )
            fields[path_field] = found
        priority = fields.get("Microsoft.VSTS.Common.Priority")
        if priority is not None:
            if not str(priority).isdigit() or not 1 <= int(priority) <= 4:
                raise ApiError(
                    400,
                    "TF401320: Rule Error for field Priority. Error code: LimitedToValues.",
                    "RuleValidationException",
                )
            fields["Microsoft.VSTS.Common.Priority"] = int(priority)

    def _check_type_rules(
        self, item: WorkItemRecord, fields: dict[str, Any], written: dict[str, Any]
    ) -> None:
        """The type's own rules on the fields: a value a list field does not allow, and a
        required field left empty, are refused as Azure Boards refuses them (R21)."""
        process_type = item.project.work_item_type(item.type_name)
        for name, value in written.items():
            spec = process_type.field_spec(name)
            if spec is None or not spec.allowed_values or value is None or name == STATE:
                continue  # State has its own rules (_keep_board_consistent)
            if name == "Microsoft.VSTS.Common.Priority":
                continue  # _validate: its own TF401320 wording
            if str(value) not in spec.allowed_values:
                # A value outside a picklist: "The field 'Risk Severity' contains the value
                # '13 - 25 (High)' that is not in the list of supported values"
                # (tfsaggregator/aggregator-cli#277, microsoft/vsts-extension-multivalue-
                # control#187), RuleValidationErrors flagged "hasValues, limitedToValues,
                # invalidListValue".
                message = (
                    f"The field '{spec.name}' contains the value '{value}' that is not in "
                    "the list of supported values"
                )
                raise ApiError(
                    400, message, "RuleValidationException", type_name=RULE_VALIDATION_TYPE,
                    custom_properties=_rule_errors(
                        spec.reference_name, "hasValues, limitedToValues, invalidListValue",
                        message,
                    ),
                )  # fmt: skip
        for spec in process_type.fields.values():
            if not spec.always_required or spec.reference_name.startswith("System."):
                continue  # the System ones (Title, State, ids) are checked or set above
            if fields.get(spec.reference_name) in (None, ""):
                # "TF401320: Rule Error for field Environment. Error code: Required,
                # HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty."
                # (MicrosoftPremier/VstsExtensions#149, getsentry/sentry#92358) for a
                # required picklist; "Error code: Required, InvalidEmpty." for a field
                # without allowed values.
                codes = (
                    "Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty"
                    if spec.allowed_values
                    else "Required, InvalidEmpty"
                )
                message = f"TF401320: Rule Error for field {spec.name}. Error code: {codes}."
                raise ApiError(
                    400, message, "RuleValidationException", type_name=RULE_VALIDATION_TYPE,
                    custom_properties=_rule_errors(
                        spec.reference_name,
                        ", ".join(c[0].lower() + c[1:] for c in codes.split(", ")),
                        message,
                    ),
                )  # fmt: skip

    def _keep_board_consistent(
        self,
        item: WorkItemRecord,
        fields: dict[str, Any],
        written: dict[str, Any],
        *,
        created: bool,
    ) -> None:
        """Column and State agree on every board the card is on, and only on those."""
        process_type = item.project.work_item_type(item.type_name)
        boards = self._boards(item, fields)
        self._refuse_other_boards_fields(item, fields, written, boards, created=created)
        moved: dict[str, str] = {}
        for board in boards:
            if board.column_field in written and written[board.column_field] is not None:
                self._state_from_column(item, board, fields, written)
                moved[f"{board.team.name if board.team else '?'}/{board.name}"] = fields[STATE]
        if len(set(moved.values())) > 1:
            # Two boards' columns that map to different states cannot both hold: strict.
            raise ApiError(
                400,
                "The columns written map the work item to different states: "
                + ", ".join(f"{board} -> {state}" for board, state in moved.items())
                + ".",
                "RuleValidationException",
                type_name=RULE_VALIDATION_TYPE,
            )
        state = fields.get(STATE)
        if state not in process_type.state_names():
            raise ApiError(
                400,
                "TF401320: Rule Error for field State. Error code: Required, HasValues, "
                "LimitedToValues, AllowsOldValue, InvalidEmpty.",
                "RuleValidationException",
            )
        if created and state != process_type.initial_state():
            # Azure Boards creates a work item only in its type's initial state, whether the
            # State is written or implied by a board column (MicrosoftDocs azure-devops-docs
            # import-work-items-from-csv.md; Azure/azure-devops-cli-extension #273 answers
            # exactly this message, #397 and PR #407; nkdAgility/azure-devops-migration-
            # tools#65; MicrosoftPremier/VstsExtensions#148: a create "can only set the
            # column if it's mapped to the initial work item state").
            raise ApiError(
                400,
                f"The field 'State' contains the value '{state}' that is not in the list of "
                "supported values",
                "RuleValidationException",
                type_name=RULE_VALIDATION_TYPE,
            )
        for board in item.project.boards():
            if board not in boards:  # the card is not (or no longer) on this board
                for name in board.wef_fields():
                    fields.pop(name, None)
        for board in boards:
            self._column_from_state(item, board, fields, written)
            self._lane(board, fields, written)
        _order_board_fields(fields, item.project.boards())
        self._mirror_primary_board(item, fields, boards)

    def _refuse_other_boards_fields(
        self,
        item: WorkItemRecord,
        fields: dict[str, Any],
        written: dict[str, Any],
        boards: list[BoardState],
        *,
        created: bool,
    ) -> None:
        """A board's WEF fields apply only to the work items that board shows.

        What Azure Boards answers here is not documented; the emulator is strict and
        answers as for any field the item cannot set (TF401326, as for System.BoardColumn),
        naming the board, its team and the item's area path so the cause is plain.
        """
        mine = {name for board in boards for name in board.wef_fields()}
        for name in written:
            if name in mine or not name.startswith("WEF_"):
                continue
            other = next((b for p in self.world.projects for b in p.boards()
                          if name in b.wef_fields()), None)  # fmt: skip
            where = (
                f"the board '{other.name}' of team '{other.team.name if other.team else '?'}'"
                if other
                else "a board of this project"
            )
            raise ApiError(
                400,
                f"TF401326: Invalid field status 'ReadOnly' for field '{name}'. Work item "
                f"{-1 if created else item.id} is not on {where}: its area path "
                f"'{fields.get('System.AreaPath')}' is not one of that team's areas.",
                "RuleValidationException",
                type_name=RULE_VALIDATION_TYPE,
            )

    def _state_from_column(
        self,
        item: WorkItemRecord,
        board: BoardState,
        fields: dict[str, Any],
        written: dict[str, Any],
    ) -> None:
        name = written[board.column_field]
        column = board.column(str(name))
        if column is None:
            raise ApiError(
                400,
                f"TF401320: Rule Error for field {board.column_field}. Error code: "
                f"LimitedToValues. '{name}' is not a column of board '{board.name}'.",
                "RuleValidationException",
            )
        mapped = column["stateMappings"].get(item.type_name)
        if STATE in written and written[STATE] not in (None, mapped):
            raise ApiError(
                400,
                f"The column '{name}' maps {item.type_name} to the state '{mapped}', not "
                f"'{written[STATE]}'.",
                "RuleValidationException",
            )
        fields[STATE] = mapped

    def _column_from_state(
        self,
        item: WorkItemRecord,
        board: BoardState,
        fields: dict[str, Any],
        written: dict[str, Any],
    ) -> None:
        state = fields[STATE]
        current = board.column(str(fields.get(board.column_field, "")))
        if current is not None and current["stateMappings"].get(item.type_name) == state:
            column = current
        else:
            column = board.first_column_for(item.type_name, state)
        if column is None:  # a state no column shows: the card leaves this board
            for name in board.wef_fields():
                fields.pop(name, None)
            return
        if column is not current or board.done_field not in fields:
            fields[board.done_field] = False
        fields[board.column_field] = column["name"]
        done = written.get(board.done_field)
        if done is not None:
            if not column.get("isSplit") and done:
                raise ApiError(
                    400,
                    f"The column '{column['name']}' is not split; it has no Done side.",
                    "RuleValidationException",
                )
            fields[board.done_field] = bool(done)

    def _lane(self, board: BoardState, fields: dict[str, Any], written: dict[str, Any]) -> None:
        if board.column_field not in fields:
            return
        lane = written.get(board.lane_field, fields.get(board.lane_field))
        if lane in (None, ""):
            fields.pop(board.lane_field, None)
            return
        if lane not in board.lane_names():
            raise ApiError(
                400,
                f"TF401320: Rule Error for field {board.lane_field}. Error code: "
                f"LimitedToValues. '{lane}' is not a lane of board '{board.name}'.",
                "RuleValidationException",
            )
        fields[board.lane_field] = lane

    def _mirror_primary_board(
        self, item: WorkItemRecord, fields: dict[str, Any], boards: list[BoardState]
    ) -> None:
        """``System.BoardColumn`` shows one board: that of the team whose area holds the item
        most closely (its own default area first), else the first board the item is on."""
        area = str(fields.get("System.AreaPath", "")).lower()

        def closeness(board: BoardState) -> tuple[int, int]:
            team = board.team
            if team is None:
                return (0, 0)
            owned = 1 if team.area_path.lower() == area else 0
            depth = max(
                (len(v) for v, children in team.areas
                 if v.lower() == area or (children and area.startswith(v.lower() + "\\"))),
                default=0,
            )  # fmt: skip
            return (owned, depth)

        ranked = sorted(boards, key=closeness, reverse=True)  # stable: seed order on ties
        primary = ranked[0] if ranked else None
        for name in (BOARD_COLUMN, BOARD_COLUMN_DONE, BOARD_LANE):
            fields.pop(name, None)
        if primary is None or primary.column_field not in fields:
            return
        fields[BOARD_COLUMN] = fields[primary.column_field]
        fields[BOARD_COLUMN_DONE] = fields.get(primary.done_field, False)
        if primary.lane_field in fields:
            fields[BOARD_LANE] = fields[primary.lane_field]

    def _stamp(
        self,
        item: WorkItemRecord,
        fields: dict[str, Any],
        before: dict[str, Any],
        actor: Person,
        note: str | None,
    ) -> None:
        stamp = now_iso()
        rev = item.rev + 1
        fields["System.Id"] = item.id
        fields["System.Rev"] = rev
        fields["System.ChangedDate"] = stamp
        fields["System.ChangedBy"] = actor.ref(self.base_url)
        fields["System.AuthorizedDate"] = stamp
        fields["System.RevisedDate"] = "9999-01-01T00:00:00Z"
        fields["System.Watermark"] = rev
        fields.setdefault("System.CreatedDate", stamp)
        fields.setdefault("System.CommentCount", 0)
        if note:
            fields[HISTORY] = note
            fields["System.CommentCount"] = int(fields["System.CommentCount"]) + 1
        if fields.get(STATE) != before.get(STATE):
            fields["System.Reason"] = "New" if not before else f"Moved to state {fields[STATE]}"
            fields["Microsoft.VSTS.Common.StateChangeDate"] = stamp

    def _boards(self, item: WorkItemRecord, fields: dict[str, Any]) -> list[BoardState]:
        return item.project.boards_showing(item.type_name, str(fields.get("System.AreaPath")))


def _order_board_fields(fields: dict[str, Any], boards: list[BoardState]) -> None:
    """The WEF fields follow the item's other fields, one board after another in the order
    the teams were made (the seed's order), as in wit 7.1 ``PATCH__wit_workitems__bug1Id_``
    where one item carries two boards' ``Kanban.Column``/``.Column.Done``."""
    for board in boards:
        for name in board.wef_fields():
            if name in fields:
                fields[name] = fields.pop(name)


def _preview(item: WorkItemRecord, fields: dict[str, Any], relations: list[Any]) -> WorkItemRecord:
    return WorkItemRecord(
        id=item.id, project=item.project, type_name=item.type_name,
        rev=item.rev, fields=fields, relations=relations,
    )  # fmt: skip


def _op_and_path(op: Any) -> tuple[str, str]:
    if not isinstance(op, dict):
        raise ApiError(400, "Each patch operation must be an object.", "InvalidPatchOperation")
    kind, path = op.get("op"), op.get("path")
    if kind not in {"add", "replace", "remove", "test"} or not isinstance(path, str):
        raise ApiError(
            400, f"Unsupported patch operation {kind!r} on {path!r}.", "InvalidPatchOperation"
        )
    if kind in {"add", "replace", "test"} and "value" not in op:
        raise ApiError(400, f"The '{kind}' operation needs a value.", "InvalidPatchOperation")
    return kind, path


def _relation(value: Any, existing: list[dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(value, dict) or not value.get("rel") or not value.get("url"):
        raise ApiError(400, "A relation needs 'rel' and 'url'.", "InvalidRelation")
    if value["rel"] not in {"Hyperlink", "ArtifactLink"} and not value["rel"].startswith(
        "System.LinkTypes."
    ):
        raise ApiError(400, f"Unknown relation type {value['rel']}.", "InvalidRelation")
    if any(r["rel"] == value["rel"] and r["url"] == value["url"] for r in existing):
        raise ApiError(400, "Relation already exists.", "WorkItemLinkAlreadyExistsException")
    return {
        "rel": value["rel"],
        "url": value["url"],
        "attributes": dict(value.get("attributes") or {}),
    }


def _index(path: str, size: int) -> int:
    text = path.rsplit("/", 1)[-1]
    if not text.isdigit() or int(text) >= size:
        raise ApiError(400, f"No relation at '{path}'.", "InvalidPatchPath")
    return int(text)


def _split_tags(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [t.strip() for t in value.split(";") if t.strip()]


def _join_tags(tags: list[str]) -> str:
    unique: dict[str, str] = {}
    for tag in tags:
        unique.setdefault(tag.lower(), tag)
    return "; ".join(sorted(unique.values(), key=str.lower))
