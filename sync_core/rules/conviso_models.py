"""A Conviso issue as the rules see it: the snapshot an event or the GraphQL API gives.

Conviso's own shapes (camelCase, extra keys ignored), so the same model reads an event,
a query answer and a queued message alike.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from .model_base import CONVISO_SHAPE
from .vocabulary import ConvisoStatus, Severity, SlaState

__all__ = [
    "Asset",
    "IssueSla",
    "PortalUser",
    "StatusHistoryEntry",
    "Vulnerability",
    "VulnerabilityDetail",
]


class _ConvisoShape(BaseModel):
    model_config = CONVISO_SHAPE


class Asset(_ConvisoShape):
    id: str
    name: str = ""
    #: the asset's tags (``Asset.assetsTagList``), which routes may be chosen by (R22);
    #: None when the snapshot did not say (an event without them), () when it has none
    assets_tag_list: tuple[str, ...] | None = Field(
        default=None, exclude_if=lambda value: value is None
    )

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("name", mode="before")
    @classmethod
    def _no_name(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("assets_tag_list", mode="before")
    @classmethod
    def _no_tags(cls, value: object) -> object:
        return () if value is None else value

    @property
    def tags(self) -> tuple[str, ...]:
        return self.assets_tag_list or ()

    @property
    def tags_known(self) -> bool:
        return self.assets_tag_list is not None


class IssueSla(_ConvisoShape):
    """Conviso's remediation SLA of an issue (``IssueSla``, 2026 schema; R20)."""

    state: SlaState | None = None
    due_at: datetime | None = None
    days_remaining: int | None = None


class PortalUser(_ConvisoShape):
    """A Conviso user as ``assignedUsers`` and ``statusHistory.source`` name them (R23, R24)."""

    email: str = ""
    name: str | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _no_email(cls, value: object) -> object:
        return "" if value is None else value


class StatusHistoryEntry(_ConvisoShape):
    """One entry of an issue's ``statusHistory``: who (``source``) set which status, when
    and why (R24: decisions made in Conviso are said on the card naming who and why)."""

    id: str
    status: ConvisoStatus
    created_at: datetime
    reason: str | None = None
    source: PortalUser | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class VulnerabilityDetail(_ConvisoShape):
    """The location data of the concrete issue types (SAST, SCA, DAST, network)."""

    file_name: str | None = None
    vulnerable_line: int | None = None
    first_line: int | None = None
    code_snippet: str | None = None
    package: str | None = None
    affected_version: str | None = None
    patched_version: str | None = None
    cve: str | None = None
    cvss_score: float | None = None
    cvss_metric: str | None = None
    url: str | None = None
    method: str | None = None
    parameters: str | None = None
    address: str | None = None
    port: int | None = None
    protocol: str | None = None


class Vulnerability(_ConvisoShape):
    """A snapshot of one Conviso issue, as an event or the GraphQL API gives it."""

    id: str
    title: str = ""
    status: ConvisoStatus
    severity: Severity | None = None
    type: str | None = None
    asset: Asset
    description: str = ""
    solution: str = ""
    category: str | None = None  # the CWE, e.g. "CWE-89"
    detail: VulnerabilityDetail = VulnerabilityDetail()
    updated_at: datetime
    permitted_status: tuple[ConvisoStatus, ...] | None = None
    #: the remediation deadline (R20); None when Conviso does not say
    sla: IssueSla | None = None
    #: who the issue is assigned to in Conviso (R23); None when the snapshot does not say
    #: (an event without them), () when nobody is
    assigned_users: tuple[PortalUser, ...] | None = Field(
        default=None, exclude_if=lambda value: value is None
    )
    #: the issue's status changes with their authors and reasons (R24); None when the
    #: snapshot does not say
    status_history: tuple[StatusHistoryEntry, ...] | None = Field(
        default=None, exclude_if=lambda value: value is None
    )

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("description", "solution", "title", mode="before")
    @classmethod
    def _none_as_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("detail", mode="before")
    @classmethod
    def _none_detail(cls, value: object) -> object:
        return {} if value is None else value
