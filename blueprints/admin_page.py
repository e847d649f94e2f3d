"""The admin page (``GET /api/console``) and the few routes only it needs.

The page is served at ``/api/console``, not ``/api/admin``: the Functions host refuses any
route template that starts with ``admin`` (its own ``/admin`` API; azure-functions-host
#1781), whatever the route prefix. The page and its static files are anonymous: they hold
no data and ask for the admin (function) key, which the page sends as ``x-functions-key``
on every call. Every other route here is an admin route (``AuthLevel.FUNCTION``).

In Azure the host checks the key before a FUNCTION trigger runs. The development host
checks none, so when the ``ADMIN_KEY`` setting is present these routes also compare the
key themselves; the page signs in through ``/api/console/session`` and so refuses a
wrong key locally too.
"""

from __future__ import annotations

import os
from pathlib import Path

import azure.functions as func

from blueprints.common import ANONYMOUS, body, ctx, error, guarded, integration_id, ok
from blueprints.oauth import _entra_guarded as entra_guarded

bp = func.Blueprint()

PAGE_DIR = Path(__file__).resolve().parent.parent / "admin_page"
#: name -> content type; nothing else in the folder is ever served
STATIC = {"app.js": "text/javascript", "app.css": "text/css", "index.html": "text/html"}
#: the page loads only its own files and talks only to this origin
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _file(name: str) -> func.HttpResponse:
    if name not in STATIC:
        return error(404, "not_found", f"no static file named '{name[:64]}'")
    content = (PAGE_DIR / name).read_bytes()
    return func.HttpResponse(content, status_code=200, mimetype=STATIC[name], headers=HEADERS)


def _admin(req: func.HttpRequest) -> None:
    """The local stand-in for the host's key check (see the module docstring)."""
    from sync_core.service.setup import check_admin_key

    given = req.headers.get("x-functions-key") or req.params.get("code")
    check_admin_key(os.environ.get("ADMIN_KEY"), given)


@bp.route(route="console", methods=["GET"], auth_level=ANONYMOUS)
def console_page(req: func.HttpRequest) -> func.HttpResponse:
    """The page itself: static HTML that asks for the admin key."""
    return _file("index.html")


@bp.route(route="console/static/{name}", methods=["GET"], auth_level=ANONYMOUS)
def console_static(req: func.HttpRequest) -> func.HttpResponse:
    """The page's script and style sheet (a fixed list, no paths)."""
    return _file(req.route_params.get("name", ""))


@bp.route(route="console/session", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
@guarded
def console_session(req: func.HttpRequest) -> func.HttpResponse:
    """200 when the admin key is accepted: what the page asks before showing anything."""
    _admin(req)
    return ok({"ok": True, "key_checked_by": "app" if os.environ.get("ADMIN_KEY") else "host"})


@bp.route(route="console/discovery", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@guarded
def console_discovery(req: func.HttpRequest) -> func.HttpResponse:
    """Projects, teams, boards, types, states with credentials from the body (stores nothing)."""
    from sync_core.service.setup import discover_for_console

    _admin(req)
    return ok(discover_for_console(ctx(), dict(req.headers), body(req)))


@bp.route(
    route="console/integrations/{id}/connection",
    methods=["GET"],
    auth_level=func.AuthLevel.FUNCTION,
)
@guarded
def console_connection(req: func.HttpRequest) -> func.HttpResponse:
    """Who the integration is connected as and whether it needs a new sign-in."""
    from sync_core.service.setup import connection_status

    _admin(req)
    return ok(connection_status(ctx(), integration_id(req)))


@bp.route(
    route="console/integrations/{id}/sign-in",
    methods=["POST"],
    auth_level=func.AuthLevel.FUNCTION,
)
@entra_guarded
def console_sign_in(req: func.HttpRequest) -> func.HttpResponse:
    """Where to send the browser for Entra ID (a JSON answer, so the key stays in a header)."""
    from sync_core.adapters.auth import EntraClient
    from sync_core.service.oauth import start_authorization

    _admin(req)
    entra = EntraClient.from_settings(os.environ)
    return ok({"authorize_url": start_authorization(ctx(), entra, integration_id(req))})
