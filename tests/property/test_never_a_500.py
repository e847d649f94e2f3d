"""Never a 500 for bad input, on any route (PRODUCT.md §4, issue 21).

Hypothesis draws requests for every admin route and both webhooks, with bodies made from
the app's own models (the integration configuration, the Conviso vulnerability, the
service-hook payload, the discovery request), valid documents with one thing broken, and
arbitrary JSON and bytes, and sends them through the real stack (``conftest.py``). Every
answer must be below 500, and every 4xx must be the JSON error shape
``{"error": {"code": str, "message": str}}``.

``make test`` runs ``PROPERTY_EXAMPLES`` (default 50) requests per route;
``RELIABILITY_FULL=1`` (``make reliability``) runs 2,000. ``PROPERTY_TALLY=1`` does not
stop at the first 500 but counts every one, for a before/after report.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localdev.boards_emulator import BoardsEmulator
from sync_core.edge import AssessmentInfo, sign_conviso
from sync_core.hook_payload import WorkItemUpdatedEvent
from sync_core.rules import IntegrationConfig, Vulnerability
from sync_core.service.setup import DiscoveryRequest
from tests.harness import EVENT_SECRET, HOOK_TOKEN, example_config

from .conftest import ADMIN_KEY, INTEGRATION
from .strategies import ANY_JSON, TEXT, URL_TEXT, from_model, mutated

FULL = os.environ.get("RELIABILITY_FULL") == "1"
EXAMPLES = 2000 if FULL else int(os.environ.get("PROPERTY_EXAMPLES", "50"))
TALLY = os.environ.get("PROPERTY_TALLY") == "1"
#: the id PUT and DELETE may change (the one the webhooks use stays configured)
SCRATCH = "prop-put"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] | dict[str, bytes] = field(default_factory=dict)
    content: bytes | None = None


# ----------------------------------------------------------------- building blocks

ids = st.one_of(
    st.just(INTEGRATION),
    st.just(INTEGRATION),
    st.just("no-such-integration"),
    URL_TEXT.filter(lambda t: t not in ("", ".", "..")),
)
admin_key = st.sampled_from([ADMIN_KEY] * 8 + ["", "wrong", "ä"])
json_type = st.sampled_from(
    ["application/json"] * 6
    + ["application/cloudevents+json", "text/plain", "", "application/json; charset=utf-8"]
)
params = st.dictionaries(URL_TEXT, URL_TEXT, max_size=4)


def _encode(document: Any) -> bytes:
    return json.dumps(document).encode()


def bodies(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Mostly JSON of the given shape; sometimes any JSON, any bytes or nothing."""
    return st.one_of(
        shaped.map(_encode),
        shaped.map(_encode),
        shaped.map(_encode),
        ANY_JSON.map(_encode),
        st.binary(max_size=64),
        st.just(b""),
        st.just(b'{"a": 1,'),
        st.just(b"\xff\xfe{}"),
        st.just(b"[" * 3000 + b"]" * 3000),
    )


def _path(iid: str, suffix: str = "") -> str:
    return f"/integrations/{quote(iid, safe='')}{suffix}"


def _admin(key: str, extra: dict[str, str] | None = None) -> dict[str, bytes]:
    return _ascii({"x-functions-key": key, **(extra or {})})


# ---------------------------------------------------------------------- the routes


def _variants(boards: BoardsEmulator) -> st.SearchStrategy[dict[str, Any]]:
    """Valid configurations whose choices vary: each way of signing in (with and without
    its secret), optional secrets present or not, one or two routes."""
    base = example_config(boards)
    auths = st.sampled_from(
        [
            {"mode": "pat", "pat": boards.pat},
            {"mode": "pat"},
            {"mode": "pat", "pat": None},
            {"mode": "pat", "pat": "not-the-pat"},
            {"mode": "oauth"},
            {"mode": "service_principal"},
        ]
    )
    webhooks = st.sampled_from(
        [base["webhook"], {}, {"token": "t"}, {"basic_username": "u"}, {"basic_password": "p"}]
    )
    return st.builds(
        lambda auth, secret, hook, policy, routes: {
            **base,
            "auth": auth,
            "event_secret": secret,
            "webhook": hook,
            "severity_policy": policy,
            "routes": base["routes"][:routes],
        },
        auths,
        st.sampled_from([None, "s", "x" * 5000]),
        webhooks,
        st.sampled_from(["all", [], ["HIGH"], ["NOTIFICATION", "CRITICAL"]]),
        st.sampled_from([1, 2]),
    )


def _put(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    shaped = st.one_of(
        from_model(IntegrationConfig), mutated(example_config(boards)), _variants(boards)
    )
    fresh = st.uuids().map(lambda u: "new-" + u.hex[:12])  # no stored secrets to fall back on
    return st.builds(
        lambda iid, body, ctype: Call(
            "PUT", _path(iid), headers={"Content-Type": ctype}, content=body
        ),
        st.one_of(st.just(SCRATCH), fresh, fresh, ids.filter(lambda i: i != INTEGRATION)),
        bodies(shaped),
        json_type,
    )


def _get(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    return st.builds(lambda iid: Call("GET", _path(iid)), ids)


def _delete(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    return st.builds(
        lambda iid: Call("DELETE", _path(iid)),
        st.one_of(st.just(SCRATCH), ids.filter(lambda i: i != INTEGRATION)),
    )


def _deliveries(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    values = st.one_of(
        URL_TEXT,
        st.sampled_from(["info", "warn", "error", "0", "200", "201", "2026-01-01T00:00:00Z"]),
        st.sampled_from(["2026-01-01T00:00:00", "0000000000000000001-0123456789ab"]),
    )
    query = st.dictionaries(
        st.sampled_from(["level", "text", "since", "until", "limit", "cursor"]), values, max_size=6
    )
    return st.builds(lambda iid, q: Call("GET", _path(iid, "/deliveries"), q), ids, query)


def _post(suffix: str, query: st.SearchStrategy[dict[str, str]] = params) -> Callable[..., Any]:
    def make(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
        headers = st.sampled_from([{}, {"Prefer": "respond-async"}, {"Prefer": "x, respond-async"}])
        return st.builds(
            lambda iid, q, h: Call("POST", _path(iid, suffix), q, h), ids, query, headers
        )

    return make


_flags = st.dictionaries(
    st.sampled_from(["backfill", "dry_run"]),
    st.one_of(st.sampled_from(["true", "false", "1", "0", "yes", "no", ""]), URL_TEXT),
    max_size=2,
)


def _discovery(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    paths = st.one_of(
        st.sampled_from(["projects", "teams", "boards", "types", "states", "board", "", "x/y"]),
        URL_TEXT,
    )
    query = st.dictionaries(
        st.sampled_from(["project", "team", "board", "work_item_type", "type"]),
        st.one_of(st.sampled_from(["Fabrikam", "Fabrikam Team", "Issues", "Bug"]), URL_TEXT),
        max_size=4,
    )
    return st.builds(
        lambda iid, p, q: Call("GET", _path(iid, "/discovery/" + quote(p, safe="/")), q),
        ids,
        paths,
        query,
    )


def _console_session(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    return st.builds(
        lambda key, q: Call("GET", "/console/session", q, _admin(key)), admin_key, params
    )


def _console_discovery(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    valid = {
        "what": "projects",
        "integration": INTEGRATION,
        "organization": boards.organization,
        "auth": {"mode": "pat", "pat": boards.pat},
    }
    shaped = st.one_of(from_model(DiscoveryRequest), mutated(valid))
    return st.builds(
        lambda key, body, ctype: Call(
            "POST", "/console/discovery", headers=_admin(key, {"Content-Type": ctype}), content=body
        ),
        admin_key,
        bodies(shaped),
        json_type,
    )


def _console_connection(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    return st.builds(
        lambda iid, key: Call("GET", "/console" + _path(iid, "/connection"), headers=_admin(key)),
        ids,
        admin_key,
    )


def _console_sign_in(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    return st.builds(
        lambda iid, key: Call("POST", "/console" + _path(iid, "/sign-in"), headers=_admin(key)),
        ids,
        admin_key,
    )


def _console_static(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    names = st.one_of(
        st.sampled_from(["app.js", "app.css", "index.html", "..%2Fhost.json"]), URL_TEXT
    )
    return st.builds(lambda n: Call("GET", "/console/static/" + quote(n, safe="")), names)


def _oauth_start(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    query = st.one_of(st.builds(lambda i: {"integration": i}, ids), params)
    return st.builds(lambda q: Call("GET", "/oauth/start", q), query)


def _oauth_callback(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    fields = st.dictionaries(
        st.sampled_from(["code", "state", "error", "error_description", "session_state", "x"]),
        URL_TEXT,
        max_size=5,
    )
    form = st.one_of(
        fields.map(lambda f: "&".join(f"{quote(k)}={quote(v)}" for k, v in f.items()).encode()),
        st.binary(max_size=64),
    )
    get = st.builds(lambda q: Call("GET", "/oauth/callback", q), fields)
    post = st.builds(
        lambda body, accept: Call(
            "POST",
            "/oauth/callback",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            content=body,
        ),
        form,
        st.sampled_from(["application/json", "text/html"]),
    )
    return st.one_of(get, post)


def _conviso_event(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    issue = from_model(Vulnerability)
    valid_issue = {
        "id": "123",
        "title": "SQL injection",
        "status": "IDENTIFIED",
        "severity": "HIGH",
        "asset": {"id": "45", "name": "payments-api"},
        "updatedAt": "2026-11-28T09:59:58Z",
    }

    def event(kind: str, data: Any, event_id: str) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": event_id,
            "source": "conviso",
            "type": kind,
            "data": data,
        }

    kinds = st.sampled_from(
        [
            "com.convisoappsec.vulnerability.identified",
            "com.convisoappsec.vulnerability.status_changed",
            "com.convisoappsec.vulnerability.updated",
            "com.convisoappsec.assessment.completed",
        ]
    )
    event_ids = st.one_of(st.uuids().map(str), TEXT)
    shaped = st.one_of(
        st.builds(lambda k, i, e: event(k, {"issue": i}, e), kinds, issue, event_ids),
        st.builds(
            lambda a, issues, e: event(
                "com.convisoappsec.assessment.completed", {"assessment": a, "issues": issues}, e
            ),
            from_model(AssessmentInfo),
            st.lists(st.one_of(issue, st.builds(lambda i: {"id": i}, TEXT)), max_size=3),
            event_ids,
        ),
        mutated(event("com.convisoappsec.vulnerability.updated", {"issue": valid_issue}, "e-1")),
    )

    @st.composite
    def call(draw: st.DrawFn) -> Call:
        iid = draw(ids)
        body = draw(bodies(shaped))
        how = draw(st.sampled_from(["signed"] * 6 + ["stale", "garbage", "none", "other-secret"]))
        now = int(time.time())
        signature = {
            "signed": sign_conviso(EVENT_SECRET, body, now),
            "stale": sign_conviso(EVENT_SECRET, body, now - 3600),
            "garbage": draw(URL_TEXT),
            "other-secret": sign_conviso("not-the-secret", body, now),
        }.get(how)
        headers = {"Content-Type": draw(json_type)}
        if signature is not None:
            headers["X-Conviso-Signature"] = signature
        return Call("POST", _path(iid, "/conviso-events"), headers=_ascii(headers), content=body)

    return call()


def _boards_webhook(boards: BoardsEmulator) -> st.SearchStrategy[Call]:
    valid = {
        "id": "hook-1",
        "eventType": "workitem.updated",
        "publisherId": "tfs",
        "resource": {
            "id": 2,
            "workItemId": 1,
            "rev": 2,
            "fields": {"System.State": {"oldValue": "New", "newValue": "Active"}},
            "revision": {
                "id": 1,
                "rev": 2,
                "fields": {"System.State": "Active", "System.Tags": "conviso; conviso-vuln-1"},
            },
        },
    }
    shaped = st.one_of(from_model(WorkItemUpdatedEvent), mutated(valid))

    @st.composite
    def call(draw: st.DrawFn) -> Call:
        iid = draw(ids)
        body = draw(bodies(shaped))
        how = draw(st.sampled_from(["token"] * 6 + ["wrong-token", "basic", "bad-basic", "none"]))
        query = {"token": HOOK_TOKEN} if how == "token" else {}
        headers = {"Content-Type": draw(json_type)}
        if how == "wrong-token":
            query = {"token": draw(URL_TEXT)}
        elif how == "basic":
            headers["Authorization"] = "Basic " + base64.b64encode(b"boards:pw").decode()
        elif how == "bad-basic":
            headers["Authorization"] = "Basic " + draw(URL_TEXT)
        return Call("POST", _path(iid, "/boards-webhook"), query, _ascii(headers), body)

    return call()


def _ascii(headers: dict[str, str]) -> dict[str, bytes]:
    """Header values as the bytes on the wire (Latin-1, as HTTP/1.1 carries them)."""

    def wire(value: str) -> bytes:
        kept = "".join(c for c in value if " " <= c <= "~" or "\xa0" <= c <= "\xff")
        return kept.strip().encode("latin-1")

    return {k: wire(v) for k, v in headers.items()}


ROUTES: dict[str, Callable[[BoardsEmulator], st.SearchStrategy[Call]]] = {
    "PUT integrations/{id}": _put,
    "GET integrations/{id}": _get,
    "DELETE integrations/{id}": _delete,
    "GET integrations/{id}/deliveries": _deliveries,
    "POST integrations/{id}/replay": _post("/replay"),
    "POST integrations/{id}/check": _post("/check"),
    "POST integrations/{id}/reconcile": _post("/reconcile", _flags),
    "POST integrations/{id}/service-hooks": _post("/service-hooks"),
    "GET integrations/{id}/discovery/{path}": _discovery,
    "GET console/session": _console_session,
    "POST console/discovery": _console_discovery,
    "GET console/integrations/{id}/connection": _console_connection,
    "POST console/integrations/{id}/sign-in": _console_sign_in,
    "GET console/static/{name}": _console_static,
    "GET oauth/start": _oauth_start,
    "GET|POST oauth/callback": _oauth_callback,
    "POST integrations/{id}/conviso-events": _conviso_event,
    "POST integrations/{id}/boards-webhook": _boards_webhook,
}


def _problem(answer: httpx.Response) -> str | None:
    """What is wrong with an answer, or None: < 500, and a 4xx is the JSON error shape."""
    if answer.status_code >= 500:
        return f"{answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        try:
            error = answer.json()["error"]
        except (ValueError, KeyError, TypeError):
            return f"{answer.status_code} is not the JSON error shape: {answer.text[:200]}"
        if not (isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
            return f"{answer.status_code} error lacks code or message: {answer.text[:200]}"
    return None


@pytest.mark.timeout(3600 if FULL else 600)
@pytest.mark.parametrize("route", list(ROUTES))
def test_no_request_is_answered_with_a_500(
    route: str, client: httpx.Client, boards: BoardsEmulator
) -> None:
    sent = Counter[str]()
    found: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=not FULL,
    )
    @given(call=ROUTES[route](boards))
    def run(call: Call) -> None:
        answer = client.request(
            call.method, call.path, params=call.params, headers=call.headers, content=call.content
        )
        sent["requests"] += 1
        sent[str(answer.status_code)] += 1
        problem = _problem(answer)
        if problem is None:
            return
        if TALLY:
            found[problem.splitlines()[0][:160]] += 1
            return
        raise AssertionError(f"{call.method} {call.path} {call.params} -> {problem}")

    run()
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(sent.items()) if k != "requests")
    print(f"\n{route}: {sent['requests']} requests ({statuses}); {sum(found.values())} bad")
    for problem, count in found.most_common():
        print(f"  {count} x {problem}")
    assert not found, f"{sum(found.values())} bad answers on {route}: {dict(found)}"
