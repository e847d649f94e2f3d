"""The integration's configuration (§4): the Conviso company, the Azure DevOps
organization, and the routes that say where each asset's vulnerabilities go.

Validated whole on save, so a configuration the sync could not follow (an ambiguous route,
a field the sync writes itself, a status with no place on the board) is refused with the
field named, never discovered by the first event.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    field_validator,
    model_serializer,
    model_validator,
)

from .model_base import FROZEN
from .vocabulary import MAPPABLE_STATUSES, REQUIRED_PRIORITIES, VANISHED, ConvisoStatus, Severity

__all__ = [
    "AuthConfig",
    "ConvisoConfig",
    "FieldKey",
    "IntegrationConfig",
    "Priority",
    "Route",
    "StatusTarget",
    "WebhookConfig",
]


class _Frozen(BaseModel):
    model_config = FROZEN


Priority = Annotated[int, Field(ge=1, le=4)]

_ORGANIZATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,48}[A-Za-z0-9]?$")


class StatusTarget(_Frozen):
    """Where a Conviso status puts the card: a State, a board Column, or both."""

    state: str | None = Field(default=None, min_length=1, max_length=128)
    column: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _names_something(self) -> StatusTarget:
        if self.state is None and self.column is None:
            raise ValueError("a status target names a state, a column or both")
        return self


#: What a route may write into fields it names (R20, R21, R24): the key is what of the
#: vulnerability goes there, the value the field's reference name.
FieldKey = Literal[
    "due_date", "cve", "cwe", "cvss", "vulnerability_id", "asset", "type", "severity",
    "risk_accepted_until",
]  # fmt: skip
#: A field reference name as Azure DevOps spells them: ``Custom.CVE``,
#: ``Microsoft.VSTS.Common.Severity`` (dot-separated identifiers).
_FIELD_REFERENCE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
#: Fields the sync writes itself (card content, position, tags, notes) or Azure DevOps
#: computes: a route's ``fields`` or ``defaults`` naming one would fight the sync.
_OWNED_FIELDS = frozenset(
    name.lower()
    for name in (
        "System.Title", "System.Description", "System.State", "System.Reason", "System.Tags",
        "System.History", "System.AreaPath", "System.IterationPath", "System.BoardColumn",
        "System.BoardColumnDone", "System.BoardLane", "System.Id", "System.Rev",
        "System.WorkItemType", "System.TeamProject", "System.CreatedBy", "System.CreatedDate",
        "System.ChangedBy", "System.ChangedDate", "Microsoft.VSTS.Common.Priority",
    )
)  # fmt: skip
_TAG_MAX = 100
#: An e-mail address as people are named on both sides (R23): one @, no spaces or markup.
_EMAIL = re.compile(r"[^@\s<>\"'(),;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def _field_reference_problem(name: str) -> str | None:
    if not _FIELD_REFERENCE.match(name) or len(name) > 128:
        return f"'{name}' is not a field reference name (e.g. Custom.CVE)"
    if name.lower() in _OWNED_FIELDS or name.upper().startswith("WEF_"):
        return f"'{name}' is written by the sync itself"
    return None


class Route(_Frozen):
    """Where an asset's vulnerabilities go ("configuration" in the seed)."""

    default: bool = False
    asset_id: str | None = Field(default=None, min_length=1, max_length=64)
    #: Conviso asset tags: the route serves the assets holding any of them (R22)
    asset_tags: tuple[str, ...] | None = Field(default=None, min_length=1, max_length=50)
    project: str = Field(min_length=1, max_length=256)
    team: str = Field(min_length=1, max_length=256)
    board: str = Field(min_length=1, max_length=256)
    work_item_type: str = Field(min_length=1, max_length=128)
    lane: str | None = Field(default=None, max_length=256)
    area_path: str | None = Field(default=None, max_length=4000)
    iteration_path: str | None = Field(default=None, max_length=4000)
    status_map: dict[ConvisoStatus, StatusTarget]
    #: where a card goes when Conviso no longer returns its vulnerability (R25): written
    #: and read as ``status_map.VANISHED``, kept apart because it is no Conviso status
    vanished_target: StatusTarget | None = Field(default=None, exclude=True)
    #: vulnerability data written into fields the route names (R20, R21)
    fields: dict[FieldKey, str] = {}
    #: Conviso severity -> the value ``fields.severity`` takes (e.g. "1 - Critical")
    severity_values: dict[Severity, str] = {}
    #: values for fields the work item type requires, set on a new card (R21)
    defaults: dict[str, str | int] = Field(default={}, max_length=50)
    #: R23: "sync" makes Conviso's assignees and the card's Assigned To follow each other
    assignees: Literal["sync", "off"] = "off"
    #: R23: the e-mail a new card is assigned to when Conviso names nobody
    default_assignee: str | None = Field(default=None, max_length=254)
    #: R24: how long a risk accepted by a board move lasts when the card names no date
    risk_acceptance_days: int = Field(default=90, ge=1, le=3650)

    @model_validator(mode="before")
    @classmethod
    def _vanished_from_status_map(cls, data: object) -> object:
        """``status_map.VANISHED`` is the configuration's spelling (R25)."""
        if isinstance(data, dict) and isinstance(data.get("status_map"), dict):
            status_map = dict(data["status_map"])
            if VANISHED in status_map:
                data = {**data, "vanished_target": status_map.pop(VANISHED)}
                data["status_map"] = status_map
        return data

    @model_serializer(mode="wrap")
    def _vanished_into_status_map(self, handler: Any) -> Any:
        dumped = handler(self)
        if isinstance(dumped, dict) and self.vanished_target is not None:
            status_map = dict(dumped.get("status_map") or {})
            status_map[VANISHED] = self.vanished_target.model_dump(mode="json")
            dumped["status_map"] = status_map
        return dumped

    @field_validator("asset_id", mode="before")
    @classmethod
    def _asset_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("asset_tags")
    @classmethod
    def _tags_are_names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        cleaned = tuple(t.strip() for t in value)
        if any(not t or len(t) > _TAG_MAX for t in cleaned):
            raise ValueError(f"asset_tags are Conviso asset tags: 1-{_TAG_MAX} characters each")
        if len({t.casefold() for t in cleaned}) != len(cleaned):
            raise ValueError("asset_tags names a tag twice")
        return cleaned

    @field_validator("fields")
    @classmethod
    def _fields_are_references(cls, value: dict[str, str]) -> dict[str, str]:
        problems = [
            f"fields.{key}: {problem}"
            for key, name in value.items()
            if (problem := _field_reference_problem(name))
        ]
        seen: dict[str, str] = {}
        for key, name in value.items():
            if name.lower() in seen:
                problems.append(f"fields.{key}: '{name}' is also fields.{seen[name.lower()]}")
            seen.setdefault(name.lower(), key)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("severity_values")
    @classmethod
    def _severity_values_text(cls, value: dict[Severity, str]) -> dict[Severity, str]:
        if any(not v.strip() or len(v) > 256 for v in value.values()):
            raise ValueError("severity_values are 1-256 characters each")
        return value

    @field_validator("default_assignee")
    @classmethod
    def _assignee_is_email(cls, value: str | None) -> str | None:
        """An e-mail, as both Conviso (``assigneeEmails``) and Azure DevOps (an identity's
        ``uniqueName``) name people; kept in lower case, as both compare them."""
        if value is None:
            return None
        cleaned = value.strip().lower()
        if not _EMAIL.fullmatch(cleaned):
            raise ValueError("default_assignee must be an e-mail address (name@example.com)")
        return cleaned

    @field_validator("defaults")
    @classmethod
    def _defaults_are_references(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        problems = [
            f"defaults.{name}: {problem}"
            for name in value
            if (problem := _field_reference_problem(name))
        ]
        problems += [
            f"defaults.{name}: a value is 1-4000 characters"
            for name, v in value.items()
            if isinstance(v, str) and not 1 <= len(v) <= 4000
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("status_map")
    @classmethod
    def _status_map_is_complete(
        cls, value: dict[ConvisoStatus, StatusTarget]
    ) -> dict[ConvisoStatus, StatusTarget]:
        if ConvisoStatus.IDENTIFIED not in value:
            raise ValueError("IDENTIFIED is required in every status map")
        unmappable = sorted(s.value for s in value if s not in MAPPABLE_STATUSES)
        if unmappable:
            raise ValueError(f"these statuses cannot be mapped to a card: {', '.join(unmappable)}")
        return value

    @model_validator(mode="after")
    def _default_or_asset(self) -> Route:
        chosen = [self.default, self.asset_id is not None, self.asset_tags is not None]
        if sum(chosen) != 1:
            raise ValueError(
                "a route is either default, or names one asset_id, or names asset_tags"
            )
        return self

    @model_validator(mode="after")
    def _fields_fit_together(self) -> Route:
        problems: list[str] = []
        if self.severity_values and "severity" not in self.fields:
            problems.append("severity_values needs fields.severity (the field they go to)")
        if self.severity_values:
            missing = [s.value for s in REQUIRED_PRIORITIES if s not in self.severity_values]
            if missing:
                problems.append(f"severity_values needs a value for {', '.join(missing)}")
        mapped = {name.lower(): key for key, name in self.fields.items()}
        problems += [
            f"defaults.{name}: the field is already fields.{mapped[name.lower()]}"
            for name in self.defaults
            if name.lower() in mapped
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def key(self) -> str:
        """A stable name for the route, used in deliveries and caches."""
        if self.default:
            return "default"
        if self.asset_tags is not None:
            return "tags-" + ",".join(sorted(t.casefold() for t in self.asset_tags))
        return f"asset-{self.asset_id}"


class AuthConfig(_Frozen):
    mode: Literal["pat", "oauth", "service_principal"]
    pat: SecretStr | None = None


class ConvisoConfig(_Frozen):
    company_id: str = Field(min_length=1, max_length=64)
    api_key: SecretStr | None = None
    portal_url: str = "https://app.convisoappsec.com"

    @field_validator("company_id", mode="before")
    @classmethod
    def _company_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("portal_url")
    @classmethod
    def _portal_is_http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s<>\"']+$", value):
            raise ValueError("portal_url must be an http(s) URL")
        return value.rstrip("/")


class WebhookConfig(_Frozen):
    token: SecretStr | None = None
    basic_username: str | None = None
    basic_password: SecretStr | None = None

    @field_validator("basic_username", "basic_password")
    @classmethod
    def _web_hooks_credential(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        """The Web Hooks consumer refuses any other ``basicAuthUsername``/``Password``
        (``^[\\S]+$``, 1-256 characters: hooks 7.1 ``consumers/GET__hooks_consumers.json``),
        so a credential it would refuse when the subscription is made is refused on save (R17).
        The message never repeats the value: the password is a secret."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is not None and not re.fullmatch(r"\S{1,256}", text):
            raise ValueError(
                "must be 1-256 characters with no whitespace (Azure DevOps' Web Hooks rule)"
            )
        return value


class IntegrationConfig(_Frozen):
    """One integration: a Conviso company linked to an Azure DevOps organization (§4)."""

    organization: str
    auth: AuthConfig
    conviso: ConvisoConfig
    event_secret: SecretStr | None = None
    webhook: WebhookConfig = WebhookConfig()
    severity_policy: list[Severity] | Literal["all"] = "all"
    severity_map: dict[Severity, Priority]
    routes: list[Route] = Field(min_length=1, max_length=500)
    #: The identity the integration writes as, so its own revisions are echoes (R8).
    service_identity: str | None = None

    @field_validator("organization")
    @classmethod
    def _organization_name(cls, value: str) -> str:
        if not _ORGANIZATION.match(value):
            raise ValueError(
                "organization must be an Azure DevOps organization name "
                "(letters, digits and hyphens, at most 50)"
            )
        return value

    @field_validator("severity_map")
    @classmethod
    def _priorities_complete(cls, value: dict[Severity, int]) -> dict[Severity, int]:
        missing = [s.value for s in REQUIRED_PRIORITIES if s not in value]
        if missing:
            raise ValueError(f"severity_map needs a priority (1-4) for {', '.join(missing)}")
        return value

    @field_validator("routes")
    @classmethod
    def _routes_unambiguous(cls, value: list[Route]) -> list[Route]:
        if sum(1 for r in value if r.default) > 1:
            raise ValueError("at most one default route")
        seen: set[str] = set()
        for route in value:
            if route.asset_id is None:
                continue
            if route.asset_id in seen:
                raise ValueError(f"asset {route.asset_id} has more than one custom route")
            seen.add(route.asset_id)
        tag_routes: set[str] = set()
        for route in value:
            if route.asset_tags is None:
                continue
            if route.key in tag_routes:
                # the first such route always wins (R22): the second would never be used
                raise ValueError(
                    f"two routes name the same asset_tags ({', '.join(route.asset_tags)})"
                )
            tag_routes.add(route.key)
        return value
