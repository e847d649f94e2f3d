"""HTTP triggers as a WSGI app: route templates, methods, and ``func.HttpRequest``/``HttpResponse``.

Mirrors the host where a client can tell: the route prefix from host.json, ASP.NET-style route
templates, 404/405 for unknown routes or methods (as JSON, the app's error shape), a 500 for an
unhandled exception. Auth levels are not enforced: locally every function is anonymous.
Routes are matched case-sensitively (the host ignores case) and ``{x?}`` is optional only as
the last segment.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import azure.functions as func
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from localdev.devhost.invoke import Invoker

logger = logging.getLogger("localdev.devhost.http")

_PARAMETER = re.compile(r"\{(?P<star>\*{1,2})?(?P<name>\w+)(?::(?P<constraint>\w+))?(?P<opt>\?)?\}")
# Route constraints as regular expressions; values always reach the function as strings.
_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
    "guid": r"[0-9A-Fa-f]{8}-?(?:[0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}",
    "double": r"-?\d+(?:\.\d+)?",
    "float": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
}


def _converter(pattern: str) -> type[BaseConverter]:
    return type("Constraint", (BaseConverter,), {"regex": pattern, "part_isolating": False})


def rule_paths(prefix: str, template: str) -> list[str]:
    """werkzeug rule paths for a host route template (two when the last segment is optional)."""
    paths = [template]
    last = template.rsplit("/", 1)[-1]
    optional = _PARAMETER.fullmatch(last)
    if optional and optional["opt"]:
        paths.append(template[: -len(last)].rstrip("/"))

    def convert(match: re.Match[str]) -> str:
        if match["star"]:
            return f"<path:{match['name']}>"
        constraint = (match["constraint"] or "").lower()
        if constraint and constraint not in _CONSTRAINTS:
            logger.warning("route constraint %r is not checked by the dev host", constraint)
        known = constraint in _CONSTRAINTS
        return f"<{constraint}:{match['name']}>" if known else f"<{match['name']}>"

    base = f"/{prefix}" if prefix else ""
    return [f"{base}/{_PARAMETER.sub(convert, path)}".rstrip("/") or "/" for path in paths]


def error_response(status: int, code: str, message: str, **headers: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return Response(body, status=status, mimetype="application/json", headers=headers)


def to_werkzeug(result: Any) -> Response:
    """Map what a function returned to a werkzeug response (HttpResponse, or str/bytes as 200)."""
    if isinstance(result, str | bytes):
        result = func.HttpResponse(result)
    if not isinstance(result, func.HttpResponse):
        raise TypeError(f"an HTTP function must return func.HttpResponse, not {type(result)!r}")
    response = Response(result.get_body(), status=result.status_code)
    response.headers["Content-Type"] = f"{result.mimetype}; charset={result.charset}"
    for name, value in result.headers.items():
        response.headers[name] = value
    return response


class HttpFunctions:
    """A WSGI app serving the HTTP-triggered functions of one FunctionApp."""

    def __init__(self, functions: list[Any], *, route_prefix: str, invoker: Invoker) -> None:
        self._invoker = invoker
        self._functions = {f.get_function_name(): f for f in functions}
        self._routes: list[str] = []
        rules = []
        for name, function in self._functions.items():
            trigger = function.get_trigger()
            methods = [str(m.value if hasattr(m, "value") else m) for m in trigger.methods or []]
            template = f"/{route_prefix}/{trigger.route or name}".replace("//", "/")
            self._routes.append(f"{','.join(methods) or 'ANY'} {template} -> {name}")
            for path in rule_paths(route_prefix, trigger.route or name):
                rules.append(
                    Rule(path, endpoint=name, methods=methods or None, strict_slashes=False)
                )
        converters = {c: _converter(p) for c, p in _CONSTRAINTS.items()}
        self._map = Map(rules, converters=converters, strict_slashes=False)

    def routes(self) -> list[str]:
        """``METHODS /prefix/template -> function`` per function, for the startup banner."""
        return sorted(self._routes, key=lambda line: line.split(" ")[1])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._dispatch(request)(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        try:
            name, route_params = self._map.bind_to_environ(request.environ).match()
        except MethodNotAllowed as exc:
            allow = ", ".join(sorted(exc.valid_methods or []))
            message = f"method {request.method} is not allowed here (allowed: {allow})"
            return error_response(405, "method_not_allowed", message, Allow=allow)
        except NotFound:
            return error_response(404, "not_found", f"no function answers {request.path}")
        except HTTPException as exc:  # e.g. a redirect werkzeug decided on
            return error_response(exc.code or 400, "bad_request", exc.description or "")
        return self._invoke(name, request, {k: str(v) for k, v in route_params.items()})

    def _invoke(self, name: str, request: Request, route_params: dict[str, str]) -> Response:
        http_request = func.HttpRequest(
            request.method,
            request.url,
            headers={k: ", ".join(request.headers.getlist(k)) for k, _ in request.headers.items()},
            params=request.args.to_dict(),
            route_params=route_params,
            body=request.get_data() or b"",
        )
        try:
            return to_werkzeug(self._invoker.call(self._functions[name], http_request))
        except Exception:
            # The host answers 500 and logs; the traceback goes to our log, never to the client.
            logger.exception("function %s raised an unhandled exception", name)
            message = f"function {name} failed; see the host log"
            return error_response(500, "internal_error", message)
