"""What the admin page's set-up needs besides the admin API: discovery before anything is
stored, who an integration is connected as, and the admin-key check of the local host.

Discovery takes the organization and credentials in the request body because a
configuration cannot be saved before it has a route (``IntegrationConfig`` requires one,
with IDENTIFIED mapped), and a route cannot be chosen before Azure DevOps has been asked
what exists. Nothing of the request is stored; a PAT left blank falls back to the stored
one, and ``oauth`` / ``service_principal`` use the integration's own tokens.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..edge import Unauthorized
from ..ports import Boards, Identity
from ..rules import AuthConfig, IntegrationConfig, InvalidIntegrationId, check_integration_id
from .admin.validation import admin_document, validation_message
from .context import SyncContext
from .errors import InvalidInput
from .refusals import Refused, azure_devops_answers

__all__ = ["check_admin_key", "connection_status", "discover_for_console"]

log = logging.getLogger(__name__)

What = Literal["connection", "projects", "teams", "boards", "board", "areas", "types", "states"]


class DiscoveryRequest(BaseModel):
    """``POST /api/admin/discovery``: what to list, and with which credentials."""

    model_config = ConfigDict(extra="forbid")

    what: What
    integration: str | None = Field(default=None, max_length=64)
    organization: str | None = Field(default=None, max_length=50)
    auth: AuthConfig | None = None
    project: str | None = Field(default=None, min_length=1, max_length=256)
    team: str | None = Field(default=None, min_length=1, max_length=256)
    board: str | None = Field(default=None, min_length=1, max_length=256)
    work_item_type: str | None = Field(default=None, min_length=1, max_length=128)


def check_admin_key(expected: str | None, given: str | None) -> None:
    """Refuse a wrong key where this process knows the right one (``ADMIN_KEY``).

    In Azure the Functions host checks the function key before any admin trigger runs;
    the development host does not, so this is the local stand-in the admin page calls.
    """
    if expected and not hmac.compare_digest(expected.encode(), (given or "").encode()):
        raise Unauthorized("the admin key is not valid")


def _parse(headers: dict[str, str], body: bytes) -> DiscoveryRequest:
    document = admin_document(headers, body)  # a credential is hashed and sent: encodable
    try:
        return DiscoveryRequest.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc)) from None


def _connection(ctx: SyncContext, request: DiscoveryRequest) -> tuple[str, IntegrationConfig]:
    """(integration id, a configuration holding only organization and credentials)."""
    try:
        iid = check_integration_id(request.integration) if request.integration else "setup"
    except InvalidIntegrationId as exc:  # the same 400 the state's InvalidKey answered
        raise InvalidInput(str(exc)) from None
    stored = ctx.state.integrations.get(iid) if request.integration else None
    organization = request.organization or (stored.organization if stored else None)
    if not organization:
        raise InvalidInput("organization: enter the Azure DevOps organization name")
    try:  # the configuration's own organization rule; its other fields are not here yet
        IntegrationConfig.model_validate({"organization": organization})
    except ValidationError as exc:
        problems = [e for e in exc.errors() if e["loc"] == ("organization",)]
        if problems:
            raise InvalidInput(f"organization: {problems[0]['msg']}") from None
    auth = request.auth or (stored.auth if stored else AuthConfig(mode="pat"))
    if auth.mode == "pat" and auth.pat is None and stored is not None:
        auth = auth.model_copy(update={"pat": stored.auth.pat})
    if auth.mode == "pat" and not (auth.pat and auth.pat.get_secret_value()):
        raise InvalidInput("auth.pat: enter a personal access token")
    if auth.mode == "oauth" and stored is None:
        raise InvalidInput("auth.mode: sign in with Microsoft needs a saved integration")
    # Only organization and auth are read by the client factory: no route is needed yet.
    return iid, IntegrationConfig.model_construct(organization=organization, auth=auth)


def _need(value: str | None, name: str) -> str:
    if not value:
        raise InvalidInput(f"{name}: choose one first")
    return value


def _board(boards: Boards, r: DiscoveryRequest) -> dict[str, Any]:
    """A board's columns (with the states they stand for) and named lanes, for a route's
    ``status_map`` and ``lane``."""
    project, team = _need(r.project, "project"), _need(r.team, "team")
    found = boards.get_board(project, team, _need(r.board, "board"))
    return {
        "columns": [
            {"name": c.name, "state_mappings": c.state_mappings, "type": c.column_type}
            for c in found.columns
        ],
        "lanes": [row.name for row in found.rows if row.name],
    }


def _areas(boards: Boards, r: DiscoveryRequest) -> dict[str, Any]:
    """The team's areas for a route's ``area_path`` (R3): one of them, or below one
    that includes its children; a route without one gets ``default``."""
    found = boards.team_field_values(_need(r.project, "project"), _need(r.team, "team"))
    return {
        "default": found.default_value,
        "areas": [{"path": v.value, "include_children": v.include_children} for v in found.values],
    }


def _listing(boards: Boards, r: DiscoveryRequest) -> Callable[[], Any]:
    """The one read each ``what`` makes, shaped for drop-downs (names, not wire models)."""
    readers: dict[str, Callable[[], Any]] = {
        "connection": lambda: {"account": _account(boards.check_connection())},
        "projects": lambda: [p.name for p in boards.list_projects()],
        "teams": lambda: [t.name for t in boards.list_teams(_need(r.project, "project"))],
        "boards": lambda: [
            b.name for b in boards.list_boards(_need(r.project, "project"), _need(r.team, "team"))
        ],
        "board": lambda: _board(boards, r),
        "areas": lambda: _areas(boards, r),
        "types": lambda: [
            t.name for t in boards.work_item_types(_need(r.project, "project")) if not t.is_disabled
        ],
        "states": lambda: [
            {"name": s.name, "category": s.category}
            for s in boards.work_item_type_states(
                _need(r.project, "project"), _need(r.work_item_type, "work_item_type")
            )
        ],
    }
    return readers[r.what]


def _account(who: Identity) -> str:
    return who.name or who.id or "unknown"


def discover_for_console(
    ctx: SyncContext, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """Projects, teams, boards (columns, lanes), types or states: ``{"items": ...}``. The
    credentials are the caller's own (typed in the console), so a refusal of them is a 401."""
    request = _parse(headers, body)
    iid, config = _connection(ctx, request)
    with azure_devops_answers("caller"):
        items = _listing(ctx.boards_for(iid, config), request)()
    log.info("discovery of %s for integration %s", request.what, iid)
    return {"what": request.what, "items": items}


def connection_status(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """Whether the integration exists, who it is connected as, whether to sign in again."""
    config = ctx.state.integrations.get(integration_id)
    if config is None:
        return {"configured": False}
    status = ctx.state.integrations.get_status(integration_id)
    answer: dict[str, Any] = {
        "configured": True,
        "organization": config.organization,
        "auth_mode": config.auth.mode,
        "needs_reauthorization": status.needs_reauthorization,
        "reauthorization_reason": status.reauthorization_reason,
        "account": None,
    }
    try:
        with azure_devops_answers():
            answer["account"] = _account(ctx.boards_for(integration_id, config).check_connection())
    except Refused as exc:
        answer["account_error"] = exc.message
    return answer
