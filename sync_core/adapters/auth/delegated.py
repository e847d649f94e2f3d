"""Delegated tokens for one integration: the person who signed in, refreshed silently.

The provider keeps the integration's MSAL cache in memory, so a valid access token costs
no request at all; a refresh is one request to Entra ID and one ETag-guarded write of the
new cache. When the grant is gone (refresh token expired, consent revoked) it looks once
at storage — someone may have signed in again meanwhile, or another worker refreshed —
then raises ``ReauthorizationNeeded``. A failed refresh is not repeated for a while: the
worker records it once, and MSAL's own cache of Entra's 400 keeps the tenant from being
asked again on every message.
"""

from __future__ import annotations

import logging
import threading

from ..state.errors import StaleEntity
from ..state.oauth import OAuthStore, StoredTokenCache
from .entra import EntraClient, TokenResult
from .errors import ReauthorizationNeeded, TokenServiceUnavailable

__all__ = ["DelegatedTokenProvider"]

log = logging.getLogger(__name__)


class DelegatedTokenProvider:
    """``provider()`` -> an access token for Azure DevOps, as the integration's user."""

    def __init__(self, integration_id: str, *, entra: EntraClient, store: OAuthStore) -> None:
        self._iid = integration_id
        self._entra = entra
        self._store = store
        self._lock = threading.Lock()
        self._cached: StoredTokenCache | None = None
        #: set once Entra refused this cache's grant; cleared by a newer stored cache
        self._refused: ReauthorizationNeeded | None = None

    def __call__(self) -> str:
        with self._lock:
            if self._refused is not None:
                return self._after_refusal(self._refused)
            if self._cached is None:
                self._cached = self._store.get_token_cache(self._iid)
            result = self._try(self._cached)
            if result.access_token is None:
                # Storage may hold a newer grant (a new sign-in, another worker's refresh).
                fresh = self._store.get_token_cache(self._iid)
                if fresh is not None and (self._cached is None or fresh.etag != self._cached.etag):
                    self._cached = fresh
                    result = self._try(fresh)
            if result.access_token is not None:
                return result.access_token
            if result.error == "not_authorized" or result.needs_reauthorization:
                self._refused = self._reauthorize(result)
                raise self._refused
            raise TokenServiceUnavailable(
                f"Entra ID could not refresh the token of integration {self._iid} "
                f"now ({result.describe()}); will retry"
            )

    def _after_refusal(self, refused: ReauthorizationNeeded) -> str:
        """Entra is not asked again for a refused grant: only a new cache (a sign-in) helps."""
        fresh = self._store.get_token_cache(self._iid)
        known = self._cached.etag if self._cached else None
        if fresh is None or fresh.etag == known:
            raise refused
        self._cached, self._refused = fresh, None
        result = self._try(fresh)
        if result.access_token is None:
            self._refused = self._reauthorize(result)
            raise self._refused
        return result.access_token

    def _try(self, stored: StoredTokenCache | None) -> TokenResult:
        if stored is None:
            return TokenResult(error="not_authorized")
        result, changed = self._entra.acquire_silently(stored.serialized)
        if changed is not None:
            self._save(stored, changed)
        return result

    def _save(self, stored: StoredTokenCache, serialized: str) -> None:
        try:
            etag = self._store.put_token_cache(self._iid, serialized, etag=stored.etag)
        except StaleEntity:
            # Someone else wrote a newer cache (a refresh or a new sign-in): theirs wins.
            log.info("token cache of integration %s changed meanwhile; reloading", self._iid)
            self._cached = self._store.get_token_cache(self._iid)
            return
        self._cached = StoredTokenCache(serialized, etag)
        log.info("refreshed the access token of integration %s", self._iid)

    def _reauthorize(self, result: TokenResult) -> ReauthorizationNeeded:
        if result.error == "not_authorized":
            why = "nobody has signed in for it yet"
        else:
            why = f"Entra ID refused to refresh its token: {result.describe()}"
        return ReauthorizationNeeded(
            f"integration {self._iid} needs re-authorization ({why}): "
            f"open /api/oauth/start?integration={self._iid}",
            integration_id=self._iid,
        )

    def __repr__(self) -> str:
        return f"DelegatedTokenProvider(integration={self._iid!r})"
