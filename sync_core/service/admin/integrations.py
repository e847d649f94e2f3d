"""Integration configurations: validated, stored, shown without secrets, deleted.

A configuration is validated twice before it is stored: by the rules' models (shape,
required statuses and priorities), then against Azure DevOps (every mapped state and
column, the lane) where Azure DevOps answers. Secrets are write-only: a PUT that omits
one keeps the stored value, and no answer ever contains one.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, ValidationError

from ...ports import AuthenticationError, AzureDevOpsError, Boards, ConfigurationError
from ...rules import IntegrationConfig, Level, Route, route_problems
from ..check import route_field_findings, route_path_findings
from ..context import SyncContext
from ..errors import InvalidInput
from ..inbound import learn_writer_identity_on_save
from ..intake import load_integration
from .hooks_removal import remove_service_hooks
from .refused_calls import refused_calls
from .validation import admin_document, missing_secret, route_problem, validation_message

__all__ = [
    "SECRET_PATHS",
    "delete_integration",
    "get_integration",
    "public_view",
    "put_integration",
]

#: Every secret of a configuration, as dotted paths.
SECRET_PATHS = (
    "auth.pat",
    "conviso.api_key",
    "event_secret",
    "webhook.token",
    "webhook.basic_password",
)


def _get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def public_view(integration_id: str, config: IntegrationConfig) -> dict[str, Any]:
    """The configuration as an answer: every secret replaced by whether it is set."""
    data = config.model_dump(mode="json")
    secrets: dict[str, bool] = {}
    for path in SECRET_PATHS:
        parent_path, _, leaf = path.rpartition(".")
        parent = _get_path(data, parent_path) if parent_path else data
        if isinstance(parent, dict) and leaf in parent:
            secrets[path] = parent.pop(leaf) is not None
    return {"id": integration_id, **data, "secrets": secrets}


def _with_stored_secrets(
    new: IntegrationConfig, old: IntegrationConfig | None
) -> IntegrationConfig:
    """The configuration as it will be once stored: omitted secrets keep their old value."""
    if old is None:
        return new

    def keep(mine: SecretStr | None, theirs: SecretStr | None) -> SecretStr | None:
        return mine if mine is not None else theirs

    return new.model_copy(
        update={
            "auth": new.auth.model_copy(update={"pat": keep(new.auth.pat, old.auth.pat)}),
            "conviso": new.conviso.model_copy(
                update={"api_key": keep(new.conviso.api_key, old.conviso.api_key)}
            ),
            "event_secret": keep(new.event_secret, old.event_secret),
            "webhook": new.webhook.model_copy(
                update={
                    "token": keep(new.webhook.token, old.webhook.token),
                    "basic_password": keep(new.webhook.basic_password, old.webhook.basic_password),
                }
            ),
        }
    )


def _check_against_boards(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> list[str]:
    """Problems Azure DevOps confirms (→ 400), or warnings when it cannot be asked."""
    try:
        boards = ctx.boards_for(integration_id, config)
    except AuthenticationError as exc:
        # no client can be made at all: the app settings lack what this mode needs
        # (ENTRA_* for "oauth"); the person saving must hear it now, not at the first event
        raise InvalidInput(f"auth.mode: '{config.auth.mode}' cannot be used here: {exc}") from None
    problems: list[str] = []
    for index, route in enumerate(config.routes):
        try:
            _check_route(boards, index, route, problems)
        except AuthenticationError as exc:
            return [f"not checked against Azure DevOps: authentication failed ({exc})"]
        except ConfigurationError as exc:
            problems.append(f"routes[{index}]: {exc}")
        except (AzureDevOpsError, OSError) as exc:
            return [
                f"not checked against Azure DevOps: it did not answer ({exc.__class__.__name__})"
            ]
    if problems:
        raise InvalidInput("; ".join(problems))
    return []


def _check_route(boards: Boards, index: int, route: Route, problems: list[str]) -> None:
    """Add one route's problems to ``problems`` as they are found (those found before Azure
    DevOps refuses a later read are kept)."""
    # area/iteration paths exist and the team shows the area (R3), named per field
    problems.extend(
        f"routes[{index}].{f.field}: {f.reason}"
        for f in route_path_findings(boards, route)
        if not f.ok
    )
    layout = boards.board_layout(route.project, route.team, route.board, route.work_item_type)
    # the named fields exist on the type, take the values written (R21)
    problems.extend(
        f"routes[{index}].{f.field}: {f.reason}"
        for f in route_field_findings(boards, route)
        if not f.ok
    )
    problems.extend(route_problem(index, p) for p in route_problems(route, layout))


def put_integration(
    ctx: SyncContext, integration_id: str, headers: dict[str, str], body: bytes
) -> tuple[dict[str, Any], list[str], bool]:
    """Validate and store; returns (public view, warnings, created)."""
    document = admin_document(headers, body)
    if not isinstance(document, dict):
        raise InvalidInput("body must be a JSON object (an integration configuration)")
    try:
        config = IntegrationConfig.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc)) from None
    old = ctx.state.integrations.get(integration_id)
    effective = _with_stored_secrets(config, old)
    missing = missing_secret(effective)
    if missing:
        raise InvalidInput(missing)
    warnings = _check_against_boards(ctx, integration_id, effective)
    ctx.state.integrations.put(integration_id, config)
    ctx.configs.forget(integration_id)
    ctx.layouts.forget(integration_id)
    learn_writer_identity_on_save(ctx, integration_id, effective)  # R8: whom our writes are by
    for warning in warnings:
        ctx.record(integration_id, Level.WARN, warning, reason="configuration")
    ctx.record(integration_id, Level.INFO, "configuration saved", reason="configuration")
    return public_view(integration_id, effective), warnings, old is None


def get_integration(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    view = public_view(integration_id, load_integration(ctx, integration_id, fresh=True))
    return {**view, "refused_calls": refused_calls(ctx, integration_id)}


def delete_integration(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """Delete the configuration and the service hooks that post to it; says what went."""
    config = load_integration(ctx, integration_id, fresh=True)
    hooks = remove_service_hooks(ctx, integration_id, config)
    ctx.state.integrations.delete(integration_id)
    ctx.configs.forget(integration_id)
    ctx.layouts.forget(integration_id)
    return {"service_hooks": hooks}
