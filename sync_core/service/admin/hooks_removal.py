"""Deleting an integration's service hooks with it (R17).

Those are the ones the app created (``POST .../service-hooks``) and any made by hand with
the same URL: after the delete every one of them would only be refused. When Azure DevOps
cannot be asked, the integration is deleted all the same and the answer says which hooks to
remove by hand; the URL (and its token) is never shown.
"""

from __future__ import annotations

from typing import Any

from ...ports import AzureDevOpsError, Boards, ConfigurationError, Subscription
from ...rules import IntegrationConfig
from ..context import SyncContext
from ..hooks import EVENT_TYPE, sends_to

__all__ = ["remove_service_hooks"]


def remove_service_hooks(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> dict[str, Any]:
    """Delete the subscriptions that post to this integration's webhook; say what went."""
    try:
        boards = ctx.boards_for(integration_id, config)
        listed = boards.list_subscriptions(event_type=EVENT_TYPE)
    except (AzureDevOpsError, OSError) as exc:
        return {
            "removed": [],
            "not_removed": f"Azure DevOps could not be asked ({_safe_reason(exc)}); remove "
            f"the service hooks that post to .../integrations/{integration_id}/boards-webhook "
            "by hand",
        }
    removed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for subscription in (s for s in listed if sends_to(s, integration_id)):
        entry = {
            "id": subscription.id,
            "project_id": subscription.publisher_inputs.get("projectId"),
            "changed_fields": subscription.publisher_inputs.get("changedFields") or "",
        }
        reason = _delete(boards, subscription)
        if reason is None:
            removed.append(entry)
        else:
            failed.append({**entry, "reason": reason})
    report: dict[str, Any] = {"removed": removed}
    if failed:
        report["not_removed"] = failed
    return report


def _delete(boards: Boards, subscription: Subscription) -> str | None:
    """Delete one subscription; None when it is gone, else why it is not."""
    try:
        boards.delete_subscription(subscription.id)
    except ConfigurationError as exc:
        if exc.status != 404:  # a 404: gone already, which is what was wanted
            return _safe_reason(exc)
    except (AzureDevOpsError, OSError) as exc:
        return _safe_reason(exc)
    return None


def _safe_reason(exc: Exception) -> str:
    """An Azure DevOps error's own message (never a credential), or its class name."""
    message = getattr(exc, "message", None)
    return str(message)[:300] if message else exc.__class__.__name__
