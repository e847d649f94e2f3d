"""The one place that builds adapters from settings (the composition root).

Nothing is built at import: ``context()`` builds the service's dependencies on first use
and keeps them for the life of the worker process, so a cold start opens no connection
and every later invocation reuses the same pools.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from datetime import timedelta

import httpx

from .adapters.auth import TokenProviders
from .adapters.azure_devops import AuthenticationError, AzureDevOpsClient
from .adapters.azure_devops.auth import Auth, BearerTokenAuth, PatAuth
from .adapters.azure_devops.transport import RetryPolicy, rate_limit_counts
from .adapters.conviso import ConvisoClient
from .adapters.state import StateStore, state_from_settings
from .ports import Boards, Conviso
from .rules import IntegrationConfig
from .service import SyncContext

__all__ = ["DEFAULTS", "build_context", "context", "event_retention", "reset"]

AZURE_DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"
DEFAULTS: Mapping[str, str] = {
    "AZURE_DEVOPS_BASE_URL": "https://dev.azure.com",
    "CONVISO_API_URL": "https://api.convisoappsec.com/graphql",
    # attempts per remote request before the queue takes over the retrying (R12, R14)
    "SYNC_HTTP_ATTEMPTS": "5",
    # seconds to wait for an answer; nothing waits forever (a slow side must not hold a worker)
    "SYNC_HTTP_TIMEOUT": "30",
    # days an accepted event id is remembered for de-duplication (R9), then purged (R19)
    "EVENT_ID_RETENTION_DAYS": "7",
}
#: a retention past this is a typo, not a policy (and would overflow nothing useful)
MAX_EVENT_ID_RETENTION_DAYS = 3650

_lock = threading.Lock()
_context: SyncContext | None = None


def _setting(settings: Mapping[str, str], name: str) -> str:
    return settings.get(name) or DEFAULTS[name]


def event_retention(settings: Mapping[str, str]) -> timedelta:
    """``EVENT_ID_RETENTION_DAYS`` (default 7): how long an event id is remembered (R19).

    Azure DevOps retries a hook for minutes and a replay can come days later; shorter than
    a day would let a late re-delivery through as new. A bad value stops the start-up with
    a message naming the setting, rather than silently keeping ids forever or not at all."""
    raw = _setting(settings, "EVENT_ID_RETENTION_DAYS").strip()
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(
            f"EVENT_ID_RETENTION_DAYS must be a whole number of days, not {raw!r}"
        ) from None
    if not 1 <= days <= MAX_EVENT_ID_RETENTION_DAYS:
        raise ValueError(
            f"EVENT_ID_RETENTION_DAYS must be between 1 and {MAX_EVENT_ID_RETENTION_DAYS}"
        )
    return timedelta(days=days)


def _fingerprint(*parts: str | None) -> str:
    """Clients are cached per integration *and* credentials, so a PUT takes effect at once."""
    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode())
    return digest.hexdigest()[:16]


class _Clients:
    """Per-integration clients over one connection pool per remote host."""

    def __init__(self, settings: Mapping[str, str], state: StateStore) -> None:
        self._settings = settings
        self._tokens = TokenProviders(settings, state.oauth)
        self._attempts = max(1, int(_setting(settings, "SYNC_HTTP_ATTEMPTS")))
        self._timeout = max(0.1, float(_setting(settings, "SYNC_HTTP_TIMEOUT")))
        self._lock = threading.Lock()
        self._boards: dict[tuple[str, str], Boards] = {}
        self._conviso: dict[tuple[str, str], Conviso] = {}
        self._http: dict[str, httpx.Client] = {}

    def _pool(self, name: str) -> httpx.Client:
        with self._lock:
            if name not in self._http:
                self._http[name] = httpx.Client(
                    timeout=httpx.Timeout(self._timeout, connect=min(10.0, self._timeout)),
                    limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
                    follow_redirects=False,
                )
            return self._http[name]

    def _auth(self, integration_id: str, config: IntegrationConfig) -> Auth:
        mode = config.auth.mode
        if mode == "pat":
            if config.auth.pat is None:
                raise AuthenticationError("this integration has no personal access token")
            return PatAuth(config.auth.pat.get_secret_value())
        # oauth: the sealed per-integration MSAL cache, refreshed silently;
        # service_principal: azure-identity (managed identity or client credentials)
        return BearerTokenAuth(self._tokens.for_mode(mode, integration_id))

    def boards(self, integration_id: str, config: IntegrationConfig) -> Boards:
        pat = config.auth.pat.get_secret_value() if config.auth.pat else None
        key = (integration_id, _fingerprint(config.organization, config.auth.mode, pat))
        with self._lock:
            cached = self._boards.get(key)
        if cached is not None:
            return cached
        client = AzureDevOpsClient(
            organization=config.organization,
            auth=self._auth(integration_id, config),
            base_url=_setting(self._settings, "AZURE_DEVOPS_BASE_URL"),
            http=self._pool("azure_devops"),
            retry=RetryPolicy(max_attempts=self._attempts),
        )
        with self._lock:
            return self._boards.setdefault(key, client)

    def conviso(self, integration_id: str, config: IntegrationConfig) -> Conviso:
        api_key = config.conviso.api_key.get_secret_value() if config.conviso.api_key else ""
        key = (integration_id, _fingerprint(api_key))
        with self._lock:
            cached = self._conviso.get(key)
        if cached is not None:
            return cached
        client = ConvisoClient(
            api_key=api_key,
            api_url=_setting(self._settings, "CONVISO_API_URL"),
            http=self._pool("conviso"),
            max_retries=self._attempts - 1,
        )
        with self._lock:
            return self._conviso.setdefault(key, client)

    def close(self) -> None:
        for pool in self._http.values():
            pool.close()


def build_context(settings: Mapping[str, str], *, state: StateStore | None = None) -> SyncContext:
    """A context for these settings; the storage tables and queues are created once here."""
    store = state or state_from_settings(settings)
    store.events.retention = event_retention(settings)
    store.ensure()
    clients = _Clients(settings, store)
    return SyncContext(
        state=store,
        boards_for=clients.boards,
        conviso_for=clients.conviso,
        rate_limits=rate_limit_counts,
    )


def context() -> SyncContext:
    """The process-wide context, built from the environment on first use."""
    global _context
    if _context is None:
        with _lock:
            if _context is None:
                _context = build_context(dict(os.environ))
    return _context


def reset() -> None:
    """Forget the process-wide context (tests and the development host change settings)."""
    global _context
    with _lock:
        _context = None
