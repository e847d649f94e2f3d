"""An in-memory Azure Boards organization, as one integration's credentials see it.

It keeps the rules the service depends on, each as the Boards emulator keeps it
(``localdev/boards_emulator/work_items.py``, which names the real-service sources):

- a work item is created only in its type's initial state (``_keep_board_consistent``:
  any other State, written or implied by a column, is a 400 rule error);
- a board column implies its mapped State, and a State moves the card to that state's
  first column unless its column already maps to it (``_state_from_column``,
  ``_column_from_state``);
- every write is one revision stamped with the writer's identity (``_stamp``);
  ``test /rev`` on a stale revision is a 412 (``RevisionConflict``), a missing item 404;
- an Assigned To the organization does not know is refused with Azure DevOps' "unknown
  identity" rule error (the wording ``rules.people.unknown_identity`` reads).

What the fake does not know it refuses (strict): a project or board nobody set up.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sync_core.ports import (
    Board,
    BoardColumnInfo,
    BoardFields,
    BoardReference,
    BoardRow,
    ConfigurationError,
    FieldReference,
    Identity,
    Project,
    RevisionConflict,
    Subscription,
    Team,
    TeamFieldValue,
    TeamFieldValues,
    TransientError,
    WorkItem,
    WorkItemNotFound,
    WorkItemStateInfo,
    WorkItemTypeInfo,
)
from sync_core.rules import BoardLayout
from sync_core.rules.fields import TypeField
from sync_core.rules.people import ASSIGNED_TO_FIELD
from sync_core.rules.vocabulary import CHANGED_BY_FIELD, STATE_FIELD, TAGS_FIELD

WRITER_ID = "writer-0000-integration"
_RULE_ERROR = "RuleValidationException"


@dataclass
class _Item:
    id: int
    project: str
    type_name: str
    rev: int
    fields: dict[str, Any]
    changed_at: datetime


@dataclass
class FakeBoards:
    """Projects with one board layout per (project, work item type); work items by id."""

    layouts: dict[tuple[str, str], BoardLayout] = field(default_factory=dict)
    writer_id: str = WRITER_ID
    #: e-mails Azure DevOps knows as people; None: everyone
    known_people: set[str] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    items: dict[int, _Item] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    #: the next create/update raises this instead of answering (a fault, once)
    fail_next: dict[str, Exception] = field(default_factory=dict)
    #: the next create lands, but its answer is lost (a timeout after the write: R1)
    lose_next_create_answer: bool = False
    calls: list[str] = field(default_factory=list)
    #: (project, team) -> board name -> its layout
    boards_of: dict[tuple[str, str], dict[str, BoardLayout]] = field(default_factory=dict)
    _ids: Iterable[int] = field(default_factory=lambda: itertools.count(501))

    # ------------------------------------------------------------------ set-up

    def add_board(
        self, project: str, work_item_type: str, layout: BoardLayout, *, team: str, board: str
    ) -> None:
        self.layouts[(project, work_item_type)] = layout
        self.boards_of.setdefault((project, team), {})[board] = layout

    def _layout(self, project: str, work_item_type: str) -> BoardLayout:
        layout = self.layouts.get((project, work_item_type))
        if layout is None:
            raise ConfigurationError(
                f"TF200016: The following project does not exist: {project}.", status=404
            )
        return layout

    # ------------------------------------------------------------ the port

    def board_layout(self, project: str, team: str, board: str, work_item_type: str) -> BoardLayout:
        self.calls.append("board_layout")
        return self._layout(project, work_item_type)

    def create_work_item(
        self,
        project: str,
        work_item_type: str,
        fields: Mapping[str, str | int],
        *,
        tags: Iterable[str] = (),
        hyperlink: str | None = None,
    ) -> WorkItem:
        self.calls.append("create")
        self._fault("create")
        layout = self._layout(project, work_item_type)
        written = dict(fields)
        self._check_person(written, -1)
        state = self._state_of(layout, written, work_item_type, None)
        if state != layout.initial_state():
            # work_items.py _keep_board_consistent: created only in the initial state
            raise ConfigurationError(
                f"The field 'State' contains the value '{state}' that is not in the list of "
                "supported values", status=400, type_key=_RULE_ERROR,
            )  # fmt: skip
        item = _Item(next(iter(self._ids)), project, work_item_type, 0, {}, self.clock())
        item.fields[TAGS_FIELD] = "; ".join(sorted(tags)) if tags else None
        item.fields["System.WorkItemType"] = work_item_type
        self._apply(item, layout, written, state, by=self.writer_id)
        self.items[item.id] = item
        if self.lose_next_create_answer:
            self.lose_next_create_answer = False
            raise TransientError("the create timed out", status=None, may_have_succeeded=True)
        return self._answer(item)

    def update_work_item(
        self,
        work_item_id: int,
        *,
        expected_rev: int,
        fields: Mapping[str, str | int],
        project: str | None = None,
    ) -> WorkItem:
        self.calls.append("update")
        self._fault("update")
        item = self._item(work_item_id)
        if expected_rev != item.rev:
            raise RevisionConflict(
                f"The update is based on revision {expected_rev} of work item {item.id}, "
                f"but its current revision is {item.rev}.",
                work_item_id=item.id, expected_rev=expected_rev,
            )  # fmt: skip
        written = dict(fields)
        self._check_person(written, item.id)
        layout = self._layout(item.project, item.type_name)
        state = self._state_of(layout, written, item.type_name, item)
        self._apply(item, layout, written, state, by=self.writer_id)
        return self._answer(item)

    def get_work_item(self, work_item_id: int, *, project: str | None = None) -> WorkItem:
        self.calls.append("get")
        return self._answer(self._item(work_item_id))

    def get_work_items(self, ids: Iterable[int], *, project: str | None = None) -> list[WorkItem]:
        self.calls.append("get_many")
        return [self._answer(self.items[i]) for i in ids if i in self.items]

    def find_work_items_by_tag(self, project: str, tag: str) -> list[int]:
        """WIQL ``System.Tags CONTAINS``: not documented to match whole tags only, so the
        fake matches substrings (strict: the service must check the tags it reads)."""
        self.calls.append("wiql")
        return sorted(
            i.id
            for i in self.items.values()
            if i.project == project and tag in (i.fields.get(TAGS_FIELD) or "")
        )

    def find_changed_work_items(
        self, project: str, since: datetime | None, tag: str, *, top: int = 20000
    ) -> list[int]:
        self.calls.append("wiql_changed")
        found = sorted(
            (i.changed_at, i.id) for i in self.items.values()
            if i.project == project and tag in (i.fields.get(TAGS_FIELD) or "")
            and (since is None or i.changed_at >= since)
        )  # fmt: skip
        return [i for _, i in found][:top]

    def current_identity(self) -> Identity:
        self.calls.append("identity")
        return Identity(id=self.writer_id, display_name="Conviso Sync")

    def check_connection(self) -> Identity:
        return self.current_identity()

    def list_teams(self, project: str) -> list[Team]:
        self._project(project)
        names = sorted(t for p, t in self.boards_of if p == project)
        return [Team(id=f"team-{n}", name=n) for n in names]

    def team_field_values(self, project: str, team: str) -> TeamFieldValues:
        self._project(project)
        return TeamFieldValues(
            default_value=project, values=(TeamFieldValue(value=project, include_children=True),)
        )

    def classification_node_exists(self, project: str, group: str, path: str) -> bool:
        self._project(project)
        return path.casefold() == project.casefold() or path.casefold().startswith(
            project.casefold() + "\\"
        )

    def list_boards(self, project: str, team: str) -> list[BoardReference]:
        self._project(project)
        return [
            BoardReference(id=f"b-{n}", name=n) for n in self.boards_of.get((project, team), {})
        ]

    def work_item_types(self, project: str) -> list[WorkItemTypeInfo]:
        self._project(project)
        return [WorkItemTypeInfo(name=t) for p, t in self.layouts if p == project]

    def get_board(self, project: str, team: str, board: str) -> Board:
        layout = self.boards_of.get((project, team), {}).get(board)
        if layout is None:
            raise ConfigurationError(
                f"VS800075: board '{board}' of team '{team}' was not found", status=404
            )
        columns = tuple(
            BoardColumnInfo(id=f"c{n}", name=c.name, column_type=c.column_type,
                            state_mappings=dict(c.state_mappings), is_split=c.is_split)
            for n, c in enumerate(layout.columns)
        )  # fmt: skip
        rows = tuple(BoardRow(id=f"r{n}", name=lane) for n, lane in enumerate(layout.lanes))
        lane = layout.lane_field
        refs = BoardFields(
            column_field=FieldReference(reference_name=layout.column_field),
            row_field=FieldReference(reference_name=lane) if lane else None,
        )
        return Board(id=f"b-{board}", name=board, columns=columns, rows=rows, fields=refs)

    def work_item_type_states(self, project: str, work_item_type: str) -> list[WorkItemStateInfo]:
        layout = self._layout(project, work_item_type)
        return [WorkItemStateInfo(name=n, category=c.value) for n, c in layout.states.items()]

    def work_item_type_fields(self, project: str, work_item_type: str) -> list[TypeField]:
        self._layout(project, work_item_type)
        names = ("System.Title", "System.Description", "System.State", "System.Tags",
                 "System.AreaPath", "System.IterationPath", "System.AssignedTo",
                 "Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.TCM.ReproSteps")  # fmt: skip
        return [TypeField(reference_name=n, name=n.rsplit(".", 1)[-1]) for n in names]

    def _project(self, project: str) -> None:
        if project not in {p for p, _ in self.layouts}:
            raise ConfigurationError(
                f"TF200016: The following project does not exist: {project}.", status=404
            )

    def list_projects(self) -> list[Project]:
        names = sorted({p for p, _ in self.layouts})
        return [Project(id=f"id-{n}", name=n) for n in names]

    def list_subscriptions(
        self, *, event_type: str | None = None, consumer_id: str | None = None
    ) -> list[Subscription]:
        return [s for s in self.subscriptions.values()
                if event_type in (None, s.event_type)]  # fmt: skip

    def create_subscription(self, *, project_id: str, url: str, **options: Any) -> Subscription:
        self.calls.append("create_subscription")
        sid = f"sub-{len(self.subscriptions) + 1}"
        inputs = {"projectId": project_id, "workItemType": options.get("work_item_type", ""),
                  "areaPath": options.get("area_path", ""),
                  "changedFields": options.get("changed_fields", "")}  # fmt: skip
        sub = Subscription(
            id=sid, status="enabled", publisher_id="tfs",
            event_type=options.get("event_type", "workitem.updated"),
            resource_version="1.0", consumer_id="webHooks", consumer_action_id="httpRequest",
            publisher_inputs=inputs, consumer_inputs={"url": url},
        )  # fmt: skip
        self.subscriptions[sid] = sub
        return sub

    def delete_subscription(self, subscription_id: str) -> None:
        self.subscriptions.pop(subscription_id, None)

    # ------------------------------------------------------- test levers

    def person_edits(self, work_item_id: int, fields: Mapping[str, Any], *, by: str) -> WorkItem:
        """A person's edit in the web UI: same rules, their identity on the revision."""
        item = self._item(work_item_id)
        layout = self._layout(item.project, item.type_name)
        self._apply(item, layout, dict(fields), self._state_of(layout, dict(fields),
                    item.type_name, item), by=by)  # fmt: skip
        return self._answer(item)

    def land_card(self, project: str, work_item_type: str, tags: Iterable[str], *, by: str) -> int:
        """A card nobody here asked for (a lost create landing late, a person's copy)."""
        item = self.create_work_item(project, work_item_type, {"System.Title": "x"}, tags=tags)
        item_id = item.id
        self.items[item_id].fields[CHANGED_BY_FIELD] = {"id": by, "displayName": by}
        return item_id

    def delete(self, work_item_id: int) -> None:
        del self.items[work_item_id]

    # ------------------------------------------------------------ helpers

    def _fault(self, operation: str) -> None:
        fault = self.fail_next.pop(operation, None)
        if fault is not None:
            raise fault

    def _item(self, work_item_id: int) -> _Item:
        item = self.items.get(work_item_id)
        if item is None:
            raise WorkItemNotFound(
                f"TF401232: Work item {work_item_id} does not exist, or you do not have "
                "permissions to read it.", work_item_id=work_item_id,
            )  # fmt: skip
        return item

    def _check_person(self, written: dict[str, Any], item_id: int) -> None:
        who = written.get(ASSIGNED_TO_FIELD)
        if who and self.known_people is not None and str(who).lower() not in self.known_people:
            raise ConfigurationError(
                f"TF401320: Rule Error for field Assigned To. Error code: ... The identity "
                f"value '{who}' for field 'Assigned To' is an unknown identity.",
                status=400, type_key=_RULE_ERROR,
            )  # fmt: skip

    @staticmethod
    def _state_of(
        layout: BoardLayout, written: dict[str, Any], type_name: str, item: _Item | None
    ) -> str | None:
        """The State after the write: the written column's mapped state, or the State."""
        column = written.get(layout.column_field)
        if column is not None:
            found = layout.column(str(column))
            if found is None:
                raise ConfigurationError(
                    f"TF401320: Rule Error for field {layout.column_field}. '{column}' is "
                    "not a column of the board.", status=400, type_key=_RULE_ERROR,
                )  # fmt: skip
            mapped = found.state_mappings.get(type_name)
            if STATE_FIELD in written and written[STATE_FIELD] != mapped:
                raise ConfigurationError(
                    f"The column '{column}' maps {type_name} to '{mapped}', not "
                    f"'{written[STATE_FIELD]}'.", status=400, type_key=_RULE_ERROR,
                )  # fmt: skip
            return mapped
        if STATE_FIELD in written:
            return str(written[STATE_FIELD])
        return item.fields.get(STATE_FIELD) if item else layout.initial_state()

    def _apply(
        self, item: _Item, layout: BoardLayout, written: dict[str, Any], state: str | None,
        *, by: str,
    ) -> None:  # fmt: skip
        if state not in layout.states:
            raise ConfigurationError(
                "TF401320: Rule Error for field State. Error code: LimitedToValues.",
                status=400, type_key=_RULE_ERROR,
            )  # fmt: skip
        current = layout.column(str(item.fields.get(layout.column_field, "")))
        item.fields.update({k: v for k, v in written.items() if k != "System.History"})
        item.fields[STATE_FIELD] = state
        column = written.get(layout.column_field)
        if column is None and (
            current is None or current.state_mappings.get(item.type_name) != state
        ):
            column = next((c.name for c in layout.columns
                           if c.state_mappings.get(item.type_name) == state), None)  # fmt: skip
        item.fields[layout.column_field] = column or (current.name if current else None)
        item.rev += 1
        item.fields[CHANGED_BY_FIELD] = {"id": by, "displayName": by}
        item.changed_at = self.clock()
        item.fields["System.ChangedDate"] = item.changed_at.isoformat().replace("+00:00", "Z")
        if "System.History" in written:
            item.fields.setdefault("_notes", []).append(written["System.History"])

    def notes(self, work_item_id: int) -> list[str]:
        """Test helper: the discussion entries written to the item, oldest first."""
        return list(self._item(work_item_id).fields.get("_notes", []))

    @staticmethod
    def _answer(item: _Item) -> WorkItem:
        fields = {k: v for k, v in item.fields.items() if v is not None and k != "_notes"}
        return WorkItem(id=item.id, rev=item.rev, fields=fields)
