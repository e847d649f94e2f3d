"""The service-hook ``workitem.updated`` payload, and what the inbound rule needs of it.

The official sample has quirks that live payloads do not (specs/README.md): its
``resource.workItemId`` is 0 and its ``revision`` still shows the old State. So the
work item id falls back to ``revision.id``, and a changed field's ``newValue`` wins over
the snapshot. ``resource.id`` is the update number, never the work item id.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from sync_core.rules.inbound import is_column_field
from sync_core.rules.models import BoardChange
from sync_core.rules.people import ASSIGNED_TO_FIELD, email_of
from sync_core.rules.vocabulary import BOARD_COLUMN_FIELD, STATE_FIELD, TAGS_FIELD

__all__ = [
    "FieldChange",
    "HookIdentity",
    "ResourceContainer",
    "WorkItemRevision",
    "WorkItemUpdate",
    "WorkItemUpdatedEvent",
]

_CHANGED_BY = "System.ChangedBy"
_NAME_WITH_EMAIL = re.compile(r"^(?P<name>.*?)\s*<[^<>]*>$")
#: A date field's value as the REST API and hook payloads spell it (ISO 8601).
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
#: At most this many of the card's date fields ride along (R24), so a message stays small.
_MAX_DATES = 16


class _Payload(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )


class HookIdentity(_Payload):
    id: str | None = None
    display_name: str | None = None
    unique_name: str | None = None


class FieldChange(_Payload):
    """``oldValue`` is absent when the field was empty before."""

    old_value: Any = None
    new_value: Any = None


class WorkItemRevision(_Payload):
    """The work item after the change."""

    id: int
    rev: int
    fields: dict[str, Any] = Field(default_factory=dict)


class WorkItemUpdate(_Payload):
    id: int  # the update number
    work_item_id: int = 0
    rev: int
    revised_by: HookIdentity | None = None
    revised_date: str | None = None
    fields: dict[str, FieldChange] = Field(default_factory=dict)
    revision: WorkItemRevision | None = None


class ResourceContainer(_Payload):
    id: str
    base_url: str | None = None


class WorkItemUpdatedEvent(_Payload):
    """One Azure DevOps ``workitem.updated`` delivery (resourceVersion 1.0)."""

    subscription_id: str | None = None
    notification_id: int | None = None
    id: str  # the event id: the de-duplication key (R9)
    event_type: Literal["workitem.updated"]
    publisher_id: str
    resource: WorkItemUpdate
    resource_version: str | None = None
    resource_containers: dict[str, ResourceContainer] = Field(default_factory=dict)
    created_date: str | None = None

    @property
    def work_item_id(self) -> int:
        resource = self.resource
        if resource.work_item_id:
            return resource.work_item_id
        return resource.revision.id if resource.revision else 0

    def board_change(self, *, column_field: str | None = None) -> BoardChange:
        """The event as the rules read it (R7, R8).

        A card sits in one column per team board, each in its own ``WEF_…_Kanban.Column``
        field, and the route (hence its board) is not known here. So every board's column
        goes into ``columns`` (the change's newValue, else the revision's), and ``column``
        is left for the worker to read from the route's board. ``column_field`` is for a
        caller that does know the route's board: its column becomes ``column``, and a
        change of it counts as a change of ``System.BoardColumn``. A payload naming no
        board field at all keeps ``System.BoardColumn`` as the column (the only one shown).
        """
        changes = self.resource.fields
        changed = set(changes)
        columns = self._columns()
        if column_field:
            if column_field in changes:
                changed.add(BOARD_COLUMN_FIELD)
            column = self._current(column_field) or self._current(BOARD_COLUMN_FIELD)
        else:
            column = None if columns else self._current(BOARD_COLUMN_FIELD)
        return BoardChange(
            event_id=self.id,
            work_item_id=self.work_item_id,
            rev=self.resource.rev,
            changed_fields=frozenset(changed),
            state=self._current(STATE_FIELD),
            column=column,
            columns=columns,
            revised_by_id=self._revised_by().id,
            revised_by_name=self._revised_by().display_name,
            revised_by_email=self._revised_by_email(),
            assigned_to=self._assigned_to(),
            dates=self._dates(),
        )

    def _revised_by_email(self) -> str | None:
        """The mover's e-mail (R24): ``revisedBy.uniqueName``, else ``System.ChangedBy``
        (an IdentityRef, or resourceVersion 1.0's ``Name <email>``)."""
        revised = self.resource.revised_by
        found = email_of(revised.unique_name) if revised is not None else None
        revision = self.resource.revision
        return found or email_of(revision.fields.get(_CHANGED_BY) if revision else None)

    def _assigned_to(self) -> str | None:
        """Assigned To after the change as an e-mail, "" when unassigned; None when this
        revision did not change it (or names someone by no e-mail) (R23)."""
        change = self.resource.fields.get(ASSIGNED_TO_FIELD)
        if change is None:
            return None
        if change.new_value in (None, ""):
            return ""
        return email_of(change.new_value)

    def _dates(self) -> dict[str, str]:
        """The card's date fields after the change (custom and Microsoft.VSTS ones; the
        System stamps are left out), e.g. ``fields.risk_accepted_until`` (R24)."""
        found: dict[str, str] = {}
        revision = self.resource.revision
        names = [*(revision.fields if revision else {}), *self.resource.fields]
        for name in dict.fromkeys(names):
            value = self._current(name)
            if name.startswith("System.") or len(name) > 128 or value is None:
                continue
            if _ISO_DATE.match(value):
                found[name] = value
                if len(found) == _MAX_DATES:
                    break
        return found

    def tags(self) -> frozenset[str]:
        """The work item's tags after the change (``System.Tags``: the change's newValue,
        else the revision's), for the edge's "is this card ours at all" check (R19)."""
        value = self._current(TAGS_FIELD)
        if value is None:
            return frozenset()
        return frozenset(tag.strip() for tag in value.split(";") if tag.strip())

    def _columns(self) -> dict[str, str]:
        """Every board's column after the change: field reference name -> column."""
        names = {n for n in self.resource.fields if is_column_field(n)}
        if self.resource.revision is not None:
            names |= {n for n in self.resource.revision.fields if is_column_field(n)}
        return {name: value for name in sorted(names) if (value := self._current(name))}

    def _current(self, field: str | None) -> str | None:
        """The field after the change: the change's newValue first, then the snapshot."""
        if field is None:
            return None
        change = self.resource.fields.get(field)
        value = change.new_value if change is not None else None
        if value is None and self.resource.revision is not None:
            value = self.resource.revision.fields.get(field)
        return value if isinstance(value, str) and value else None

    def _revised_by(self) -> HookIdentity:
        if self.resource.revised_by is not None:
            return self.resource.revised_by
        revision = self.resource.revision
        changed_by = revision.fields.get(_CHANGED_BY) if revision else None
        if isinstance(changed_by, dict):
            return HookIdentity.model_validate(changed_by)
        if isinstance(changed_by, str) and changed_by:
            match = _NAME_WITH_EMAIL.match(changed_by)
            return HookIdentity(display_name=match["name"] if match else changed_by)
        return HookIdentity()
