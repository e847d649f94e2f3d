"""Plain values the service and the state exchange, defined on the service's side.

The state adapters build and return these; fakes of the state ports return the same
classes, so a use case cannot tell them apart. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, NamedTuple, TypedDict

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..rules.decisions import Level
from ..rules.models import Link

__all__ = [
    "MAX_MESSAGE_CHARS",
    "ClaimOutcome",
    "ClaimResult",
    "Delivery",
    "DeliveryDetails",
    "DeliveryPage",
    "DeliverySubject",
    "Direction",
    "IntegrationStatus",
    "PendingFlow",
    "PoisonMessage",
    "RefusedWork",
    "StoredLink",
    "StoredTokenCache",
    "Watermark",
]


def _now() -> datetime:
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# ------------------------------------------------------------------ links (R1)


class ClaimResult(StrEnum):
    """What a claim to create a vulnerability's work item found (see ``Links.claim``)."""

    WON = "won"
    LINKED = "linked"
    HELD = "held"
    STALE = "stale"


class ClaimOutcome(BaseModel):
    """The answer to ``Links.claim``; ``etag`` guards the caller's next write."""

    model_config = ConfigDict(frozen=True)

    result: ClaimResult
    etag: str
    link: Link | None = None
    claimant: str | None = None
    claimed_at: datetime | None = None


class StoredLink(NamedTuple):
    """A link as stored, with the ETag that guards writing it back."""

    link: Link
    etag: str


# ------------------------------------------------------------------ deliveries (R11)

MAX_MESSAGE_CHARS = 4000
_MAX_FIELD_CHARS = 1024
_TEXT_FIELDS = ("message", "vulnerability_id", "work_item_id", "event_id", "reason", "route_key")


def _clip(value: str | None, limit: int) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


class DeliveryDetails(TypedDict, total=False):
    """What a line may say besides its time, level and message: ``Delivery``'s other fields,
    for the ``record(..., **details)`` helpers, so a misspelt key fails the type check."""

    vulnerability_id: str | None
    work_item_id: int | None
    event_id: str | None
    reason: str | None
    route_key: str | None
    queue: str | None
    message_id: str | None


class DeliverySubject(TypedDict, total=False):
    """What a line is about, gathered once and passed to several ``record`` calls that each
    add their own reason: kept apart from ``DeliveryDetails`` so the type checker can tell
    the two sets of keywords never overlap."""

    event_id: str | None
    vulnerability_id: str | None
    work_item_id: int | None


class Delivery(BaseModel):
    """One recorded outcome. Long texts are clipped: recording must never fail on size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: datetime = Field(default_factory=_now)
    level: Level
    message: str
    vulnerability_id: str | None = None
    work_item_id: int | None = None
    event_id: str | None = None
    #: a SkipReason value, or an error code (e.g. Azure DevOps' own)
    reason: str | None = None
    route_key: str | None = None
    #: set for poison messages (R12), so the admin can replay them
    queue: str | None = None
    message_id: str | None = None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _to_utc(value)

    @field_validator("message")
    @classmethod
    def _clip_message(cls, value: str) -> str:
        return _clip(value, MAX_MESSAGE_CHARS) or ""

    @field_validator("vulnerability_id", "event_id", "reason", "route_key", "queue", "message_id")
    @classmethod
    def _clip_field(cls, value: str | None) -> str | None:
        return _clip(value, _MAX_FIELD_CHARS)

    def mentions(self, text: str) -> bool:
        needle = text.casefold()
        return any(
            needle in str(value).casefold()
            for value in (getattr(self, name) for name in _TEXT_FIELDS)
            if value is not None
        )


class DeliveryPage(BaseModel):
    """Deliveries newest first; pass ``next_cursor`` back for the next page (None: no more)."""

    model_config = ConfigDict(frozen=True)

    items: tuple[Delivery, ...]
    next_cursor: str | None = None


# ------------------------------------------------------------------ watermarks (R13)


class Watermark(NamedTuple):
    """A watermark's value (None before the first run) and the ETag to advance it with."""

    value: datetime | None
    etag: str | None


# ------------------------------------------------------------------ refused work (R14)

Direction = Literal["outbound", "inbound"]


class RefusedWork(NamedTuple):
    """One refused piece of work: the message to send again, and why it was refused."""

    route_key: str
    direction: Direction
    subject: str
    message: dict[str, Any]
    reason: str
    row_key: str


# ------------------------------------------------------------------ integrations


class IntegrationStatus(BaseModel):
    """What the sync learned about an integration's health, shown to the admin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: route key -> why it is paused (an Azure DevOps 400/401/403/404, R14)
    paused_routes: dict[str, str] = {}
    needs_reauthorization: bool = False
    reauthorization_reason: str | None = None
    updated_at: datetime | None = None

    def pause(self, route_key: str, reason: str) -> IntegrationStatus:
        return self.model_copy(update={"paused_routes": {**self.paused_routes, route_key: reason}})

    def resume(self, route_key: str) -> IntegrationStatus:
        rest = {k: v for k, v in self.paused_routes.items() if k != route_key}
        return self.model_copy(update={"paused_routes": rest})


# ------------------------------------------------------------------ queues (R12)


class PoisonMessage(BaseModel):
    """A message the host gave up on, as the admin sees it before replaying."""

    model_config = ConfigDict(frozen=True)

    id: str
    #: the JSON object it carried, or None when it is not one
    payload: dict[str, Any] | None
    #: its decoded text (or the raw content when it was not base64)
    text: str
    dequeue_count: int | None = None
    inserted_on: datetime | None = None


# ------------------------------------------------------------------ OAuth (R15)


@dataclass(frozen=True)
class PendingFlow:
    """A sign-in started by ``/oauth/start``, handed back once to its callback."""

    integration_id: str
    flow: dict[str, Any]


@dataclass(frozen=True)
class StoredTokenCache:
    """An integration's MSAL token cache, opened, with the ETag to replace it under."""

    serialized: str
    etag: str
