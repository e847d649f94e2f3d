"""The Azure DevOps client and emulator against the official 7.1 specs and samples.

- every request the client sends is an operation of the spec (method, path template,
  api-version, required parameters), and every JSON Patch is an array of valid operations;
- every answer the emulator gives carries the keys of the official httpExamples answer;
- the emulator's service-hook payload has every key of the official sample, and the
  official sample parses with the project's payload model.
Path parameters marked ``x-ms-required: false`` (project, team) may be left out, as the
spec allows. ``_apis/connectionData`` is in no spec (see research §5); it is the one
exception and is listed as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from localdev.boards_emulator import BoardsEmulator, RecordedRequest
from localdev.wsgi_server import ServerThread
from sync_core.adapters.azure_devops import (
    AzureDevOpsClient,
    PatAuth,
    RetryPolicy,
    WorkItemUpdatedEvent,
)

pytestmark = pytest.mark.contract

SPEC_FILES = (
    "core/7.1/core.json",
    "wit/7.1/workItemTracking.json",
    "work/7.1/work.json",
    "hooks/7.1/serviceHooks.json",
)
UNSPECIFIED = {("GET", "/{organization}/_apis/connectionData")}
PATCH_OPS = {"add", "remove", "replace", "move", "copy", "test"}


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    required_query: set[str]
    body_required: bool
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _examples_by_path(root: Path) -> dict[str, Path]:
    """Example $refs differ in case from the folders (``Subscriptions`` vs ``subscriptions``)."""
    return {str(p.relative_to(root)).lower(): p for p in root.rglob("*.json")}


def _pattern(template: str, optional: set[str]) -> re.Pattern[str]:
    regex = ""
    for segment in template.strip("/").split("/"):
        name = segment[2:-1] if segment.startswith("${") else segment.strip("{}")
        if segment.startswith("${"):
            part = r"/\$[^/]+"
        elif segment.startswith("{"):
            part = r"/[^/]+"
        else:
            part = "/" + re.escape(segment)
        regex += f"(?:{part})?" if segment.startswith("{") and name in optional else part
    return re.compile(regex + "/?", re.IGNORECASE)


def _operations(specs: Path) -> list[Operation]:
    found: list[Operation] = []
    for relative in SPEC_FILES:
        spec_path = specs / "azure-devops" / relative
        spec, folder = _load(spec_path), spec_path.parent
        examples = _examples_by_path(folder)
        shared = spec.get("parameters", {})
        for template, methods in spec["paths"].items():
            for method, op in methods.items():
                params = [
                    shared[p["$ref"].split("/")[-1]] if "$ref" in p else p
                    for p in op.get("parameters", [])
                ]
                optional = {
                    p["name"]
                    for p in params
                    if p.get("in") == "path" and p.get("x-ms-required") is False
                }
                operation = Operation(
                    method.upper(), template, _pattern(template, optional),
                    {p["name"] for p in params if p.get("in") == "query" and p.get("required")},
                    any(p.get("in") == "body" and p.get("required") for p in params),
                )  # fmt: skip
                for ref in (op.get("x-ms-examples") or {}).values():
                    path = examples.get(ref["$ref"].removeprefix("./").lower())
                    if path is not None:
                        operation.examples.append(_load(path))
                found.append(operation)
    return found


def _match(operations: list[Operation], request: RecordedRequest) -> list[Operation]:
    return [
        o for o in operations if o.method == request.method and o.pattern.fullmatch(request.path)
    ]


def _best(matches: list[Operation]) -> Operation:
    """The most specific template: most literal segments."""
    return max(
        matches, key=lambda o: sum(not s.startswith(("{", "$")) for s in o.template.split("/"))
    )


# ---------------------------------------------------------------- the tour


@pytest.fixture(scope="module")
def tour(
    specs_dir: Path,
) -> Iterator[tuple[list[Operation], BoardsEmulator, list[RecordedRequest], dict]]:
    """Every client operation, and the emulator's other operations, once each."""
    operations = _operations(specs_dir)
    payloads: list[Any] = []

    def sink(environ: dict[str, Any], start_response: Any) -> Any:
        payloads.append(
            json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        )
        start_response("204 No Content", [])
        return [b""]

    with BoardsEmulator(hook_retry_delays=(0.01,)) as boards, ServerThread(sink) as receiver:
        client = AzureDevOpsClient(
            organization=boards.organization, auth=PatAuth(boards.pat), base_url=boards.url,
            retry=RetryPolicy(base_delay=0.001, max_delay=0.01),
        )  # fmt: skip
        with client:
            client.check_connection()
            projects = client.list_projects()
            fabrikam = next(p for p in projects if p.name == "Fabrikam")
            client.list_teams("Fabrikam")
            client.list_boards("Fabrikam", "Fabrikam Team")
            layout = client.board_layout("Fabrikam", "Fabrikam Team", "Issues", "Bug")
            client.board_columns("Fabrikam", "Fabrikam Team", "Issues")
            client.board_rows("Fabrikam", "Fabrikam Team", "Issues")
            client.work_item_types("Fabrikam")
            client.create_subscription(
                project_id=fabrikam.id, url=receiver.url + "/hook",
                changed_fields="System.State", basic_username="u", basic_password="p",
            )  # fmt: skip
            item = client.create_work_item(
                "Fabrikam", "Bug", {"System.Title": "t", layout.column_field: "New"},
                tags=["conviso", "conviso-vuln-1"], hyperlink="https://app.example/1", history="h",
            )  # fmt: skip
            item = client.update_work_item(
                item.id, expected_rev=item.rev, fields={layout.column_field: "Testing"}
            )
            client.update_work_item(
                item.id, expected_rev=item.rev, fields={"System.Title": "t2"}, project="Fabrikam"
            )
            client.add_history_note(item.id, "note")
            client.get_work_item(item.id)
            client.get_work_items([item.id])
            client.find_work_items_by_tag("Fabrikam", "conviso-vuln-1")
            subscription_id = client.list_subscriptions()[0].id
            boards.move_card(item.id, state="Active", by="Jamal Hartnett")
            client_requests = boards.requests
        headers = {"Authorization": boards.basic_auth_header()}
        org = boards.organization_url
        others = {
            "/_apis/projects/Fabrikam": {},
            "/Fabrikam/_apis/wit/workitemtypes/Bug": {},
            "/_apis/wit/workitems": {"ids": str(item.id)},
            f"/_apis/hooks/subscriptions/{subscription_id}": {},
        }
        for path, params in others.items():
            answer = httpx.get(org + path, params={"api-version": "7.1", **params}, headers=headers)
            assert answer.status_code == 200, path
        assert boards.wait_for_deliveries()
        yield operations, boards, client_requests, {"payloads": payloads, "all": boards.requests}


def test_every_client_request_is_an_operation_of_the_official_spec(tour) -> None:
    operations, _, requests, _ = tour
    used: set[str] = set()
    for request in requests:
        matches = _match(operations, request)
        if not matches:
            unspecified = (
                request.method,
                request.path.replace("/fabrikam/", "/{organization}/", 1),
            )
            assert unspecified in UNSPECIFIED, f"{request.method} {request.path} is in no spec"
            continue
        operation = _best(matches)
        used.add(operation.key)
        missing = operation.required_query - set(request.query)
        assert not missing, f"{operation.key}: missing {missing}"
        assert request.query.get("api-version") == "7.1", operation.key
        if operation.body_required:
            assert request.body is not None, f"{operation.key} needs a body"
    print(f"\nclient requests: {len(requests)}, spec operations used: {len(used)}")
    assert len(used) >= 15


def test_every_json_patch_the_client_sends_is_an_array_of_valid_operations(tour) -> None:
    _, _, requests, _ = tour
    patches = [r for r in requests if "json-patch" in r.headers.get("Content-Type", "")]
    assert len(patches) >= 4
    for request in patches:
        assert isinstance(request.body, list) and request.body
        for op in request.body:
            assert op["op"] in PATCH_OPS and op["path"].startswith("/")
            if op["op"] in {"add", "replace", "test"}:
                assert "value" in op
    updates = [r.body for r in patches if r.method == "PATCH" and r.body[0]["op"] == "test"]
    assert all(u[0]["path"] == "/rev" for u in updates) and len(updates) == 2


def _required_keys(examples: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """Keys every example answer has, and (for lists) keys its items have."""
    tops, items = [], []
    for example in examples:
        body = example.get("responses", {}).get("200", {}).get("body")
        if not isinstance(body, dict):
            continue
        tops.append(set(body))
        if isinstance(body.get("value"), list):
            items.append(set().union(*(set(v) for v in body["value"] if isinstance(v, dict))))
    top = set.intersection(*tops) if tops else set()
    item = set.intersection(*items) if items else set()
    return top, item


def test_every_emulator_answer_carries_the_keys_of_the_official_example(tour) -> None:
    operations, _, _, extra = tour
    covered: dict[str, int] = {}
    for request in extra["all"]:
        matches = _match(operations, request)
        if not matches or request.status != 200 or not isinstance(request.response, dict):
            continue
        operation = _best(matches)
        if not operation.examples:
            continue
        top, item = _required_keys(operation.examples)
        answer = request.response
        assert top <= set(answer), f"{operation.key}: missing {top - set(answer)}"
        if item:
            keys = set().union(*(set(v) for v in answer.get("value", []) if isinstance(v, dict)))
            assert item <= keys, f"{operation.key} items: missing {item - keys}"
        covered[operation.key] = len(operation.examples)
    print(
        f"\noperations checked against examples: {len(covered)}, examples: {sum(covered.values())}"
    )
    for key in sorted(covered):
        print(f"  {key} ({covered[key]})")
    assert len(covered) >= 10


def _keys(value: Any, prefix: str = "") -> set[str]:
    """Key paths of a payload, not descending into field maps (their keys are field names)."""
    if not isinstance(value, dict):
        return set()
    found = set()
    for key, child in value.items():
        path = f"{prefix}.{key}" if prefix else key
        found.add(path)
        if key != "fields":
            found |= _keys(child, path)
    return found


def test_the_emulators_hook_payload_has_every_key_of_the_official_sample(
    tour, specs_dir: Path
) -> None:
    _, _, _, extra = tour
    sample = _load(specs_dir / "azure-devops" / "service-hook-samples" / "workitem.updated.json")
    payload = extra["payloads"][-1]  # the person's move; the app's own move fired first
    missing = _keys(sample) - _keys(payload)
    assert not missing, f"missing in the emulator's payload: {sorted(missing)}"
    for change in payload["resource"]["fields"].values():
        assert set(change) <= {"oldValue", "newValue"} and "newValue" in change


def test_the_official_sample_parses_and_gives_the_rules_board_change(specs_dir: Path) -> None:
    sample = _load(specs_dir / "azure-devops" / "service-hook-samples" / "workitem.updated.json")
    event = WorkItemUpdatedEvent.model_validate(sample)
    column_field = "WEF_EB329F44FE5F4A94ACB1DA153FDF38BA_Kanban.Column"
    change = event.board_change(column_field=column_field)
    assert change.event_id == "27646e0e-b520-4d2b-9411-bba7524947cd"
    assert change.work_item_id == 5  # workItemId is 0 in the sample: revision.id is used
    assert change.state == "Approved"  # the change's newValue beats the stale revision
    assert change.column == "New"
    assert change.rev == 2
    assert "System.State" in change.changed_fields
    assert change.revised_by_id is None and change.revised_by_name == "Jamal Hartnett"


def test_the_emulators_own_payload_parses_with_the_same_model(tour) -> None:
    _, boards, _, extra = tour
    echo, move = (WorkItemUpdatedEvent.model_validate(p).board_change() for p in extra["payloads"])
    assert echo.state == "Resolved" and echo.revised_by_id == boards.service_identity_id
    assert move.state == "Active" and move.revised_by_name == "Jamal Hartnett"
    assert move.revised_by_id != boards.service_identity_id
