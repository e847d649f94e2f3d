"""Azure DevOps answers as typed values: what the Boards port hands the service.

The Boards adapter parses every answer into these once, at its edge; a fake of the port
builds them directly (``WorkItem(id=1, rev=1, fields={...})``). Defined here, on the
service's side, so the service reads them without naming the adapter.

Only the keys the integration uses are declared; everything else is ignored, so a new
key in an answer never breaks a sync. Names are snake_case, read from camelCase.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from ..rules.boards import parse_tags
from ..rules.vocabulary import AREA_PATH_FIELD, STATE_FIELD, TAGS_FIELD

__all__ = [
    "Board",
    "BoardColumnInfo",
    "BoardFields",
    "BoardReference",
    "BoardRow",
    "ConnectionData",
    "FieldReference",
    "Identity",
    "Project",
    "Relation",
    "Subscription",
    "Team",
    "TeamFieldValue",
    "TeamFieldValues",
    "WorkItem",
    "WorkItemStateInfo",
    "WorkItemTypeInfo",
]


class _Wire(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )


class Identity(_Wire):
    """Who did something; ``id`` is what echo detection compares (R8)."""

    id: str | None = None
    display_name: str | None = None
    unique_name: str | None = None
    provider_display_name: str | None = None

    @property
    def name(self) -> str | None:
        return self.display_name or self.provider_display_name or self.unique_name


class ConnectionData(_Wire):
    authenticated_user: Identity
    authorized_user: Identity | None = None
    instance_id: str | None = None


class Project(_Wire):
    id: str
    name: str
    state: str | None = None


class Team(_Wire):
    id: str
    name: str
    description: str | None = None


class TeamFieldValue(_Wire):
    """One of a team's areas; with ``include_children`` the areas under it are the team's too."""

    value: str
    include_children: bool = False


class TeamFieldValues(_Wire):
    """``teamsettings/teamfieldvalues``: which work items a team's board shows (R3).

    A board shows the items whose team field (``System.AreaPath`` unless the project was set
    up with another field) holds one of ``values``; a new card without an area gets
    ``default_value``.
    """

    field: FieldReference | None = None
    default_value: str | None = None
    values: tuple[TeamFieldValue, ...] = ()

    @property
    def field_name(self) -> str:
        return self.field.reference_name if self.field else AREA_PATH_FIELD

    def shows(self, path: str) -> bool:
        """Whether the team's board shows an item whose team field is ``path``.

        The path equals one of the team's values, or lies under one that includes its
        children. Classification paths are case-insensitive in Azure DevOps (two sibling
        nodes cannot differ only in case), so they are compared case-folded.
        """
        wanted = path.casefold()
        for area in self.values:
            mine = area.value.casefold()
            if wanted == mine or (area.include_children and wanted.startswith(mine + "\\")):
                return True
        return False


class BoardReference(_Wire):
    id: str
    name: str


class FieldReference(_Wire):
    reference_name: str


class BoardFields(_Wire):
    """The board's own extension fields: ``WEF_<guid>_Kanban.Column`` and siblings."""

    column_field: FieldReference
    row_field: FieldReference | None = None
    done_field: FieldReference | None = None


class BoardColumnInfo(_Wire):
    id: str
    name: str
    item_limit: int = 0
    state_mappings: dict[str, str] = {}
    is_split: bool | None = False
    description: str | None = None
    column_type: str = "inProgress"


class BoardRow(_Wire):
    """A lane; the default lane has ``name: null``."""

    id: str
    name: str | None = None


class Board(_Wire):
    id: str
    name: str
    columns: tuple[BoardColumnInfo, ...] = ()
    rows: tuple[BoardRow, ...] = ()
    fields: BoardFields


class WorkItemTypeInfo(_Wire):
    name: str
    reference_name: str | None = None
    is_disabled: bool = False


class WorkItemStateInfo(_Wire):
    name: str
    category: str
    color: str | None = None


class Relation(_Wire):
    rel: str
    url: str
    attributes: dict[str, Any] = {}


class WorkItem(_Wire):
    id: int
    rev: int
    fields: dict[str, Any] = {}
    relations: tuple[Relation, ...] = ()
    url: str | None = None

    @field_validator("relations", mode="before")
    @classmethod
    def _none_as_empty(cls, value: object) -> object:
        return () if value is None else value

    @property
    def state(self) -> str | None:
        value = self.fields.get(STATE_FIELD)
        return value if isinstance(value, str) else None

    @property
    def tags(self) -> frozenset[str]:
        return parse_tags(self.fields.get(TAGS_FIELD))


class Subscription(_Wire):
    id: str
    status: str | None = None
    publisher_id: str
    event_type: str
    resource_version: str | None = None
    consumer_id: str
    consumer_action_id: str
    publisher_inputs: dict[str, str | None] = Field(default_factory=dict)
    consumer_inputs: dict[str, str | None] = Field(default_factory=dict)
