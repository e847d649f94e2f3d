"""Integration configuration and recent deliveries, for the admin API (PRODUCT.md §4).

A configuration is validated twice before it is stored: by the rules' models (shape,
required statuses and priorities), then against Azure DevOps (every mapped state and
column, the lane) where Azure DevOps answers. Secrets are write-only: a PUT that omits
one keeps the stored value, and no answer ever contains one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import SecretStr, ValidationError

from ..adapters.azure_devops import AuthenticationError, AzureDevOpsError, ConfigurationError
from ..edge import BadRequest, check_body
from ..rules import IntegrationConfig, Level, route_problems
from .context import SyncContext
from .errors import InvalidInput
from .intake import load_integration

__all__ = [
    "SECRET_PATHS",
    "delete_integration",
    "get_integration",
    "list_deliveries",
    "public_view",
    "put_integration",
]

log = logging.getLogger(__name__)

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


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _check_against_boards(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> list[str]:
    """Problems Azure DevOps confirms (→ 400), or warnings when it cannot be asked."""
    boards = ctx.boards_for(integration_id, config)
    warnings: list[str] = []
    problems: list[str] = []
    for route in config.routes:
        try:
            layout = boards.board_layout(
                route.project, route.team, route.board, route.work_item_type
            )
        except AuthenticationError as exc:
            return [f"not checked against Azure DevOps: authentication failed ({exc})"]
        except ConfigurationError as exc:
            problems.append(f"route {route.key}: {exc}")
            continue
        except (AzureDevOpsError, OSError) as exc:
            return [
                f"not checked against Azure DevOps: it did not answer ({exc.__class__.__name__})"
            ]
        problems += [f"route {route.key}: {p}" for p in route_problems(route, layout)]
    if problems:
        raise InvalidInput("; ".join(problems))
    return warnings


def put_integration(
    ctx: SyncContext, integration_id: str, headers: dict[str, str], body: bytes
) -> tuple[dict[str, Any], list[str], bool]:
    """Validate and store; returns (public view, warnings, created)."""
    try:
        document = check_body(headers, body)
    except BadRequest as exc:
        raise InvalidInput(exc.message) from None
    if not isinstance(document, dict):
        raise InvalidInput("body must be a JSON object (an integration configuration)")
    try:
        config = IntegrationConfig.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(_validation_message(exc)) from None
    old = ctx.state.integrations.get(integration_id)
    effective = _with_stored_secrets(config, old)
    warnings = _check_against_boards(ctx, integration_id, effective)
    ctx.state.integrations.put(integration_id, config)
    ctx.configs.forget(integration_id)
    ctx.layouts.forget(integration_id)
    for warning in warnings:
        ctx.record(integration_id, Level.WARN, warning, reason="configuration")
    ctx.record(integration_id, Level.INFO, "configuration saved", reason="configuration")
    return public_view(integration_id, effective), warnings, old is None


def get_integration(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    return public_view(integration_id, load_integration(ctx, integration_id, fresh=True))


def delete_integration(ctx: SyncContext, integration_id: str) -> None:
    load_integration(ctx, integration_id, fresh=True)
    ctx.state.integrations.delete(integration_id)
    ctx.configs.forget(integration_id)
    ctx.layouts.forget(integration_id)


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} must carry a time zone (e.g. Z)")
    return parsed


def list_deliveries(
    ctx: SyncContext, integration_id: str, params: dict[str, str]
) -> dict[str, Any]:
    """Recent deliveries, newest first, filtered by level, text and time (R11)."""
    load_integration(ctx, integration_id)
    level = params.get("level")
    if level is not None and level not in {lv.value for lv in Level}:
        raise InvalidInput("level must be one of info, warn, error")
    try:
        limit = int(params.get("limit", "50"))
    except ValueError:
        raise InvalidInput("limit must be a number between 1 and 200") from None
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be a number between 1 and 200")
    try:
        page = ctx.state.deliveries.query(
            integration_id,
            level=level,
            text=params.get("text") or None,
            since=_time(params.get("since"), "since"),
            until=_time(params.get("until"), "until"),
            limit=limit,
            cursor=params.get("cursor") or None,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return {
        "items": [d.model_dump(mode="json", exclude_none=True) for d in page.items],
        "next_cursor": page.next_cursor,
    }


def replay_poison(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """Move the integration's poison messages back to their queues (R12)."""
    from ..adapters.state.queues import INBOUND_QUEUE, OUTBOUND_QUEUE, RECONCILE_QUEUE

    load_integration(ctx, integration_id)
    moved = {
        queue: ctx.state.queues.replay_poison(queue, integration_id=integration_id)
        for queue in (OUTBOUND_QUEUE, INBOUND_QUEUE, RECONCILE_QUEUE)
    }
    total = sum(moved.values())
    ctx.record(integration_id, Level.INFO, f"replayed {total} poison message(s)", reason="replay")
    return {"replayed": moved, "total": total}


def storage_health(ctx: SyncContext) -> tuple[bool, str]:
    """Whether Table Storage answers a cheap read (no remote service is called)."""
    try:
        ctx.state.integrations.list_ids()
    except Exception as exc:
        log.warning("health: storage did not answer (%s)", exc.__class__.__name__)
        return False, "storage did not answer"
    return True, "ok"
