"""The Entra ID endpoints MSAL and azure-identity call, as one small WSGI app.

- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: OpenID discovery;
- ``GET /{tenant}/oauth2/v2.0/authorize``: consents at once and sends the browser to the
  ``redirect_uri`` with ``code`` and ``state``: a 302 with them in the query, or, for
  ``response_mode=form_post``, Entra's self-submitting form (a test submits it);
- ``POST /{tenant}/oauth2/v2.0/token``: ``authorization_code`` (PKCE S256 checked),
  ``refresh_token`` and ``client_credentials`` grants, with Entra's error shape
  (``invalid_grant`` with an ``AADSTS…`` description and ``error_codes``);
- ``GET /{tenant}/discovery/v2.0/keys``: the key the ID tokens are signed with.

ID tokens are RS256 JWTs carrying the ``nonce`` the authorize request sent (MSAL compares
it) and ``client_info`` comes back as Entra sends it, so MSAL's cache keys accounts
exactly as in production.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.wrappers import Request, Response

__all__ = ["EntraApp", "Grant"]

_CODE_TTL = 600.0


@dataclass
class Grant:
    """What one consent produced: the user, the scopes, and where its tokens stand."""

    subject: str
    username: str
    scopes: list[str]
    revoked: bool = False
    refresh_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at


@dataclass
class _Code:
    grant: Grant
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    nonce: str | None
    expires: float
    used: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _form_post(action: str, fields: dict[str, str]) -> Response:
    """Entra's ``response_mode=form_post`` page: a form the browser submits at once."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}"/>'
        for k, v in fields.items()
    )
    page = (
        '<html><head><title>Working...</title></head><body onload="document.forms[0].submit()">'
        f'<form method="POST" name="hiddenform" action="{html.escape(action)}">{inputs}'
        '<noscript><input type="submit" value="Continue"/></noscript></form></body></html>'
    )
    return Response(page, status=200, mimetype="text/html")


def _oauth_error(error: str, code: int, description: str, status: int = 400) -> Response:
    """Entra's error answer: ``error``, ``error_description`` starting AADSTS…, codes."""
    return _json(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
    )


class EntraApp:
    """The tenant's state (clients, codes, grants) and its HTTP face."""

    def __init__(
        self,
        *,
        tenant: str,
        client_id: str,
        client_secret: str,
        base_url: Callable[[], str],
        on_access_token: Callable[[str], None] | None = None,
    ) -> None:
        self.tenant = tenant
        self.tenant_id = str(uuid.uuid5(uuid.NAMESPACE_URL, tenant))
        self.client_id = client_id
        self.client_secret = client_secret
        self._base_url = base_url
        self._on_access_token = on_access_token
        self._lock = threading.Lock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = uuid.uuid4().hex[:16]
        self.codes: dict[str, _Code] = {}
        self.grants: list[Grant] = []
        self.access_tokens: dict[str, float] = {}
        self.access_token_lifetime = 3600
        self.refresh_token_lifetime = 90 * 24 * 3600
        self.user = ("user-oid-1", "alice@fabrikam.example")
        self.deny_consent = False
        #: every token request: (grant_type, "ok" | error) — for assertions
        self.token_requests: list[tuple[str, str]] = []
        self.fail_token_status: int | None = None
        #: PKCE verifiers received, so a test can look for them where they must not be
        self.verifiers: list[str] = []

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._route(request)(environ, start_response)

    def _route(self, request: Request) -> Response:
        tenant, _, rest = request.path.lstrip("/").partition("/")
        if tenant not in (self.tenant, self.tenant_id):
            return _oauth_error("invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if request.method == "GET" and rest == "v2.0/.well-known/openid-configuration":
            return _json(200, self.openid_configuration())
        if request.method == "GET" and rest == "oauth2/v2.0/authorize":
            return self._authorize(request)
        if request.method == "POST" and rest == "oauth2/v2.0/token":
            return self._token(request)
        if request.method == "GET" and rest == "discovery/v2.0/keys":
            jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
            return _json(200, {"keys": [{**jwk, "kid": self._kid, "use": "sig"}]})
        return _json(404, {"error": "not_found"})

    def openid_configuration(self) -> dict[str, Any]:
        root = f"{self._base_url()}/{self.tenant}"
        return {
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "tenant_region_scope": "EU",
        }

    # ------------------------------------------------------------- authorize

    def _authorize(self, request: Request) -> Response:
        args = request.args
        if args.get("client_id") != self.client_id:
            return _oauth_error("unauthorized_client", 700016, "Application not found.")
        redirect_uri = args.get("redirect_uri") or ""
        if not redirect_uri.startswith(("http://", "https://")):
            return _oauth_error("invalid_request", 50011, "The redirect URI is not valid.")
        state = args.get("state")
        answer: dict[str, str] = {}
        if self.deny_consent:
            answer = {"error": "access_denied", "error_description": "AADSTS65004: declined"}
        elif args.get("response_type") != "code":
            answer = {"error": "unsupported_response_type"}
        else:
            code = secrets.token_urlsafe(32)
            subject, username = self.user
            grant = Grant(subject, username, (args.get("scope") or "").split())
            with self._lock:
                self.grants.append(grant)
                self.codes[code] = _Code(
                    grant=grant,
                    client_id=self.client_id,
                    redirect_uri=redirect_uri,
                    challenge=args.get("code_challenge"),
                    method=args.get("code_challenge_method"),
                    nonce=args.get("nonce"),
                    expires=time.time() + _CODE_TTL,
                )
            answer = {"code": code}
        if state is not None:
            answer["state"] = state
        if args.get("response_mode") == "form_post":
            return _form_post(redirect_uri, answer)
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302, headers={"Location": redirect_uri + separator + urlencode(answer)}
        )

    # ----------------------------------------------------------------- token

    def _client_ok(self, request: Request) -> bool:
        form = request.form
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if request.authorization and request.authorization.type == "basic":
            client_id = request.authorization.username
            secret = request.authorization.password
        ok_id = client_id == self.client_id
        return ok_id and secrets.compare_digest(secret or "", self.client_secret)

    def _token(self, request: Request) -> Response:
        grant_type = request.form.get("grant_type", "")
        answer = self._token_answer(request, grant_type)
        outcome = "ok" if answer.status_code == 200 else json.loads(answer.get_data())["error"]
        with self._lock:
            self.token_requests.append((grant_type, outcome))
        return answer

    def _token_answer(self, request: Request, grant_type: str) -> Response:
        if self.fail_token_status is not None:
            return _oauth_error("temporarily_unavailable", 90033, "busy", self.fail_token_status)
        if not self._client_ok(request):
            return _oauth_error("invalid_client", 7000215, "Invalid client secret provided.", 401)
        if grant_type == "authorization_code":
            return self._by_code(request)
        if grant_type == "refresh_token":
            return self._by_refresh_token(request)
        if grant_type == "client_credentials":
            scope = request.form.get("scope", "")
            if not scope.endswith("/.default"):
                return _oauth_error("invalid_scope", 1002012, "The scope must end in /.default.")
            return _json(200, self._tokens(None, scope.split(), with_refresh=False))
        return _oauth_error("unsupported_grant_type", 70003, "The grant type is not supported.")

    def _by_code(self, request: Request) -> Response:
        form = request.form
        with self._lock:
            found = self.codes.get(form.get("code", ""))
            if found is None or found.used or found.expires < time.time():
                return _oauth_error(
                    "invalid_grant", 70008, "The provided authorization code has expired or "
                    "was already redeemed.",
                )  # fmt: skip
            found.used = True
        if form.get("redirect_uri") != found.redirect_uri:
            return _oauth_error("invalid_grant", 50148, "The redirect_uri does not match.")
        if found.challenge is not None:
            verifier = form.get("code_verifier", "")
            self.verifiers.append(verifier)
            digest = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
            if found.method != "S256" or not secrets.compare_digest(digest, found.challenge):
                return _oauth_error("invalid_grant", 501481, "The code_verifier does not match.")
        return _json(200, self._tokens(found.grant, found.grant.scopes, nonce=found.nonce))

    def _by_refresh_token(self, request: Request) -> Response:
        token = request.form.get("refresh_token", "")
        with self._lock:
            grant = next((g for g in self.grants if token in g.refresh_tokens), None)
        if grant is None:
            return _oauth_error("invalid_grant", 9002313, "Invalid request: malformed token.")
        if grant.revoked:
            return _oauth_error(
                "invalid_grant", 50173, "The provided grant has expired due to it being "
                "revoked, a fresh auth token is needed.",
            )  # fmt: skip
        if grant.refresh_tokens[token] < time.time():
            return _oauth_error(
                "invalid_grant", 700082, "The refresh token has expired due to inactivity.",
            )  # fmt: skip
        scopes = (request.form.get("scope") or "").split() or grant.scopes
        return _json(200, self._tokens(grant, scopes))

    def _tokens(
        self,
        grant: Grant | None,
        scopes: list[str],
        *,
        nonce: str | None = None,
        with_refresh: bool = True,
    ) -> dict[str, Any]:
        now = int(time.time())
        access = "eyJ0eXAiOiJKV1QifQ." + secrets.token_urlsafe(48)
        with self._lock:
            self.access_tokens[access] = now + self.access_token_lifetime
        if self._on_access_token is not None:
            self._on_access_token(access)
        resource = [s for s in scopes if s not in ("openid", "profile", "offline_access")]
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(resource),
            "expires_in": self.access_token_lifetime,
            "ext_expires_in": self.access_token_lifetime,
            "access_token": access,
        }
        if grant is None:
            return answer
        if with_refresh and ("offline_access" in scopes or grant.refresh_tokens):
            refresh = secrets.token_urlsafe(64)
            with self._lock:
                grant.refresh_tokens[refresh] = now + self.refresh_token_lifetime
            answer["refresh_token"] = refresh
        claims = {
            "iss": f"{self._base_url()}/{self.tenant}/v2.0",
            "aud": self.client_id,
            "sub": grant.subject,
            "oid": grant.subject,
            "tid": self.tenant_id,
            "preferred_username": grant.username,
            "name": grant.username.split("@")[0].title(),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "ver": "2.0",
        }
        if nonce is not None:
            claims["nonce"] = nonce
        answer["id_token"] = jwt.encode(
            claims, self._key, algorithm="RS256", headers={"kid": self._kid}
        )
        info = {"uid": grant.subject, "utid": self.tenant_id}
        answer["client_info"] = _b64(json.dumps(info).encode())
        return answer

    # --------------------------------------------------------- what tests do

    def expire_refresh_tokens(self) -> None:
        with self._lock:
            for grant in self.grants:
                for token in grant.refresh_tokens:
                    grant.refresh_tokens[token] = 0.0

    def revoke_grants(self) -> None:
        """The user (or an admin) revoked the app's consent: every refresh token dies."""
        with self._lock:
            for grant in self.grants:
                grant.revoked = True

    def reset(self) -> None:
        with self._lock:
            self.codes.clear()
            self.grants.clear()
            self.access_tokens.clear()
            self.token_requests.clear()
            self.verifiers.clear()
        self.access_token_lifetime = 3600
        self.refresh_token_lifetime = 90 * 24 * 3600
        self.deny_consent = False
        self.fail_token_status = None
