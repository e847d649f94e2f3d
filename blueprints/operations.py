"""Self-healing and self-service (R13, R17, R18): reconcile and backfill, service-hook
provisioning, discovery, the timer that reconciles every integration and the one that polls
Conviso every minute. All admin routes.

The timer's NCRONTAB schedule is ``RECONCILE_SCHEDULE`` when that app setting is set, every
15 minutes otherwise. It is read when the functions are indexed (the worker has the app
settings in its environment then) rather than bound as ``%RECONCILE_SCHEDULE%``, because the
host refuses to load an app whose binding names a setting that is absent. The poll's
schedule is ``CONVISO_POLL_SCHEDULE`` in the same way, every minute otherwise.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

import azure.functions as func

from blueprints.common import STORAGE, ctx, guarded, integration_id, ok

bp = func.Blueprint()
log = logging.getLogger(__name__)

ADMIN = func.AuthLevel.FUNCTION
#: sync_core.adapters.state.queues.RECONCILE_QUEUE, spelled here so that indexing the
#: functions imports no SDK (cold start); tests/reconcile checks the two agree
RECONCILE_QUEUE = "reconcile-runs"
DEFAULT_RECONCILE_SCHEDULE = "0 */15 * * * *"
RECONCILE_SCHEDULE = os.environ.get("RECONCILE_SCHEDULE") or DEFAULT_RECONCILE_SCHEDULE
#: R18: Conviso sends no webhooks; its changes are polled every minute unless set otherwise
DEFAULT_CONVISO_POLL_SCHEDULE = "0 * * * * *"
CONVISO_POLL_SCHEDULE = os.environ.get("CONVISO_POLL_SCHEDULE") or DEFAULT_CONVISO_POLL_SCHEDULE
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


def _flag(req: func.HttpRequest, name: str) -> bool:
    from sync_core.service import InvalidInput

    value = (req.params.get(name) or "").strip().lower()
    if value not in _TRUE | _FALSE:
        raise InvalidInput(f"query parameter '{name}' must be true or false")
    return value in _TRUE


@bp.route(route="integrations/{id}/reconcile", methods=["POST"], auth_level=ADMIN)
@guarded
def reconcile_now(req: func.HttpRequest) -> func.HttpResponse:
    """Reconcile now (R13); ``?backfill=true`` starts over, ``?dry_run=true`` only plans.

    With ``Prefer: respond-async`` a real run is queued and answered 202 (a long backfill
    outlives the 230 s an HTTP answer may take in Azure); a dry run always answers here."""
    from sync_core.service.reconcile import reconcile
    from sync_core.service.reconcile_runs import request_run

    backfill, dry_run = _flag(req, "backfill"), _flag(req, "dry_run")
    iid = integration_id(req)
    if not dry_run and _prefers_async(req):
        return ok(request_run(ctx(), iid, backfill=backfill), 202)
    return ok(reconcile(ctx(), iid, backfill=backfill, dry_run=dry_run))


def _prefers_async(req: func.HttpRequest) -> bool:
    preferences = (req.headers.get("prefer") or "").lower().replace(" ", "").split(",")
    return "respond-async" in preferences


@bp.queue_trigger(arg_name="msg", queue_name=RECONCILE_QUEUE, connection=STORAGE)
def reconcile_queued(msg: func.QueueMessage) -> None:
    """A run asked for with ``Prefer: respond-async``; raising lets the host retry, then poison."""
    from sync_core.service.reconcile_runs import run_requested

    run_requested(ctx(), msg.get_body().decode("utf-8"))


@bp.route(route="integrations/{id}/service-hooks", methods=["POST"], auth_level=ADMIN)
@guarded
def service_hooks(req: func.HttpRequest) -> func.HttpResponse:
    """Create the two subscriptions per routed project where missing; report all (R17).

    Without ``PUBLIC_BASE_URL`` or ``WEBSITE_HOSTNAME`` (a local run), the hooks point where
    this request arrived: the address the operator reached the app on."""
    from sync_core.service.hooks import provision_service_hooks, public_base_url

    arrived = urlsplit(req.url)
    base = public_base_url(os.environ) or f"{arrived.scheme}://{arrived.netloc}"
    return ok(provision_service_hooks(ctx(), integration_id(req), base))


@bp.route(route="integrations/{id}/discovery/{*path}", methods=["GET"], auth_level=ADMIN)
@guarded
def discovery(req: func.HttpRequest) -> func.HttpResponse:
    """Projects, teams, boards (columns, lanes), work item types and states, as JSON."""
    from sync_core.service.discovery import discover

    return ok(discover(ctx(), integration_id(req), req.route_params.get("path", "")))


@bp.timer_trigger(schedule=RECONCILE_SCHEDULE, arg_name="timer", run_on_startup=False)
def reconcile_timer(timer: func.TimerRequest) -> None:
    """Every integration, one after another; missed events heal by themselves (R13)."""
    from sync_core.service.reconcile import reconcile_all

    if timer.past_due:
        log.warning("the reconcile timer is running late")
    outcome = reconcile_all(ctx())
    log.info("reconciled %s integration(s)", len(outcome))


@bp.timer_trigger(schedule=CONVISO_POLL_SCHEDULE, arg_name="timer", run_on_startup=False)
def conviso_poll_timer(timer: func.TimerRequest) -> None:
    """Every integration's Conviso changes since its watermark, every minute (R18)."""
    from sync_core.service.poll import poll_all

    if timer.past_due:
        log.warning("the Conviso poll timer is running late")
    outcome = poll_all(ctx())
    log.info("polled %s integration(s): %s", len(outcome), sorted(set(outcome.values())))
