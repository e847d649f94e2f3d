"""A tiny FunctionApp for the dev host tests: one function per behaviour under test.

Functions record what they saw in ``CALLS`` so tests can assert on attempts without
timing guesses. Queue messages are JSON ``{"key": ..., "fail_until": n}``: the function
raises while ``dequeue_count < n`` (a large n fails every time).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from typing import Any

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

CALLS: defaultdict[str, list[Any]] = defaultdict(list)
CALLED = threading.Condition()


def record(key: str, value: Any) -> None:
    with CALLED:
        CALLS[key].append(value)
        CALLED.notify_all()


def wait_for(key: str, count: int, timeout: float = 10.0) -> list[Any]:
    """The first ``count`` records under ``key``, waiting for them to arrive."""
    with CALLED:
        CALLED.wait_for(lambda: len(CALLS[key]) >= count, timeout=timeout)
        return list(CALLS[key])


def _json(body: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


@app.route(route="items/{item_id}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"item_id": req.route_params["item_id"], "q": req.params.get("q")})


@app.route(route="echo", methods=["POST", "PUT"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    headers = {"X-Echo-Method": req.method}
    body = {"body": req.get_body().decode(), "header": req.headers.get("x-sample")}
    return func.HttpResponse(json.dumps(body), status_code=201, headers=headers,
                             mimetype="application/json")


@app.route(route="numbers/{n:int}/{*rest}", methods=["GET"])
async def numbers(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"n": req.route_params["n"], "rest": req.route_params["rest"]})


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("the sample function fails on purpose")


@app.queue_trigger(arg_name="msg", queue_name="%SAMPLE_QUEUE%", connection="SAMPLE_STORAGE")
def work(msg: func.QueueMessage) -> None:
    task = json.loads(msg.get_body())
    record(task["key"], msg.dequeue_count)
    if msg.dequeue_count < task["fail_until"]:
        raise RuntimeError(f"attempt {msg.dequeue_count} fails on purpose")
    record(task["key"] + ":done", msg.dequeue_count)


@app.timer_trigger(schedule="0 0 3 1 1 *", arg_name="timer")
def yearly(timer: func.TimerRequest) -> str:
    record("yearly", timer.past_due)
    return "ran"


@app.timer_trigger(schedule="* * * * * *", arg_name="timer")
async def every_second(timer: func.TimerRequest) -> None:
    record("every_second", timer.past_due)
