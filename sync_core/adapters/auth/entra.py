"""MSAL's confidential client, the one way this app talks to Entra ID for delegated tokens.

The auth-code flow with PKCE (``initiate_auth_code_flow`` / ``acquire_token_by_auth_code_flow``)
and silent refresh (``acquire_token_silent_with_error``) run unpatched; only three things
are chosen here:

- ``instance_discovery=False``: MSAL would otherwise ask login.microsoftonline.com whether
  an unknown authority host is genuine. The authority is an operator's setting, and for
  Microsoft's own hosts MSAL skips that call anyway, so turning it off changes nothing in
  Azure and lets the local emulator (and sovereign hosts) work without internet access.
- one HTTP client and one ``http_cache`` per process: an application object is built per
  integration (its token cache is that integration's), and the shared cache keeps the
  OpenID discovery answer, so building one costs no request after the first.
- an explicit CA bundle only when ``ENTRA_CA_BUNDLE`` is set (the emulator), passed per
  request so a ``REQUESTS_CA_BUNDLE`` in the environment cannot override it.

msal (and requests) are imported on first use: a cold start that needs no token skips them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TokenServiceUnavailable
from .settings import DELEGATED_SCOPES, EntraSettings

__all__ = ["REAUTHORIZE_ERRORS", "EntraClient", "SignIn", "TokenResult"]

log = logging.getLogger(__name__)

#: Entra's answers that no retry can fix: a person must consent again (RFC 6749 §5.2, OIDC).
REAUTHORIZE_ERRORS = frozenset(
    {
        "invalid_grant",
        "interaction_required",
        "consent_required",
        "login_required",
        "invalid_client",
        "unauthorized_client",
        "no_account",  # ours: the stored cache holds no signed-in account
        "no_refresh_token",  # ours: MSAL found nothing to refresh with
    }
)
_TIMEOUT = 15.0


class _NoTokenEvents(logging.Filter):
    """Drop MSAL's DEBUG dump of each token request: it masks tokens and secrets but
    prints the authorization code and the PKCE verifier in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("event="))


_TOKEN_CACHE_LOG = logging.getLogger("msal.token_cache")
if not any(isinstance(f, _NoTokenEvents) for f in _TOKEN_CACHE_LOG.filters):
    _TOKEN_CACHE_LOG.addFilter(_NoTokenEvents())


class _Http:
    """The requests session MSAL is given; ``verify`` and a timeout go with every call."""

    def __init__(self, verify: str | bool) -> None:
        import requests

        self._session = requests.Session()
        self._verify = verify

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._session.get(url, verify=self._verify, timeout=_TIMEOUT, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._session.post(url, verify=self._verify, timeout=_TIMEOUT, **kwargs)

    def close(self) -> None:
        self._session.close()


@dataclass(frozen=True)
class SignIn:
    """Where to send the browser, and what the callback needs back (kept sealed)."""

    authorize_url: str
    state: str
    flow: dict[str, Any]


@dataclass(frozen=True)
class TokenResult:
    """An access token, or the Entra error that stopped it (never both)."""

    access_token: str | None = None
    error: str | None = None
    error_codes: tuple[int, ...] = ()

    @property
    def needs_reauthorization(self) -> bool:
        return self.error in REAUTHORIZE_ERRORS

    def describe(self) -> str:
        codes = ", ".join(f"AADSTS{c}" for c in self.error_codes)
        return f"{self.error}{f' ({codes})' if codes else ''}"


class EntraClient:
    """Builds MSAL applications for one app registration; safe to share between threads."""

    def __init__(self, settings: EntraSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._http: _Http | None = None
        self._http_cache: dict[Any, Any] = {}

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> EntraClient:
        return cls(EntraSettings.from_settings(settings))

    def _application(self, cache: Any) -> Any:
        import msal
        import requests

        with self._lock:
            if self._http is None:
                self._http = _Http(self.settings.ca_bundle or True)
        try:
            return msal.ConfidentialClientApplication(
                self.settings.client_id,
                client_credential=self.settings.client_secret,
                authority=self.settings.authority,
                token_cache=cache,
                http_client=self._http,
                http_cache=self._http_cache,
                instance_discovery=False,
            )
        except (requests.RequestException, ValueError) as exc:
            # MSAL's own message quotes the authority's answer; the class name is enough.
            raise TokenServiceUnavailable(
                f"Entra ID discovery at the configured authority failed ({type(exc).__name__})"
            ) from None

    # ------------------------------------------------------------- sign-in

    def begin(self) -> SignIn:
        """Start an auth-code flow with PKCE (MSAL makes the state, verifier and nonce)."""
        import msal

        app = self._application(msal.SerializableTokenCache())
        # form_post: the code comes back in a POST body, never in a URL that access logs,
        # browser history or a Referer header could keep (RFC 9700 §4.3.1).
        flow = app.initiate_auth_code_flow(
            list(DELEGATED_SCOPES),
            redirect_uri=self.settings.redirect_uri,
            response_mode="form_post",
        )
        return SignIn(authorize_url=flow["auth_uri"], state=flow["state"], flow=flow)

    def finish(self, flow: dict[str, Any], response: Mapping[str, str]) -> tuple[str, str]:
        """Redeem the code: the serialized token cache, and who signed in.

        Raises ``PermissionError`` with Entra's error code when the code was refused.
        """
        import msal
        import requests

        cache = msal.SerializableTokenCache()
        app = self._application(cache)
        try:
            result = app.acquire_token_by_auth_code_flow(flow, dict(response))
        except requests.RequestException as exc:
            raise TokenServiceUnavailable(
                f"Entra ID did not answer the code redemption ({type(exc).__name__})"
            ) from None
        except (ValueError, RuntimeError):
            # state/nonce mismatch: MSAL's message quotes both values, so it is not kept.
            raise PermissionError("the sign-in answer does not match its request") from None
        if "error" in result:
            raise PermissionError(_result_of(result).describe())
        claims = result.get("id_token_claims") or {}
        who = str(claims.get("preferred_username") or claims.get("name") or "unknown user")
        return cache.serialize(), who

    # --------------------------------------------------------------- silent

    def acquire_silently(self, serialized: str) -> tuple[TokenResult, str | None]:
        """A token from the cache, refreshed when needed: (result, new cache or None)."""
        import msal
        import requests

        cache = msal.SerializableTokenCache()
        cache.deserialize(serialized)
        app = self._application(cache)
        accounts = app.get_accounts()
        if not accounts:
            return TokenResult(error="no_account"), None
        try:
            result = app.acquire_token_silent_with_error(
                list(DELEGATED_SCOPES), account=accounts[0]
            )
        except requests.RequestException as exc:
            raise TokenServiceUnavailable(
                f"Entra ID did not answer a token refresh ({type(exc).__name__})"
            ) from None
        changed = cache.serialize() if cache.has_state_changed else None
        if result is None:
            return TokenResult(error="no_refresh_token"), changed
        return _result_of(result), changed


def _result_of(result: Mapping[str, Any]) -> TokenResult:
    if result.get("access_token"):
        return TokenResult(access_token=str(result["access_token"]))
    codes = tuple(int(c) for c in result.get("error_codes") or () if str(c).isdigit())
    return TokenResult(error=str(result.get("error") or "unknown_error"), error_codes=codes)
