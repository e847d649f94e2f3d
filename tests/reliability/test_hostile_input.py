"""Hostile input on the two public webhooks (issue 8): fuzzed bodies, headers and
signatures; forged, replayed and cross-integration credentials; oversized bodies; markup
in every vulnerability field; keys Table Storage refuses.

What is promised (PRODUCT.md §4, R4, R12): never a 5xx for bad input, always a JSON 4xx
whose message names what is wrong, nothing enqueued or stored for a refused request, and
nothing from Conviso reaching Azure DevOps as markup. Every fuzzed case is invalid *by
construction* and carries the status it must get (``hostile.py``), so the oracle is the
contract, not the code under test.
"""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_core.adapters.state.limits import check_key
from sync_core.edge import MAX_BODY_BYTES, sign_conviso
from tests.harness import EVENT_SECRET, HOOK_TOKEN, queues_empty

from .conftest import FULL, Sync, count, report, wait_until
from .hostile import (
    JSON_TYPE,
    Case,
    basic,
    boards_cases,
    cloud_event,
    conviso_cases,
    encode,
    hook,
    issue,
    rows_of,
    signed,
    spy_on_queues,
    writes_to_boards,
)

FUZZ = settings(
    max_examples=count(150, 2000),
    deadline=None,
    database=None,
    derandomize=not FULL,  # the normal suite is reproducible; the full run explores
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


def _error(answer: httpx.Response) -> dict[str, str]:
    """The contract's error shape, or an assertion naming what the answer was instead."""
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.text
    body = answer.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    return error


def _check_refusal(case: Case, answer: httpx.Response) -> None:
    assert answer.status_code < 500, (case, answer.status_code, answer.text)
    assert answer.status_code == case.expect, (case, answer.status_code, answer.text)
    error = _error(answer)
    if case.names:
        assert case.names.lower() in error["message"].lower(), (case, error)


def _fuzz(under_test: Sync, endpoint: str, cases: st.SearchStrategy[Case]) -> Counter[str]:
    """Send every drawn case; returns ``"<kind> -> <status>"`` tallies for the report."""
    url = f"/integrations/{under_test.id}/{endpoint}"
    seen: Counter[str] = Counter()

    @FUZZ
    @given(case=cases)
    def run(case: Case) -> None:
        answer = case.send(under_test.api, url)
        seen[f"{case.kind.split(' ')[0]} -> {answer.status_code}"] += 1
        _check_refusal(case, answer)

    run()
    return seen


def _nothing_happened(under_test: Sync, spy: Any, before: Counter[str]) -> None:
    assert spy.mine() == [], spy.mine()[:3]
    deliveries = under_test.deliveries()
    # Refused calls are counted: one warning per reason and hour (its marker is an event-id
    # row), never an event handled. Nothing else is written.
    refusals = [d for d in deliveries if str(d["reason"]).startswith("refused_")]
    assert all(d["level"] == "warn" for d in refusals)
    assert len({d["reason"] for d in refusals}) == len(refusals)
    after = rows_of(under_test.id)
    expected = Counter(before)
    expected.update({"syncdeliveries": len(refusals), "syncevents": len(refusals)})
    assert after == expected
    assert writes_to_boards(under_test.boards.requests) == []
    # besides those, the only delivery is the configuration's own: no event was handled
    assert [d["reason"] for d in deliveries if d not in refusals] == ["configuration"]


# ---------------------------------------------------------------------------- fuzzing


def test_fuzzed_conviso_events_get_a_json_4xx_and_change_nothing(sync: Sync) -> None:
    sync.configure()
    wait_until(queues_empty)  # earlier tests' work cannot write to Boards during this one
    sync.boards.clear_requests()
    before = rows_of(sync.id)
    with spy_on_queues(sync.id) as spy:
        seen = _fuzz(sync, "conviso-events", conviso_cases())
        _nothing_happened(sync, spy, before)
        # the spy sees what the app enqueues: a valid event after the storm is one message
        answer = sync.post_event(issue("601"))
        assert answer.status_code == 202, answer.text
        assert [q for q, _ in spy.mine()] == ["conviso-to-boards"]
    wait_until(lambda: len(sync.work_items_of("601")) == 1)
    wait_until(queues_empty)
    statuses = Counter(k.split(" -> ")[1] for k in seen.elements())
    assert not any(s.startswith("5") for s in statuses)
    report(
        "fuzz conviso-events",
        requests=sum(seen.values()),
        by_status=dict(statuses),
        by_kind=dict(seen),
        enqueued=0,
    )


def test_fuzzed_boards_hooks_get_a_json_4xx_and_change_nothing(sync: Sync) -> None:
    sync.configure()
    wait_until(queues_empty)  # earlier tests' work cannot write to Boards during this one
    sync.boards.clear_requests()
    before = rows_of(sync.id)
    with spy_on_queues(sync.id) as spy:
        seen = _fuzz(sync, "boards-webhook", boards_cases())
        _nothing_happened(sync, spy, before)
        answer = sync.api.post(
            f"/integrations/{sync.id}/boards-webhook",
            params={"token": HOOK_TOKEN},
            content=encode(hook("after-the-storm")),
            headers=JSON_TYPE,
        )
        assert answer.status_code == 202, answer.text
        assert [q for q, _ in spy.mine()] == ["boards-to-conviso"]
    wait_until(queues_empty)
    statuses = Counter(k.split(" -> ")[1] for k in seen.elements())
    assert not any(s.startswith("5") for s in statuses)
    report(
        "fuzz boards-webhook",
        requests=sum(seen.values()),
        by_status=dict(statuses),
        by_kind=dict(seen),
        enqueued=0,
    )


# ------------------------------------------------------------ forged and replayed


def _second_integration(sync: Sync) -> Sync:
    other = Sync(sync.api, sync.boards, sync.conviso, sync.host)
    other.configure(
        event_secret="another-event-secret",
        webhook={
            "token": "another-hook-token",
            "basic_username": "boards",
            "basic_password": "another-pw",
        },
    )
    return other


def test_forged_replayed_and_cross_integration_credentials_are_401(sync: Sync) -> None:
    sync.configure()
    other = _second_integration(sync)
    now = time.time()
    body = encode(cloud_event("evt-cross", issue=issue("701")))
    hook_body = encode(hook("hook-cross"))
    a_events = f"/integrations/{sync.id}/conviso-events"
    b_events = f"/integrations/{other.id}/conviso-events"
    b_hooks = f"/integrations/{other.id}/boards-webhook"
    sig = sign_conviso(EVENT_SECRET, body, int(now))
    refused = {
        # integration A's valid signature, sent to integration B
        "A's signature at B": (b_events, {}, signed(body)),
        "forged: right format, wrong key": (a_events, {}, signed(body, secret="not-the-secret")),
        "forged: signature of another body": (
            a_events,
            {},
            {
                **JSON_TYPE,
                "X-Conviso-Signature": sign_conviso(
                    EVENT_SECRET, encode(cloud_event("evt-other")), int(now)
                ),
            },
        ),
        "forged: truncated digest": (a_events, {}, {**JSON_TYPE, "X-Conviso-Signature": sig[:-2]}),
        "forged: empty digest": (
            a_events,
            {},
            {**JSON_TYPE, "X-Conviso-Signature": f"t={int(now)},v1="},
        ),
        "forged: timestamp changed, digest kept": (
            a_events,
            {},
            {**JSON_TYPE, "X-Conviso-Signature": sig.replace(f"t={int(now)}", f"t={int(now) - 1}")},
        ),
        "replayed: 310 s old": (a_events, {}, signed(body, at=now - 310)),
        "replayed: a day old": (a_events, {}, signed(body, at=now - 86_400)),
        "replayed: 310 s in the future": (a_events, {}, signed(body, at=now + 310)),
        "replayed: t=0": (a_events, {}, signed(body, at=0)),
        # integration A's hook credentials, sent to integration B
        "A's token at B": (b_hooks, {"token": HOOK_TOKEN}, JSON_TYPE),
        "A's Basic credentials at B": (
            b_hooks,
            {},
            {**JSON_TYPE, "Authorization": basic("boards", "pw")},
        ),
        "B's password with another user": (
            b_hooks,
            {},
            {**JSON_TYPE, "Authorization": basic("admin", "another-pw")},
        ),
    }
    with spy_on_queues(sync.id) as spy_a, spy_on_queues(other.id) as spy_b:
        for name, (url, query, headers) in refused.items():
            content = hook_body if url == b_hooks else body
            answer = sync.api.post(url, params=query, content=content, headers=headers)
            assert answer.status_code == 401, (name, answer.status_code, answer.text)
            assert _error(answer)["code"] == "unauthorized", name
        assert spy_a.mine() == [] and spy_b.mine() == []
        # The same requests with the right credentials go through: the refusals above
        # were about the credentials, not the bodies. 290 s old is still inside the window.
        ok = sync.api.post(a_events, content=body, headers=signed(body, at=now - 290))
        assert ok.status_code == 202, ok.text
        other_sig = signed(body, secret="another-event-secret")
        assert sync.api.post(b_events, content=body, headers=other_sig).status_code == 202
        answer = sync.api.post(
            b_hooks, params={"token": "another-hook-token"}, content=hook_body, headers=JSON_TYPE
        )
        assert answer.status_code == 202, answer.text
        # A captured request replayed inside the window is a duplicate: 2xx, no new work.
        again = sync.api.post(a_events, content=body, headers=signed(body, at=now - 290))
        assert again.status_code == 200 and again.json()["enqueued"] == 0, again.text
        assert len(spy_a.mine()) == 1 and len(spy_b.mine()) == 2
    wait_until(queues_empty)
    report("forged/replayed/cross-integration", refused_401=len(refused), accepted_controls=3)


# ------------------------------------------------------------------- oversized


def test_oversized_bodies_are_413_before_anything_else(sync: Sync) -> None:
    sync.configure()
    big = issue("801", description="A" * MAX_BODY_BYTES)
    event_body = encode(cloud_event("evt-big", issue=big))
    hook_doc = hook("hook-big")
    hook_doc["resource"]["revision"]["fields"]["System.Description"] = "B" * MAX_BODY_BYTES
    hook_body = encode(hook_doc)
    just_over = b"[" + b" " * (MAX_BODY_BYTES - 1) + b"]"
    assert len(just_over) == MAX_BODY_BYTES + 1
    events, hooks = (f"/integrations/{sync.id}/{e}" for e in ("conviso-events", "boards-webhook"))
    cases = [
        ("signed event", events, event_body, signed(event_body), {}),
        ("unsigned event", events, event_body, JSON_TYPE, {}),
        ("event, wrong content type", events, event_body, {"Content-Type": "text/plain"}, {}),
        ("event, 1 byte over", events, just_over, signed(just_over), {}),
        ("event, 8 MiB", events, b"{" * (8 * MAX_BODY_BYTES), JSON_TYPE, {}),
        ("hook with token", hooks, hook_body, JSON_TYPE, {"token": HOOK_TOKEN}),
        ("hook, no credentials", hooks, hook_body, JSON_TYPE, {}),
        ("hook, 1 byte over", hooks, just_over, JSON_TYPE, {"token": HOOK_TOKEN}),
        (
            "event at an unknown integration",
            "/integrations/nobody/conviso-events",
            event_body,
            JSON_TYPE,
            {},
        ),
    ]
    before = rows_of(sync.id)
    with spy_on_queues(sync.id) as spy:
        for name, url, content, headers, query in cases:
            answer = sync.api.post(url, content=content, headers=headers, params=query)
            assert answer.status_code == 413, (name, answer.status_code, answer.text[:200])
            assert "limit" in _error(answer)["message"], name
        assert spy.mine() == []
    assert rows_of(sync.id) == before
    report("oversized bodies", refused_413=len(cases), enqueued=0)


def test_a_hook_within_the_size_limit_but_past_the_queue_limit_never_fails(sync: Sync) -> None:
    """A hook under 1 MiB whose message would pass the queue's 64 KiB: no 5xx, one message."""
    sync.configure()
    document = hook("hook-many-fields")
    changes = document["resource"]["fields"]
    for n in range(6000):  # ~6,000 changed custom fields, ~500 KB
        changes[f"Custom.Field{n:05d}WithALongishReferenceName"] = {"newValue": n}
    body = encode(document)
    assert 64 * 1024 < len(body) < MAX_BODY_BYTES
    with spy_on_queues(sync.id) as spy:
        answer = sync.api.post(
            f"/integrations/{sync.id}/boards-webhook",
            params={"token": HOOK_TOKEN},
            content=body,
            headers=JSON_TYPE,
        )
        assert answer.status_code == 202, (answer.status_code, answer.text)
        assert len(spy.mine()) == 1
        message = spy.mine()[0][1]
    assert message["change"]["state"] == "Active"
    assert "System.State" in message["change"]["changed_fields"]


def test_an_event_too_large_to_queue_is_a_413_not_a_storage_error(sync: Sync) -> None:
    """Thousands of board-column fields (each could be the route's board) make a message
    past 64 KiB: refused as too large before the event id is marked seen, never a 503."""
    sync.configure()
    document = hook("hook-many-columns")
    for n in range(3000):
        document["resource"]["fields"][f"WEF_{n:032X}_Kanban.Column"] = {"newValue": "Doing"}
    before = rows_of(sync.id)
    with spy_on_queues(sync.id) as spy:
        answer = sync.api.post(
            f"/integrations/{sync.id}/boards-webhook",
            params={"token": HOOK_TOKEN},
            content=encode(document),
            headers=JSON_TYPE,
        )
        assert answer.status_code == 413, (answer.status_code, answer.text)
        assert "queue message" in _error(answer)["message"]
        assert spy.mine() == []
    assert rows_of(sync.id) == before  # not marked seen: a smaller retry is not a duplicate


def test_oversized_hook_strings_are_refused_naming_the_field(sync: Sync) -> None:
    sync.configure()
    document = hook("hook-long-state")
    document["resource"]["fields"]["System.State"]["newValue"] = "S" * 100_000
    with spy_on_queues(sync.id) as spy:
        answer = sync.api.post(
            f"/integrations/{sync.id}/boards-webhook",
            params={"token": HOOK_TOKEN},
            content=encode(document),
            headers=JSON_TYPE,
        )
        assert answer.status_code == 400, (answer.status_code, answer.text)
        assert "state" in _error(answer)["message"].lower()
        assert spy.mine() == []


# ------------------------------------------------------------------ markup (R4)

PAYLOADS = [
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '"><iframe src="javascript:alert(1)"></iframe>',
    "<a href='javascript:alert(1)'>click</a>",
    "</td></tr></table><form action=//evil><input name=p></form>",
    "<!-- --><style>*{display:none}</style>",
    "&lt;script&gt;already-escaped&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</script>",
    "\x00\x07<b\x0bonmouseover=alert(1)>",
]
ALLOWED_TAGS = {"table", "tr", "th", "td", "h3", "p", "br", "pre", "a"}


class _Markup(HTMLParser):
    """Every element, attribute and comment an HTML reader would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.oddities: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.oddities.append("comment " + data)

    def handle_decl(self, decl: str) -> None:
        self.oddities.append("declaration " + decl)

    def handle_pi(self, data: str) -> None:
        self.oddities.append("processing instruction " + data)

    def unknown_decl(self, data: str) -> None:
        self.oddities.append("declaration " + data)


def _assert_inert_html(text: str, portal: str) -> None:
    """Only the card's own tags; the only attribute is an ``href`` back to Conviso."""
    reader = _Markup()
    reader.feed(text)
    reader.close()
    assert reader.oddities == []
    for tag, attrs in reader.tags:
        assert tag in ALLOWED_TAGS, (tag, attrs)
        if tag == "a":
            assert [name for name, _ in attrs] == ["href"], attrs
            assert (attrs[0][1] or "").startswith(portal + "/"), attrs
        else:
            assert attrs == [], (tag, attrs)
    lowered = text.lower()
    for raw in ("<script", "<img", "<svg", "<iframe", "<style", "<form", "<!--", "<b"):
        if raw == "<b":
            assert not re.search(r"<b[^r]", lowered), text
        else:
            assert raw not in lowered, (raw, text)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), repr(text)


def _patches(requests: list[Any]) -> list[dict[str, Any]]:
    """Every JSON Patch operation the app sent to a work item."""
    ops = []
    for request in requests:
        writes = request.method in ("POST", "PATCH") and "/workitems" in request.path.lower()
        if writes and isinstance(request.body, list):
            ops += [op for op in request.body if isinstance(op, dict)]
    return ops


def test_markup_in_every_vulnerability_field_never_reaches_boards_as_markup(
    sync: Sync,
) -> None:
    sync.configure(severity_policy="all")
    portal = "https://app.example"

    text_fields = ["title", "description", "solution", "type", "category"]
    detail_sets = [
        # SAST: file and snippet; SCA: package, versions, CVE; DAST: URL, method, parameters;
        # network: address and protocol. Only one location shows per card, so one each.
        {
            "fileName": None,
            "codeSnippet": None,
            "package": None,
            "affectedVersion": None,
            "patchedVersion": None,
            "cve": None,
            "vulnerableLine": 7,
        },
        {"url": None, "method": None, "parameters": None},
        {"address": None, "protocol": None, "port": 8443},
    ]
    ids = ["901", "902", "903"]
    n = 0
    shown_in_description: list[str] = []  # markers the description must show, as text
    not_shown = {"title", "parameters", "protocol"}  # the title has its own field

    def fill(name: str) -> str:
        nonlocal n
        value = PAYLOADS[n % len(PAYLOADS)] + f" [{n}]"
        if name not in not_shown:
            shown_in_description.append(f" [{n}]")
        n += 1
        return value

    for issue_id, detail in zip(ids, detail_sets, strict=True):
        fields = {name: fill(name) for name in text_fields}
        filled = {k: v if v is not None else fill(k) for k, v in detail.items()}
        snapshot = issue(
            issue_id, **fields, detail=filled, asset={"id": "9", "name": fill("asset")}
        )
        answer = sync.post_event(snapshot)
        assert answer.status_code == 202, answer.text
    wait_until(lambda: all(len(sync.work_items_of(i)) == 1 for i in ids))
    # R10: an assessment's name and result reach the cards as history notes
    assessment = {
        "specversion": "1.0",
        "id": "evt-assessment",
        "source": "conviso-platform",
        "type": "com.convisoappsec.assessment.completed",
        "data": {
            "assessment": {"id": "31", "name": PAYLOADS[0], "result": PAYLOADS[3]},
            "issues": [issue(i, updatedAt="2026-11-28T10:30:00Z") for i in ids],
        },
    }
    body = encode(assessment)
    assert (
        sync.api.post(
            f"/integrations/{sync.id}/conviso-events", content=body, headers=signed(body)
        ).status_code
        == 202
    )

    def histories() -> list[str]:
        return [
            op["value"]
            for op in _patches(sync.boards.requests)
            if op.get("path") == "/fields/System.History"
        ]

    wait_until(lambda: len(histories()) >= len(ids))
    ops = _patches(sync.boards.requests)
    by_field: dict[str, list[Any]] = {}
    for op in ops:
        by_field.setdefault(str(op.get("path")), []).append(op.get("value"))
    descriptions = by_field["/fields/System.Description"]
    assert len(descriptions) == len(ids)
    for text in descriptions + histories():
        _assert_inert_html(text, portal)
    # every hostile value was shown (as text), not dropped: n values, all escaped
    shown = html.unescape("".join(descriptions))
    missing = [marker for marker in shown_in_description if marker not in shown]
    assert missing == []
    assert html.escape(PAYLOADS[0]) in "".join(histories())
    wait_until(queues_empty)
    # The title is a plain-text field (System.Title is a String, never rendered as HTML):
    # the text is kept readable, on one line, without control characters.
    titles = by_field["/fields/System.Title"]
    assert len(titles) == len(ids)
    for title in titles:
        assert re.fullmatch(r"\[Conviso #90[123]\] [^\x00-\x1f\x7f]+", title), repr(title)
        assert len(title) <= 255
    # links back to Conviso are Hyperlink relations to the portal, never another scheme
    urls = [
        rel.get("url", "")
        for op in ops
        if op.get("path") == "/relations/-"
        for rel in [op.get("value") or {}]
    ]
    assert urls and all(u.startswith(portal + "/") for u in urls), urls
    report(
        "markup in vulnerability fields",
        fields=n,
        cards=len(ids),
        descriptions=len(descriptions),
        history_notes=len(histories()),
        raw_markup=0,
    )


# ----------------------------------------------------------------- keys (Table Storage)

BAD_INTEGRATION_IDS = [
    "a%2Fb",
    "a%5Cb",
    "a%23b",
    "a%3Fb",
    "a%00b",
    "a%0Ab",
    "a%7Fb",
    "a%C2%85b",
    "%C3%A4",
    "-lead",
    "_lead",
    "%2E%2E",
    "a%20b",
    "x" * 65,
    "x" * 5000,
    "%F0%9F%92%A5",
]
KEY_TRAPS = [
    "a/b",
    "a\\b",
    "a#b",
    "a?b",
    "tab\there",
    "nul\x00",
    "bell\x07",
    "del\x7f",
    "c1\x85",
    "%2F",
    "|",
    "~sha256~x",
    "ü-ñ-日本",
    "\u2028",
]


def test_hostile_integration_ids_in_the_url_are_a_clean_4xx(sync: Sync) -> None:
    seen: Counter[int] = Counter()
    for raw in BAD_INTEGRATION_IDS:
        for endpoint in ("conviso-events", "boards-webhook"):
            # the raw, already percent-encoded path goes on the wire as it is
            url = f"{str(sync.api.base_url).rstrip('/')}/integrations/{raw}/{endpoint}"
            body = encode(hook() if endpoint == "boards-webhook" else cloud_event())
            answer = sync.api.post(
                httpx.URL(url), content=body, headers=signed(body), params={"token": HOOK_TOKEN}
            )
            seen[answer.status_code] += 1
            # 400 from the app; 404 when no route matches (an encoded '/' splits the path);
            # the dev host's router (werkzeug) answers some encodings ('\\', '#') with a 308
            # to their canonical form before any function runs. Azure's host routes by
            # itself: the test below hands such ids to the functions directly.
            assert answer.status_code in (400, 404, 308), (raw, endpoint, answer.text)
            _error(answer)
    report("hostile integration ids", requests=sum(seen.values()), by_status=dict(seen))


@pytest.mark.parametrize("function_name", ["conviso_events", "boards_webhook"])
def test_hostile_integration_ids_reaching_the_function_are_a_400_naming_it(
    app_host: Any, function_name: str
) -> None:
    """Whatever id a host routes to the function, it is checked before any storage call."""
    import azure.functions as func

    from localdev.devhost.host import functions_of

    function = next(f for f in functions_of(app_host.app) if f.get_function_name() == function_name)
    handler = function.get_user_function()
    for raw in [*KEY_TRAPS, "", "x" * 65, "x" * 100_000, "-lead", "a b", "..", "a.b"]:
        body = encode(hook() if function_name == "boards_webhook" else cloud_event())
        request = func.HttpRequest(
            "POST",
            "http://127.0.0.1/api/x",
            headers=signed(body),
            params={"token": HOOK_TOKEN},
            route_params={"id": raw},
            body=body,
        )
        answer = handler(request)
        assert answer.status_code == 400, (repr(raw), answer.get_body()[:200])
        error = json.loads(answer.get_body())["error"]
        assert "integration id" in error["message"], error


def test_ids_with_key_traps_are_refused_or_stored_encoded_never_half_written(
    sync: Sync,
) -> None:
    sync.configure()
    events = f"/integrations/{sync.id}/conviso-events"
    event_table = next(t for t in sync_tables() if t.name.endswith("events"))
    accepted: list[str] = []
    refused = 0
    with spy_on_queues(sync.id) as spy:
        # event ids are opaque: any text up to 256 characters is accepted and stored encoded
        for n, trap in enumerate([*KEY_TRAPS, "e" * 256, "é" * 256]):
            event_id = trap if len(trap) >= 200 else f"{trap}-{n}"
            body = encode(cloud_event(event_id, issue=issue("950")))
            first = sync.api.post(events, content=body, headers=signed(body))
            assert first.status_code == 202, (repr(trap), first.text)
            again = sync.api.post(events, content=body, headers=signed(body))
            assert again.status_code == 200, (repr(trap), again.text)  # found again by its key
            accepted.append(event_id)
        # ids that name things elsewhere (vulnerability, asset) must be plain: a 400 naming
        # them, before anything is stored or sent
        traps = [*KEY_TRAPS, "1; conviso-vuln-2", "1,2", "9" * 65, "x" * 10_000, " 1", "1 "]
        for trap in traps:
            for name, snapshot in (
                ("id", issue(trap)),
                ("id", {"id": trap}),  # an id-only event: fetched from Conviso later
                ("asset", issue("951", asset={"id": trap, "name": "a"})),
            ):
                body = encode(cloud_event(uuid.uuid4().hex, issue=snapshot))
                answer = sync.api.post(events, content=body, headers=signed(body))
                assert answer.status_code == 400, (repr(trap), snapshot, answer.text)
                assert name in _error(answer)["message"], answer.text
                refused += 1
        # a hook's event id is opaque too; its key is the work item and revision
        for n, trap in enumerate(KEY_TRAPS):
            answer = sync.api.post(
                f"/integrations/{sync.id}/boards-webhook",
                params={"token": HOOK_TOKEN},
                content=encode(hook(trap, work_item_id=100 + n)),
                headers=JSON_TYPE,
            )
            assert answer.status_code == 202, (repr(trap), answer.text)
            accepted.append(f"{100 + n}:2")  # de-duplicated by work item and revision
        # (a worker may send a message again, delayed, while another holds the card's claim)
        enqueued = {payload["event_id"] for _, payload in spy.mine()}
    # every id went through the queue unchanged (a hook's message keeps its own event id)
    assert enqueued == {*accepted[: -len(KEY_TRAPS)], *KEY_TRAPS}
    rows = list(event_table.query("PartitionKey eq @pk", {"pk": sync.id}))
    assert len(rows) == len(accepted)  # one row per accepted event, none for a refused one
    for row in rows:
        check_key(row["RowKey"])
    assert {row["event_id"] for row in rows} == set(accepted)
    wait_until(queues_empty)
    assert len(sync.work_items_of("950")) == 1
    report("key traps", accepted_202=len(accepted), refused_400=refused, event_rows=len(rows))


def sync_tables() -> tuple[Any, ...]:
    from sync_core import bootstrap

    return bootstrap.context().state.tables


@pytest.mark.parametrize("endpoint", ["conviso-events", "boards-webhook"])
def test_unknown_integration_is_404_without_revealing_more(sync: Sync, endpoint: str) -> None:
    body = encode(hook() if endpoint == "boards-webhook" else cloud_event())
    answer = sync.api.post(
        f"/integrations/no-such-{uuid.uuid4().hex[:8]}/{endpoint}",
        content=body,
        headers=signed(body),
        params={"token": HOOK_TOKEN},
    )
    assert answer.status_code == 404
    assert _error(answer)["code"] == "not_found"
    assert json.dumps(answer.json()).count(EVENT_SECRET) == 0
