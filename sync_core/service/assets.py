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

from .context import SyncContext
from .intake import load_integration
from .refusals import conviso_answers

__all__ = ["MAX_ASSETS", "list_assets"]

PAGE_SIZE = 100
MAX_ASSETS = 1000


def list_assets(ctx: SyncContext, integration_id: str) -> dict[str, Any]:
    """``{"path": "assets", "items": [{id, name, tags}], "truncated": bool}``, by name."""
    config = load_integration(ctx, integration_id)
    client = ctx.conviso_for(integration_id, config)
    items: list[dict[str, Any]] = []
    page, pages = 1, 1
    with conviso_answers():
        while page <= pages and len(items) < MAX_ASSETS:
            found, pages = client.list_assets_page(
                config.conviso.company_id, page=page, limit=PAGE_SIZE
            )
            items.extend(found)
            if not found:
                break
            page += 1
    items.sort(key=lambda a: (a["name"].casefold(), a["id"]))
    truncated = len(items) >= MAX_ASSETS and page <= pages
    return {"path": "assets", "items": items[:MAX_ASSETS], "truncated": truncated}
