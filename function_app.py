"""Azure Functions entry point: triggers only. Each parses, calls the service, answers.

Nothing here does work at import time (a cold start must stay cheap) and nothing here
imports ``localdev``: ``func start`` and Azure load this module as it is.
"""

from __future__ import annotations

import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def _json(body: object, status: int) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """Liveness: answers without touching storage or any remote service."""
    return _json({"status": "ok"}, 200)
