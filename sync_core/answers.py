"""HTTP answers for the triggers: JSON bodies, and every known error as a JSON 4xx.

A bad request is never a 500 (PRODUCT.md §4); anything unexpected is logged with its
traceback and answered as a 500 that says nothing about the inside.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

import azure.functions as func

__all__ = ["ON_UNAUTHORIZED", "error", "guarded", "ok"]

log = logging.getLogger("sync_core.http")


def ok(body: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, separators=(",", ":")), status_code=status, mimetype="application/json"
    )


def error(status: int, code: str, message: str) -> func.HttpResponse:
    return ok({"error": {"code": code, "message": message}}, status)


def _known(exc: Exception) -> func.HttpResponse | None:
    """Errors with a meaning for the caller; imported late to keep cold starts cheap."""
    from .adapters.state.errors import InvalidCursor, InvalidKey, StateError
    from .errors import AnsweredError

    if isinstance(exc, AnsweredError):
        return error(exc.status, exc.code, exc.message)
    if isinstance(exc, InvalidKey | InvalidCursor):
        return error(400, "bad_request", str(exc))
    if isinstance(exc, StateError):  # storage down, busy or refusing us: the adapters say so
        log.warning("storage is not ready: %s", exc.__class__.__name__)
        return error(503, "unavailable", "storage is not available; try again")
    return None


#: handler name -> what to do when it refuses a caller as unauthenticated (a 401):
#: the webhooks count and report refused calls (``blueprints.common`` registers them)
ON_UNAUTHORIZED: dict[str, Callable[[func.HttpRequest, str], None]] = {}


def _after_refusal(name: str, req: func.HttpRequest, exc: Exception, status: int) -> None:
    hook = ON_UNAUTHORIZED.get(name)
    if hook is None or status != 401:
        return
    try:
        hook(req, getattr(exc, "message", ""))
    except Exception:  # counting a refusal never changes the answer
        log.warning("recording a refused call to %s failed", name, exc_info=True)


def guarded(handler: Callable[..., func.HttpResponse]) -> Callable[..., func.HttpResponse]:
    """Map the service's errors to JSON answers; never leak an unexpected one."""

    @wraps(handler)
    def run(req: func.HttpRequest) -> func.HttpResponse:
        try:
            return handler(req)
        except Exception as exc:  # the one place that turns failures into answers
            known = _known(exc)
            if known is not None:
                _after_refusal(handler.__name__, req, exc, known.status_code)
                return known
            log.exception("unexpected failure in %s", handler.__name__)
            return error(500, "internal", "the request could not be processed")

    return run
