"""Check connection (R16): ``POST /api/integrations/{id}/check``, an admin route."""

from __future__ import annotations

import azure.functions as func

from blueprints.common import ctx, guarded, integration_id, ok

bp = func.Blueprint()


@bp.route(route="integrations/{id}/check", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@guarded
def check_connection(req: func.HttpRequest) -> func.HttpResponse:
    """Item-by-item report; 200 whether or not everything passed (``ok`` says)."""
    from sync_core.service.check import check_integration

    return ok(check_integration(ctx(), integration_id(req)))
