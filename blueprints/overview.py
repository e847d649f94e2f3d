"""The admin page's Overview (``GET /api/integrations/{id}/overview``), an admin route.

Thin like every blueprint: the numbers come from ``sync_core.service.overview``, which reads
storage only (no Azure DevOps or Conviso request) and bounds what it reads.
"""

from __future__ import annotations

import azure.functions as func

from blueprints.common import ctx, guarded, integration_id, ok

bp = func.Blueprint()


@bp.route(route="integrations/{id}/overview", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
@guarded
def integration_overview(req: func.HttpRequest) -> func.HttpResponse:
    """Links by status and column, in sync vs drifted, the last 24 h of deliveries by hour
    and level, refused calls, poison messages, last poll and reconcile, hook status."""
    from sync_core.service.overview import overview

    return ok(overview(ctx(), integration_id(req)))
