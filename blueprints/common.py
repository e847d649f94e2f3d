"""What every trigger shares: the lazily built context and request helpers.

The service and its SDKs are imported on the first invocation, never at import time,
so a cold start stays cheap (Flex Consumption gives an app 30 s to initialise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import azure.functions as func

from sync_core.answers import ON_UNAUTHORIZED, error, guarded, ok

if TYPE_CHECKING:
    from sync_core.service import SyncContext

__all__ = ["ANONYMOUS", "STORAGE", "body", "ctx", "error", "guarded", "integration_id", "ok"]

ANONYMOUS = func.AuthLevel.ANONYMOUS
#: a connection string locally, ``SYNC_STORAGE__queueServiceUri`` (identity) in Azure
STORAGE = "SYNC_STORAGE"


def ctx() -> SyncContext:
    from sync_core.bootstrap import context

    return context()


def integration_id(req: func.HttpRequest) -> str:
    """The route's ``{id}``, checked before it reaches storage (a 400 names the problem)."""
    from sync_core.adapters.state.limits import check_integration_id

    return check_integration_id(req.route_params.get("id", ""))


def body(req: func.HttpRequest) -> bytes:
    return req.get_body() or b""


def _refused(source: str) -> Callable[[func.HttpRequest, str], None]:
    """Count a webhook call refused as unauthenticated, per integration and reason."""

    def record(req: func.HttpRequest, message: str) -> None:
        from sync_core.adapters.state.limits import check_integration_id
        from sync_core.service.admin import record_refused_call

        iid = check_integration_id(req.route_params.get("id", ""))
        record_refused_call(ctx(), iid, source, message)

    return record


# the two webhook triggers of function_app.py, by function name
ON_UNAUTHORIZED["conviso_events"] = _refused("conviso-events")
ON_UNAUTHORIZED["boards_webhook"] = _refused("boards-webhook")
