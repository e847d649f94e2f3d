"""Service-hook provisioning (R17): the seed's two manual hooks, made through the REST API.

Per project the routes use: a "Work item updated" subscription filtered on the board column
(``System.BoardColumn``) and one on ``System.State`` — plus one on ``System.AssignedTo``
where a route of the project syncs assignees (R23: the other two do not fire for a
reassignment alone; ``check.hook_fields``) — all posting to this integration's
``boards-webhook`` with Basic auth (the token in the URL when no Basic credentials are set).
Idempotent: existing subscriptions are listed first and only the missing ones are created,
so a second call changes nothing; every subscription is reported with its status
(``enabled``, ``onProbation``, ``disabledBySystem``...).

A subscription's URL or credentials are never echoed or recorded: the answer names the
URL without its query, and the password goes only to Azure DevOps (which masks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict
from urllib.parse import quote, urlsplit

from ..ports import Boards, Project, Subscription
from ..rules import IntegrationConfig, Level
from .check import hook_fields
from .context import SyncContext
from .errors import InvalidInput
from .intake import load_integration
from .refusals import azure_devops_answers

__all__ = [
    "PUBLIC_BASE_URL_SETTING",
    "provision_service_hooks",
    "public_base_url",
    "sends_to",
]

PUBLIC_BASE_URL_SETTING = "PUBLIC_BASE_URL"
EVENT_TYPE = "workitem.updated"
_ENABLED = "enabled"


def public_base_url(settings: Mapping[str, str]) -> str | None:
    """Where Azure DevOps reaches this app: ``PUBLIC_BASE_URL``, else ``https://<WEBSITE_HOSTNAME>``
    (Azure sets it on every Function App), else None."""
    explicit = (settings.get(PUBLIC_BASE_URL_SETTING) or "").strip()
    if explicit:
        return explicit.rstrip("/")
    host = (settings.get("WEBSITE_HOSTNAME") or "").strip()
    return f"https://{host}" if host else None


def _hook_path(integration_id: str) -> str:
    return f"/api/integrations/{quote(integration_id, safe='')}/boards-webhook"


def sends_to(subscription: Subscription, integration_id: str) -> bool:
    """Whether a subscription posts to this integration's webhook (whatever the host)."""
    url = subscription.consumer_inputs.get("url") or ""
    path = urlsplit(url).path.rstrip("/")
    return path.endswith(_hook_path(integration_id).removeprefix("/api"))


class _BasicAuth(TypedDict, total=False):
    """The keywords of ``create_subscription`` that carry Basic auth; empty for the token."""

    basic_username: str
    basic_password: str


def _target(config: IntegrationConfig, base: str, integration_id: str) -> tuple[str, _BasicAuth]:
    """The URL to post to and the credentials to post with (R12: Basic auth, or the token)."""
    url = base + _hook_path(integration_id)
    hook = config.webhook
    if hook.basic_username and hook.basic_password:
        secret = hook.basic_password.get_secret_value()
        return url, {"basic_username": hook.basic_username, "basic_password": secret}
    if hook.token is not None:
        return f"{url}?token={quote(hook.token.get_secret_value(), safe='')}", {}
    raise InvalidInput(
        "webhook.basic_username and webhook.basic_password (or webhook.token) are "
        "required to create service hooks"
    )


def _covers(subscription: Subscription, project_id: str, hook_field: str) -> bool:
    inputs = subscription.publisher_inputs
    same_project = (inputs.get("projectId") or "").lower() == project_id.lower()
    # An unfiltered hook reports every change, so it already covers this field.
    return same_project and (inputs.get("changedFields") or "") in (hook_field, "")


def provision_service_hooks(
    ctx: SyncContext, integration_id: str, base_url: str | None
) -> dict[str, Any]:
    """Create what is missing, report everything: ``{"ok", "url", "auth", "subscriptions"}``."""
    config = load_integration(ctx, integration_id)
    if not base_url or urlsplit(base_url).scheme not in ("http", "https"):
        raise InvalidInput(
            f"{PUBLIC_BASE_URL_SETTING} is not set (or not an http(s) URL): the address "
            "Azure DevOps posts to, e.g. https://<app>.azurewebsites.net"
        )
    url, credentials = _target(config, base_url.rstrip("/"), integration_id)
    warnings: list[str] = []
    if credentials and urlsplit(base_url).scheme != "https":
        warnings.append("Azure DevOps sends Basic auth only to https URLs")
    with azure_devops_answers():
        client = ctx.boards_for(integration_id, config)
        report = _Provisioning(client, integration_id, url, credentials).run(config)
    healthy = _record(ctx, integration_id, report)
    return {
        "ok": healthy,
        "url": base_url.rstrip("/") + _hook_path(integration_id),
        "auth": "basic" if credentials else "token",
        "subscriptions": report,
        "warnings": warnings,
    }


class _Provisioning:
    """One pass over the projects the routes use: each hook field kept when a subscription
    of ours covers it, else created (so a second pass creates nothing)."""

    def __init__(
        self, client: Boards, integration_id: str, url: str, credentials: _BasicAuth
    ) -> None:
        self._client = client
        self._integration_id = integration_id
        self._url = url
        self._credentials = credentials
        self._ours: list[Subscription] = []

    def run(self, config: IntegrationConfig) -> list[dict[str, Any]]:
        """One report entry per (project, hook field), in project name order."""
        projects = {p.name.lower(): p for p in self._client.list_projects()}
        listed = self._client.list_subscriptions(event_type=EVENT_TYPE)
        self._ours = [s for s in listed if sends_to(s, self._integration_id)]
        return [
            self._one(name, projects.get(name.lower()), hook_field)
            for name in sorted({route.project for route in config.routes})
            for hook_field in hook_fields(config, name)
        ]

    def _one(self, name: str, project: Project | None, hook_field: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"project": name, "changed_fields": hook_field}
        if project is None:
            entry.update(action="none", status="project_not_found")
            return entry
        found = [s for s in self._ours if _covers(s, project.id, hook_field)]
        if found:
            best = next((s for s in found if s.status == _ENABLED), found[0])
            entry.update(action="kept", id=best.id, status=best.status or "unknown")
            return entry
        made = self._client.create_subscription(
            project_id=project.id, url=self._url, changed_fields=hook_field, **self._credentials
        )
        self._ours.append(made)
        entry.update(action="created", id=made.id, status=made.status or "unknown")
        return entry


def _record(ctx: SyncContext, integration_id: str, report: list[dict[str, Any]]) -> bool:
    """One delivery saying what was done (R11); whether every subscription is enabled."""
    created = sum(1 for e in report if e["action"] == "created")
    healthy = all(e.get("status") == _ENABLED for e in report)
    ctx.record(
        integration_id,
        Level.INFO if healthy else Level.WARN,
        f"service hooks: {created} created, {len(report) - created} already there or missing; "
        + ("all enabled" if healthy else "not all enabled"),
        reason="service_hooks",
    )
    return healthy
