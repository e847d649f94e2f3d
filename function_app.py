"""Azure Functions entry point: triggers only. Each parses, calls the service, answers.

Nothing here does work at import time (a cold start must stay cheap): the service and its
SDKs are imported and built on the first invocation, through ``bootstrap.context()``.
Nothing here imports ``localdev``: ``func start`` and Azure load this module as it is.
"""

from __future__ import annotations

import azure.functions as func

from blueprints import admin_page, check, oauth, operations, overview
from blueprints.common import ANONYMOUS, STORAGE, body, ctx, error, guarded, integration_id, ok

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

# Feature blueprints register here, one line each: app.register_functions(<module>.bp)
app.register_functions(oauth.bp)
app.register_functions(check.bp)
app.register_functions(admin_page.bp)
app.register_functions(operations.bp)
app.register_functions(overview.bp)


# ------------------------------------------------------------------- webhooks (R12)


@app.route(route="integrations/{id}/conviso-events", methods=["POST"], auth_level=ANONYMOUS)
@guarded
def conviso_events(req: func.HttpRequest) -> func.HttpResponse:
    """Conviso → us: HMAC-signed CloudEvents; authenticated by signature, not by key."""
    from sync_core.service import accept_conviso_event

    accepted = accept_conviso_event(ctx(), integration_id(req), dict(req.headers), body(req))
    return ok(accepted.body(), accepted.status)


@app.route(route="integrations/{id}/boards-webhook", methods=["POST"], auth_level=ANONYMOUS)
@guarded
def boards_webhook(req: func.HttpRequest) -> func.HttpResponse:
    """Azure DevOps service hooks → us: ``?token=`` or Basic auth."""
    from sync_core.service import accept_boards_event

    accepted = accept_boards_event(
        ctx(), integration_id(req), dict(req.headers), dict(req.params), body(req)
    )
    return ok(accepted.body(), accepted.status)


# ------------------------------------------------------------------------- admin


@app.route(route="integrations/{id}", methods=["PUT", "GET", "DELETE"])
@guarded
def integration(req: func.HttpRequest) -> func.HttpResponse:
    """Configuration of one integration; secrets are write-only."""
    from sync_core.service import delete_integration, get_integration, put_integration

    context, iid = ctx(), integration_id(req)
    if req.method == "GET":
        from sync_core.service.intake import quiet_hooks  # R19: hooks for cards not ours
        from sync_core.service.poll import last_poll

        return ok(
            {
                **get_integration(context, iid),
                "quiet_hooks": quiet_hooks(iid),
                "last_poll": last_poll(context, iid),  # R18
                "refused_waiting": context.state.refused.counts(iid),  # R14
            }
        )
    if req.method == "DELETE":
        return ok({"deleted": iid, **delete_integration(context, iid)})  # and its hooks (R17)
    view, warnings, created = put_integration(context, iid, dict(req.headers), body(req))
    return ok({**view, "warnings": warnings}, 201 if created else 200)


@app.route(route="integrations/{id}/deliveries", methods=["GET"])
@guarded
def deliveries(req: func.HttpRequest) -> func.HttpResponse:
    """Recent deliveries (R11): ``level``, ``text``, ``since``, ``until``, ``limit``, ``cursor``."""
    from sync_core.service import list_deliveries

    return ok(list_deliveries(ctx(), integration_id(req), dict(req.params)))


@app.route(route="integrations/{id}/replay", methods=["POST"])
@guarded
def replay(req: func.HttpRequest) -> func.HttpResponse:
    """Move this integration's poison messages back to their queues (R12)."""
    from sync_core.service import replay_poison

    return ok(replay_poison(ctx(), integration_id(req)))


@app.route(route="health", methods=["GET"], auth_level=ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """Liveness, and whether storage answers; never calls Azure DevOps or Conviso."""
    try:
        from sync_core.service import storage_health

        healthy, detail = storage_health(ctx())
    except Exception:  # a health probe reports, it does not fail
        healthy, detail = False, "storage is not configured or not reachable"
    if not healthy:
        return error(503, "unavailable", detail)
    from sync_core.service.poll import poll_overview

    return ok({"status": "ok", "storage": detail, "conviso_poll": poll_overview(ctx())})


# ------------------------------------------------------------------ queue workers


@app.queue_trigger(arg_name="msg", queue_name="conviso-to-boards", connection=STORAGE)
def conviso_to_boards(msg: func.QueueMessage) -> None:
    """Apply a Conviso vulnerability to its card; raising lets the host retry, then poison."""
    from sync_core.service import run_outbound

    run_outbound(
        ctx(),
        msg.get_body().decode("utf-8"),
        message_id=msg.id,
        dequeue_count=msg.dequeue_count or 1,
    )


@app.queue_trigger(arg_name="msg", queue_name="boards-to-conviso", connection=STORAGE)
def boards_to_conviso(msg: func.QueueMessage) -> None:
    """Apply a card move to its vulnerability; raising lets the host retry, then poison."""
    from sync_core.service import run_inbound

    run_inbound(
        ctx(),
        msg.get_body().decode("utf-8"),
        message_id=msg.id,
        dequeue_count=msg.dequeue_count or 1,
    )
