"""Azure DevOps answers as typed values, parsed once at the client's edge.

Only the keys the integration uses are declared; everything else is ignored, so a new
key in an answer never breaks a sync. Names are snake_case, read from camelCase.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from sync_core.rules.vocabulary import STATE_FIELD, TAGS_FIELD

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
    "WorkItem",
    "WorkItemStateInfo",
    "WorkItemTypeInfo",
    "parse_tags",
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


def parse_tags(value: object) -> frozenset[str]:
    """``System.Tags`` is one string, tags separated by ``"; "``."""
    if not isinstance(value, str):
        return frozenset()
    return frozenset(tag.strip() for tag in value.split(";") if tag.strip())
