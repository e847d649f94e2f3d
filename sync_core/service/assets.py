"""The company's Conviso assets, for the admin page's asset picker.

A route for one asset names it by Conviso's asset id, which nobody knows by heart; the page
lists the assets (id, name, tags) and filters them as the operator types. Read through the
integration's own Conviso client (its API key), a bounded number of pages: a company with
more than ``MAX_ASSETS`` assets is answered ``truncated`` and the page still takes a typed
id. Conviso's refusals keep their meaning: 424 for a refused key or query, 503 when it does
not answer.
"""

from __future__ import annotations

from typing import Any

from ..ports import ConvisoAuthError, ConvisoError, ConvisoUnavailable
from .context import SyncContext
from .errors import ServiceError
from .intake import load_integration

__all__ = ["MAX_ASSETS", "ConvisoRefused", "list_assets"]

PAGE_SIZE = 100
MAX_ASSETS = 1000


class ConvisoRefused(ServiceError):
    """Conviso said no, or did not answer; the status says which."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def list_assets(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """``{"path": "assets", "items": [{id, name, tags}], "truncated": bool}``, by name."""
    config = load_integration(ctx, integration_id)
    client = ctx.conviso_for(integration_id, config)
    items: list[dict[str, Any]] = []
    page, pages = 1, 1
    try:
        while page <= pages and len(items) < MAX_ASSETS:
            found, pages = client.list_assets_page(
                config.conviso.company_id, page=page, limit=PAGE_SIZE
            )
            items.extend(found)
            if not found:
                break
            page += 1
    except ConvisoAuthError as exc:
        raise ConvisoRefused(str(exc), status=424, code="conviso_auth") from exc
    except ConvisoUnavailable as exc:
        raise ConvisoRefused(
            f"Conviso is not answering now ({exc}); try again", status=503, code="unavailable"
        ) from exc
    except ConvisoError as exc:
        raise ConvisoRefused(str(exc)[:500], status=424, code="conviso_refused") from exc
    items.sort(key=lambda a: (a["name"].casefold(), a["id"]))
    truncated = len(items) >= MAX_ASSETS and page <= pages
    return {"path": "assets", "items": items[:MAX_ASSETS], "truncated": truncated}
