"""Entra ID sign-in for an integration (R15 a): ``/api/oauth/start`` and ``/api/oauth/callback``.

``start`` is an admin route (a function key in Azure); ``callback`` is where Entra ID sends
the browser back, so it is anonymous and trusts nothing but a ``state`` it handed out
itself (single use, ten minutes).
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from urllib.parse import parse_qsl

import azure.functions as func

from blueprints.common import ANONYMOUS, ctx, error, guarded, ok

bp = func.Blueprint()
#: Entra's form holds a code, a state and a session id: a few kilobytes at most.
_MAX_FORM = 16 * 1024


def _entra_guarded(
    handler: Callable[[func.HttpRequest], func.HttpResponse],
) -> Callable[[func.HttpRequest], func.HttpResponse]:
    """Settings missing → 503 naming them; Entra ID unreachable → 503; else ``guarded``."""

    @guarded
    def run(req: func.HttpRequest) -> func.HttpResponse:
        from sync_core.adapters.auth import OAuthNotConfigured, TokenServiceUnavailable

        try:
            return handler(req)
        except OAuthNotConfigured as exc:
            return error(503, "not_configured", str(exc))
        except TokenServiceUnavailable as exc:
            return error(503, "unavailable", exc.message)

    run.__name__ = handler.__name__
    return run


@bp.route(route="oauth/start", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
@_entra_guarded
def oauth_start(req: func.HttpRequest) -> func.HttpResponse:
    """Redirect the admin's browser to Entra ID to sign in for ``?integration=<id>``."""
    from sync_core.adapters.auth import EntraClient
    from sync_core.adapters.state.limits import check_integration_id
    from sync_core.service.oauth import start_authorization

    iid = check_integration_id(req.params.get("integration", ""))
    url = start_authorization(ctx(), EntraClient.from_settings(os.environ), iid)
    return func.HttpResponse(
        status_code=302, headers={"Location": url, "Cache-Control": "no-store"}
    )


def _answer_of(req: func.HttpRequest) -> dict[str, str]:
    """Entra's answer: the form body of a ``form_post`` (what we ask for), or the query."""
    from sync_core.service.errors import InvalidInput

    params = dict(req.params)
    if req.method == "POST":
        raw = req.get_body() or b""
        if len(raw) > _MAX_FORM:
            raise InvalidInput("body: the callback form is too large")
        params.update(parse_qsl(raw.decode("utf-8", "replace"), max_num_fields=20))
    return params


@bp.route(route="oauth/callback", methods=["GET", "POST"], auth_level=ANONYMOUS)
@_entra_guarded
def oauth_callback(req: func.HttpRequest) -> func.HttpResponse:
    """Entra ID's redirect: checks ``state``, stores the tokens sealed, says it is connected."""
    from sync_core.adapters.auth import EntraClient
    from sync_core.service.oauth import complete_authorization

    entra = EntraClient.from_settings(os.environ)
    done = complete_authorization(ctx(), entra, _answer_of(req))
    if "text/html" not in (req.headers.get("Accept") or ""):
        return ok(done)
    page = (
        "<!doctype html><meta charset=utf-8><title>Connected</title>"
        f"<p>Integration <b>{html.escape(done['integration'])}</b> is connected to Azure "
        f"DevOps as {html.escape(done['account'])}. You can close this page.</p>"
    )
    return func.HttpResponse(page, status_code=200, mimetype="text/html")
