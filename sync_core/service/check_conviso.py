"""Check connection, the Conviso half (R16): the API key, the company, an ``issues`` page.

Without it a check said "everything works" for an integration whose Conviso key was wrong,
and the failure showed only at the next poll. Three items, in order, each reported with
Conviso's own words; a later one is not asked when an earlier one failed (it could only fail
for the same reason):

- ``conviso:api_key`` — a request with the key is answered (not refused as unauthenticated);
- ``conviso:company`` — the company's assets can be listed (the key sees the company);
- ``conviso:issues`` — one page of the company's issues can be read (what the poll reads).

Two requests in all: the assets page answers the first two items.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..ports import ConvisoAuthError, ConvisoError, ConvisoUnavailable
from ..rules import IntegrationConfig
from .context import SyncContext

__all__ = ["conviso_items"]

T = TypeVar("T")


def conviso_items(
    ctx: SyncContext, integration_id: str, config: IntegrationConfig
) -> list[dict[str, Any]]:
    """The Conviso items of the check report, ``{"item", "ok", "reason"}`` each."""
    company = config.conviso.company_id
    try:
        client = ctx.conviso_for(integration_id, config)
    except ConvisoError as exc:
        return [_item("conviso:api_key", False, str(exc))]
    assets, why, kind = _ask(lambda: client.list_assets_page(company, limit=1))
    if kind == "refused":
        return [_item("conviso:api_key", False, f"Conviso refused the API key: {why}")]
    if kind == "down":
        return [_item("conviso:api_key", False, f"not checked: Conviso did not answer ({why})")]
    items = [_item("conviso:api_key", True, "the API key is accepted")]
    if assets is None:
        return [*items, _item("conviso:company", False, f"company {company}: {why}")]
    items.append(_item("conviso:company", True, f"company {company} is readable"))
    page, why, _ = _ask(lambda: client.list_issues_page(company, page=1, per_page=1))
    if page is None:
        return [*items, _item("conviso:issues", False, f"issues of company {company}: {why}")]
    total = getattr(page, "total_count", None)
    counted = f" ({total} in all)" if isinstance(total, int) and total else ""
    items.append(_item("conviso:issues", True, f"an issues page can be read{counted}"))
    return items


def _ask(call: Callable[[], T]) -> tuple[T | None, str, str]:
    """(value, "", "ok"), or (None, why, kind): ``refused`` (the key), ``down`` (no answer),
    ``error`` (answered with an error: the key works, the request does not)."""
    try:
        return call(), "", "ok"
    except ConvisoAuthError as exc:
        return None, str(exc), "refused"
    except ConvisoUnavailable as exc:
        return None, str(exc), "down"
    except ConvisoError as exc:
        return None, str(exc), "error"
    except OSError as exc:
        return None, type(exc).__name__, "down"


def _item(item: str, ok: bool, reason: str) -> dict[str, Any]:
    return {"item": item, "ok": ok, "reason": reason[:500]}
