"""Hostile requests for the two public webhooks: builders of valid and broken requests,
hypothesis strategies that are invalid *by construction* (each case carries the status
the contract promises for it), and a spy on what reached the queues and the tables.

Used by ``test_hostile_input.py``; the harness itself (app, emulators, Azurite) is the
e2e one, imported through ``tests/reliability/conftest.py``.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import strategies as st

from sync_core import bootstrap
from sync_core.edge import JSON_TYPES, sign_conviso
from tests.harness import EVENT_SECRET, HOOK_TOKEN

JSON_TYPE = {"Content-Type": "application/json"}
VULNERABILITY_TYPE = "com.convisoappsec.vulnerability.status_changed"


# ------------------------------------------------------------------ valid documents


def issue(issue_id: str = "501", **fields: Any) -> dict[str, Any]:
    """A full IDENTIFIED HIGH snapshot routed by the default route (asset 9)."""
    return {
        "id": issue_id,
        "title": "SQL injection in /login",
        "status": "IDENTIFIED",
        "severity": "HIGH",
        "type": "SAST_FINDING",
        "asset": {"id": "9", "name": "payments-api"},
        "description": "user input reaches a query",
        "solution": "use bound parameters",
        "category": "CWE-89",
        "detail": {"fileName": "app/login.py", "vulnerableLine": 42},
        "updatedAt": "2026-11-28T09:59:58Z",
        **fields,
    }


def cloud_event(event_id: str = "evt-1", **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "conviso-platform",
        "type": VULNERABILITY_TYPE,
        "data": data or {"issue": issue()},
    }


def hook(event_id: str = "hook-1", work_item_id: int = 1, rev: int = 2) -> dict[str, Any]:
    """A ``workitem.updated`` delivery that moves a card's State, of a card the integration
    made (tagged ``conviso-vuln-<id>``: hooks of other work items are dropped at the edge, R19)."""
    return {
        "id": event_id,
        "eventType": "workitem.updated",
        "publisherId": "tfs",
        "resource": {
            "id": 7,
            "workItemId": work_item_id,
            "rev": rev,
            "fields": {"System.State": {"oldValue": "New", "newValue": "Active"}},
            "revision": {
                "id": work_item_id,
                "rev": rev,
                "fields": {"System.State": "Active", "System.Tags": "conviso; conviso-vuln-1"},
            },
        },
    }


def encode(document: Any) -> bytes:
    return json.dumps(document).encode()


def signed(body: bytes, *, secret: str = EVENT_SECRET, at: float | None = None) -> dict[str, str]:
    stamp = int(time.time() if at is None else at)
    return {**JSON_TYPE, "X-Conviso-Signature": sign_conviso(secret, body, stamp)}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """One request and the answer the contract promises for it."""

    kind: str
    body: bytes
    headers: dict[str, str]
    expect: int
    #: a word the error message must contain (the field or header at fault)
    names: str | None = None
    query: dict[str, str] = field(default_factory=dict)

    def send(self, client: httpx.Client, url: str) -> httpx.Response:
        return client.post(url, content=self.body, headers=self.headers, params=self.query)


# Values of the wrong type for any field that wants a string, an object or a number.
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
not_a_string = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
not_an_object = st.one_of(_scalars, st.lists(st.integers(), max_size=3))
#: text a strict JSON reader refuses (binary garbage, truncated documents, NaN literals)
non_json = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.sampled_from(
        [
            b"",
            b"{",
            b"[1,",
            b"{'a': 1}",
            b"NaN",
            b'{"a": Infinity}',
            b"\xff\xfe{}",
            b"null x",
            b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than any parser's recursion
            b'{"id": 1' + b"0" * 5000 + b"}",
        ]  # an integer past Python's 4,300-digit limit
    ),
).filter(lambda raw: not _strict_json(raw))
#: every integer Azure DevOps could not have sent as a work item id or revision
bad_numbers = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=2**31),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.text(alphabet="abcxyz", min_size=1, max_size=5),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
wrong_content_types = (
    st.one_of(
        st.sampled_from(
            [
                "",
                "text/plain",
                "application/xml",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/jsonp",
                "text/json",
                "application/json-seq",
                "application/cloudevents-batch+json",
            ]
        ),
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    )
    .map(str.strip)
    .filter(lambda ct: ct.split(";")[0].strip().lower() not in JSON_TYPES)
)
#: printable ASCII without surrounding blanks: what an HTTP client can put in a header
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120
).map(str.strip)


def _strict_json(raw: bytes) -> bool:
    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        json.loads(raw, parse_constant=refuse)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return True


def _put(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if value is _MISSING:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return changed


_MISSING = object()
_missing = st.just(_MISSING)

# (path in the CloudEvent, values that make it invalid, word the error must name)
_EVENT_BREAKS: list[tuple[tuple[str, ...], st.SearchStrategy[Any], str]] = [
    (("specversion",), st.one_of(_missing, _scalars.filter(lambda v: v != "1.0")), "specversion"),
    (("id",), st.one_of(_missing, not_a_string, st.just(""), st.just("e" * 257)), "id"),
    (("source",), st.one_of(_missing, not_a_string, st.just("")), "source"),
    (
        ("type",),
        st.one_of(_missing, not_a_string, st.text(max_size=30).filter(lambda t: "." not in t)),
        "type",
    ),
    (("data",), st.one_of(_missing, not_an_object), "data"),
    (("data", "issue"), st.one_of(_missing, not_an_object), "issue"),
    (
        ("data", "issue", "id"),
        st.one_of(
            _missing,
            st.none(),
            st.booleans(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.just(""),
            st.just("9" * 65),
            st.integers(min_value=10**64),
            st.lists(st.integers(), max_size=2),
        ),
        "id",
    ),
    (
        ("data", "issue", "status"),
        st.one_of(_missing, not_a_string, st.text(max_size=20).filter(str.islower)),
        "status",
    ),
    (
        ("data", "issue", "severity"),
        st.one_of(st.integers(), st.text(min_size=1, max_size=20).filter(str.islower)),
        "severity",
    ),
    (("data", "issue", "asset"), st.one_of(_missing, not_an_object), "asset"),
    (
        ("data", "issue", "asset", "id"),
        st.one_of(_missing, st.none(), st.floats(allow_nan=False, allow_infinity=False)),
        "id",
    ),
    (
        ("data", "issue", "updatedAt"),
        st.one_of(
            _missing,
            st.text(alphabet="abc:-", max_size=20),
            st.integers(min_value=10**17),  # past year 9999 even as milliseconds
            st.lists(st.integers(), max_size=2),
        ),
        "updatedAt",
    ),
    (
        ("data", "issue", "detail", "vulnerableLine"),
        st.one_of(
            st.text(alphabet="abc", min_size=1),
            st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
            st.lists(st.integers(), max_size=2),
        ),
        "vulnerableLine",
    ),
]


@st.composite
def _broken_event(draw: st.DrawFn) -> Case:
    path, values, named = draw(st.sampled_from(_EVENT_BREAKS))
    document = _put(cloud_event(draw(st.uuids()).hex), path, draw(values))
    body = encode(document)
    return Case("field " + ".".join(path), body, signed(body), 400, named)


@st.composite
def conviso_cases(draw: st.DrawFn) -> Case:
    """A signed-or-not request to ``conviso-events`` that the contract must refuse.

    Timestamps are taken when the case is drawn, just before it is sent; a replayed one
    is at least 302 s away, so the few milliseconds until the app reads its clock cannot
    bring it back inside the ±300 s window.
    """
    now = time.time()
    kind = draw(st.sampled_from(["json", "non-json", "field", "content-type", "signature"]))
    if kind == "json":
        document = draw(
            json_values.filter(
                lambda d: not (isinstance(d, dict) and d.get("specversion") == "1.0")
            )
        )
        body = json.dumps(document).encode()
        return Case("random json", body, signed(body, at=now), 400)
    if kind == "non-json":
        body = draw(non_json)
        return Case("non-json", body, signed(body, at=now), 400)
    if kind == "field":
        return draw(_broken_event())
    body = encode(cloud_event(draw(st.uuids()).hex))
    if kind == "content-type":
        headers = {**signed(body, at=now), "Content-Type": draw(wrong_content_types)}
        return Case("content type", body, headers, 415)
    good = sign_conviso(EVENT_SECRET, body, int(now))
    header = draw(
        st.one_of(
            st.none(),
            header_text,
            st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(
                lambda h: f"t={int(now)},v1={h}"
            ),
            header_text.map(lambda s: sign_conviso(s or "x", body, int(now))).filter(
                lambda h: h != good
            ),
            st.integers(min_value=302, max_value=10**9).map(
                lambda d: sign_conviso(EVENT_SECRET, body, int(now) + d)
            ),
            st.integers(min_value=302, max_value=10**9).map(
                lambda d: sign_conviso(EVENT_SECRET, body, int(now) - d)
            ),
            st.just(good.replace("t=", "t=x")),
            st.just(good.split(",")[1]),
            st.just(good.upper()),
            st.just(sign_conviso(EVENT_SECRET, body + b" ", int(now))),
        )
    )
    headers = dict(JSON_TYPE)
    if header is not None:
        headers["X-Conviso-Signature"] = header
    return Case("signature", body, headers, 401, "Signature")


_HOOK_BREAKS: list[tuple[tuple[str, ...], st.SearchStrategy[Any], str]] = [
    (("id",), st.one_of(_missing, not_a_string, st.just(""), st.just("h" * 257)), "id"),
    (
        ("eventType",),
        st.one_of(_missing, not_a_string.filter(lambda v: v is not None)),
        "eventType",
    ),
    (("publisherId",), st.one_of(_missing, not_a_string), "publisherId"),
    (("resource",), st.one_of(_missing, not_an_object), "resource"),
    (("resource", "rev"), st.one_of(_missing, bad_numbers, st.just(0)), "rev"),
    (("resource", "workItemId"), bad_numbers, "workItemId"),
    (("resource", "revision", "id"), bad_numbers.filter(lambda v: v is not None), "id"),
]


@st.composite
def _broken_hook(draw: st.DrawFn) -> Case:
    path, values, named = draw(st.sampled_from(_HOOK_BREAKS))
    document = _put(hook(draw(st.uuids()).hex), path, draw(values))
    if path == ("resource", "revision", "id"):
        document["resource"]["workItemId"] = 0  # the sample's quirk: the id comes from here
    return Case(
        "field " + ".".join(path),
        encode(document),
        dict(JSON_TYPE),
        400,
        named,
        {"token": HOOK_TOKEN},
    )


@st.composite
def boards_cases(draw: st.DrawFn) -> Case:
    """A request to ``boards-webhook`` that the contract must refuse."""
    kind = draw(st.sampled_from(["json", "non-json", "field", "content-type", "credentials"]))
    token = {"token": HOOK_TOKEN}
    if kind == "json":
        document = draw(
            json_values.filter(
                lambda d: (
                    not (
                        isinstance(d, dict) and isinstance(d.get("id"), str) and d.get("eventType")
                    )
                )
            )
        )
        return Case("random json", json.dumps(document).encode(), dict(JSON_TYPE), 400, None, token)
    if kind == "non-json":
        return Case("non-json", draw(non_json), dict(JSON_TYPE), 400, None, token)
    if kind == "field":
        return draw(_broken_hook())
    body = encode(hook(draw(st.uuids()).hex))
    if kind == "content-type":
        headers = {"Content-Type": draw(wrong_content_types)}
        return Case("content type", body, headers, 415, None, token)
    wrong = header_text.filter(lambda s: s != HOOK_TOKEN)
    query, headers = draw(
        st.one_of(
            st.just(({}, {})),
            wrong.map(lambda t: ({"token": t}, {})),
            st.tuples(header_text, header_text)
            .filter(lambda up: f"{up[0]}:{up[1]}".partition(":") != ("boards", ":", "pw"))
            .map(lambda up: ({}, {"Authorization": basic(*up)})),
            header_text.map(lambda h: ({}, {"Authorization": h})),
            header_text.map(lambda h: ({}, {"Authorization": "Basic " + h + "!"})),
            # a wrong token is refused even when the Basic credentials are right
            wrong.map(lambda t: ({"token": t}, {"Authorization": basic("boards", "pw")})),
        )
    )
    return Case("credentials", body, {**JSON_TYPE, **headers}, 401, None, query)


# ------------------------------------------------------------------ what reached storage


@dataclass
class Spy:
    """Queue sends of one integration, seen at the state layer of the running app."""

    integration_id: str
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def mine(self) -> list[tuple[str, dict[str, Any]]]:
        return [(q, p) for q, p in self.sent if p.get("integration_id") == self.integration_id]


@contextmanager
def spy_on_queues(integration_id: str) -> Iterator[Spy]:
    """Record every message the running app enqueues (it shares this process's context)."""
    queues = bootstrap.context().state.queues
    spy = Spy(integration_id)
    original = queues.send
    shadowed = vars(queues).get("send")  # another spy's, when nested

    def send(queue_name: str, payload: dict[str, Any], **kwargs: Any) -> str:
        spy.sent.append((queue_name, payload))
        return original(queue_name, payload, **kwargs)

    queues.send = send  # type: ignore[method-assign]
    try:
        yield spy
    finally:
        if shadowed is None:
            del queues.send
        else:
            queues.send = shadowed  # type: ignore[method-assign]


def rows_of(integration_id: str) -> Counter[str]:
    """How many rows each table holds in the integration's partition."""
    rows: Counter[str] = Counter()
    for table in bootstrap.context().state.tables:
        found = table.query("PartitionKey eq @pk", {"pk": integration_id}, select=["RowKey"])
        rows[table.name] = sum(1 for _ in found)
    return rows


def writes_to_boards(requests: list[Any]) -> list[Any]:
    """Requests that change Azure Boards (WIQL is a POST that only reads)."""
    return [
        r
        for r in requests
        if r.method in ("POST", "PATCH", "PUT", "DELETE") and "/wiql" not in r.path.lower()
    ]
