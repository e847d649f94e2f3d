"""The emulator's WSGI app: Azure DevOps paths, auth, api-version, faults, recording.

Paths match case-insensitively, as Azure DevOps' do; project and team may be names or
ids; a project segment the spec marks optional (work items, batch) may be left out.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from werkzeug.wrappers import Request, Response

from . import resources as r
from .faults import FaultPlan, RecordedRequest, Recorder
from .hooks import HookDispatcher, Subscriptions
from .ratelimit import RESOURCE, RateLimiter
from .wiql import run_wiql
from .work_items import WorkItemStore, now_iso
from .world import ApiError, Person, World

__all__ = ["AuthFailure", "BoardsApp"]

AuthFailure = Literal["signin_203", "unauthorized_401", "redirect_302"]
MAX_BATCH = 200
_API_VERSION = re.compile(r"^\d+\.\d+(-preview(\.\d+)?)?$")
_SEG = r"(?!_apis(?:/|$))[^/]+"
_SIGN_IN_PAGE = (
    "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head>"
    "<body><p>Sign in to continue to Azure DevOps.</p></body></html>"
)

Handler = Callable[["Call"], tuple[int, Any]]
#: The page size of the project and team lists when ``$top`` is not given (sources at the
#: handlers).
DEFAULT_PAGE = 100


@dataclass
class Paged:
    """A body with response headers of its own (the next page's continuation token)."""

    body: Any
    headers: dict[str, str]


@dataclass
class Call:
    request: Request
    args: dict[str, str]
    who: Person
    body: Any


class BoardsApp:
    """Serves one organization; every handler runs under one lock, like one database."""

    def __init__(
        self,
        *,
        world: World,
        store: WorkItemStore,
        subscriptions: Subscriptions,
        hooks: HookDispatcher,
        faults: FaultPlan,
        recorder: Recorder,
        lock: Any,
        org_url: Callable[[], str],
    ) -> None:
        self.world = world
        self.store = store
        self.subscriptions = subscriptions
        self.hooks = hooks
        self.faults = faults
        self.recorder = recorder
        self.lock = lock
        self.org_url = org_url
        self.bearer_tokens: set[str] = set()
        self.auth_failure: AuthFailure = "signin_203"
        #: Azure DevOps' consumption limit (``ratelimit.py``); None: unthrottled (default)
        self.limiter: RateLimiter | None = None
        self.sleep: Callable[[float], None] = time.sleep
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(p, re.IGNORECASE), h) for m, p, h in self._table()
        ]

    def _table(self) -> list[tuple[str, str, Handler]]:
        team_settings = rf"/(?P<project>{_SEG})/(?P<team>{_SEG})/_apis/work/teamsettings"
        nodes = rf"/(?P<project>{_SEG})/_apis/wit/classificationnodes"
        boards = rf"/(?P<project>{_SEG})/(?P<team>{_SEG})/_apis/work/boards"
        types = rf"/(?P<project>{_SEG})/_apis/wit/workitemtypes"
        optional_project = rf"(?:/(?P<project>{_SEG}))?"
        return [
            ("GET", r"/_apis/connectiondata", self.connection_data),
            ("GET", r"/_apis/projects", self.list_projects),
            ("GET", r"/_apis/projects/(?P<project>[^/]+)", self.get_project),
            ("GET", r"/_apis/projects/(?P<project>[^/]+)/teams", self.list_teams),
            ("GET", team_settings + "/teamfieldvalues", self.team_field_values),
            ("GET", nodes, self.list_node_roots),
            ("GET", nodes + r"/(?P<group>[^/]+)(?P<path>/.+)?", self.get_node),
            ("GET", boards, self.list_boards),
            ("GET", boards + r"/(?P<board>[^/]+)", self.get_board),
            ("GET", boards + r"/(?P<board>[^/]+)/columns", self.list_columns),
            ("GET", boards + r"/(?P<board>[^/]+)/rows", self.list_rows),
            ("GET", types, self.list_types),
            ("GET", types + r"/(?P<type>[^/]+)", self.get_type),
            ("GET", types + r"/(?P<type>[^/]+)/states", self.list_states),
            ("GET", types + r"/(?P<type>[^/]+)/fields", self.list_type_fields),
            ("POST", rf"/(?P<project>{_SEG})/_apis/wit/workitems/\$(?P<type>[^/]+)", self.create),
            ("GET", optional_project + r"/_apis/wit/workitems/(?P<id>\d+)", self.get_item),
            ("PATCH", optional_project + r"/_apis/wit/workitems/(?P<id>\d+)", self.update),
            ("DELETE", optional_project + r"/_apis/wit/workitems/(?P<id>\d+)", self.delete),
            ("GET", optional_project + r"/_apis/wit/workitems", self.list_items),
            ("POST", optional_project + r"/_apis/wit/workitemsbatch", self.batch),
            ("POST", rf"/(?P<project>{_SEG})(?:/(?P<team>{_SEG}))?/_apis/wit/wiql", self.wiql),
            ("GET", r"/_apis/hooks/subscriptions", self.list_subscriptions),
            ("POST", r"/_apis/hooks/subscriptions", self.create_subscription),
            ("GET", r"/_apis/hooks/subscriptions/(?P<id>[^/]+)", self.get_subscription),
            ("DELETE", r"/_apis/hooks/subscriptions/(?P<id>[^/]+)", self.delete_subscription),
        ]

    # ------------------------------------------------------------------- WSGI

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data()
        entry = self.recorder.record(
            request.method,
            request.path,
            dict(request.args.items()),
            dict(request.headers.items()),
            raw,
        )
        response = self._respond(request, raw, entry)
        entry.status = response.status_code
        if response.mimetype == "application/json":
            entry.response = json.loads(response.get_data() or b"null")
        return response(environ, start_response)

    def _respond(self, request: Request, raw: bytes, entry: RecordedRequest) -> Response:
        extra_headers: dict[str, str] = {}
        for fault in self.faults.take(request.method, request.path):
            if fault.kind == "latency":
                time.sleep(fault.delay)
            elif fault.kind == "drop":
                _drop(request)
                return Response(b"", status=500)
            elif fault.kind == "status":
                error = ApiError(fault.status, _fault_message(fault.status), "EmulatedFault")
                return _error(error, fault.headers)
            else:
                extra_headers.update(fault.headers)
        who = self._authenticate(request)
        if isinstance(who, Response):
            return who
        limiter = self.limiter
        if limiter is not None:
            verdict = limiter.admit(who.id, request.method)
            entry.throttle_delay = verdict.delay
            if verdict.refused:
                error = ApiError(429, _fault_message(429), "RequestBlockedException")
                return _error(error, {**extra_headers, **verdict.headers})
            if verdict.delay > 0:  # held as the service holds it, outside the world's lock
                self.sleep(verdict.delay)
            extra_headers.update(verdict.headers)
        try:
            status, body = self._dispatch(request, raw, who)
        except ApiError as error:
            return _error(error, extra_headers)
        if status == 204:
            return Response(status=204, headers=extra_headers)
        if isinstance(body, Paged):
            return _json(status, body.body, {**extra_headers, **body.headers})
        return _json(status, body, extra_headers)

    def _authenticate(self, request: Request) -> Person | Response:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                _, _, password = base64.b64decode(credentials).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                password = ""
            if password and password == self.world.pat:
                return self.world.service_identity
        if scheme.lower() == "bearer" and credentials in self.bearer_tokens:
            return self.world.service_identity
        return self._auth_failure()

    def _auth_failure(self) -> Response:
        if self.auth_failure == "redirect_302":
            return Response(status=302, headers={"Location": "https://login.example/_signin"})
        status = 401 if self.auth_failure == "unauthorized_401" else 203
        return Response(_SIGN_IN_PAGE, status=status, mimetype="text/html")

    def _dispatch(self, request: Request, raw: bytes, who: Person) -> tuple[int, Any]:
        org, _, rest = request.path.lstrip("/").partition("/")
        if org.lower() != self.world.organization.lower():
            raise ApiError(404, f"The organization '{org}' does not exist.", "OrganizationNotFound")
        rest = "/" + rest.rstrip("/")
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(rest)
            if not match:
                continue
            allowed = True
            if method != request.method:
                continue
            _check_api_version(request, handler == self.connection_data)
            args = {k: v for k, v in match.groupdict().items() if v is not None}
            with self.lock:
                return handler(Call(request, args, who, _parse_body(request, raw)))
        if allowed:
            raise ApiError(405, f"{request.method} is not allowed here.", "MethodNotAllowed")
        raise ApiError(404, f"The emulator has no resource at {request.path}.", "RouteNotFound")

    # --------------------------------------------------------------- discovery

    def connection_data(self, call: Call) -> tuple[int, Any]:
        return 200, r.connection_data_json(self.world, call.who)

    def list_projects(self, call: Call) -> tuple[int, Any]:
        """100 projects a page unless ``$top`` says otherwise; while more remain, the answer's
        ``x-ms-continuationtoken`` header names the next page, sent back as
        ``continuationToken`` (core 7.1 ``Projects_List``: an integer, "how many projects
        already been fetched"; MicrosoftDocs/vsts-rest-api-specs#275: the default of 100;
        cribeiro84/azure-devops-pull-request-hub#81: the first 100, then the header)."""
        top = _count_param(call, "$top", DEFAULT_PAGE, minimum=1)
        start = _count_param(call, "continuationToken", 0) + _count_param(call, "$skip", 0)
        projects = self.world.projects
        page = projects[start : start + top]
        after = start + len(page)
        headers = {"x-ms-continuationtoken": str(after)} if after < len(projects) else {}
        values = [r.project_json(self.org_url(), p) for p in page]
        return 200, Paged(r.listing(values), headers)

    def get_project(self, call: Call) -> tuple[int, Any]:
        return 200, r.project_json(self.org_url(), self.world.project(call.args["project"]))

    def list_teams(self, call: Call) -> tuple[int, Any]:
        """``$top`` (default 100) and ``$skip``; no continuation header (core 7.1
        ``Teams_Get Teams``; Azure/azure-sdk-tools PR #181 "returns 100 teams by default";
        microsoft/azure-boards-estimate#377)."""
        project = self.world.project(call.args["project"])
        top = _count_param(call, "$top", DEFAULT_PAGE, minimum=1)
        skip = _count_param(call, "$skip", 0)
        teams = project.teams[skip : skip + top]
        return 200, r.listing([r.team_json(self.org_url(), project, t) for t in teams])

    def team_field_values(self, call: Call) -> tuple[int, Any]:
        """The team's areas (work 7.1 ``TeamFieldValues_Get``)."""
        project = self.world.project(call.args["project"])
        team = project.team(call.args["team"])
        return 200, r.team_field_values_json(self.org_url(), project, team)

    def list_node_roots(self, call: Call) -> tuple[int, Any]:
        """Both roots, areas then iterations (MicrosoftDocs/vsts-rest-api-specs#437)."""
        project = self.world.project(call.args["project"])
        depth = _count_param(call, "$depth", 0)
        roots = [project.tree("Areas"), project.tree("Iterations")]
        nodes = [r.classification_node_json(self.org_url(), project, n, depth) for n in roots]
        return 200, r.listing(nodes)

    def get_node(self, call: Call) -> tuple[int, Any]:
        """One area or iteration by its path below the root (wit 7.1 ``Classification
        Nodes_Get Classification Node``). An unknown path is a 404
        ``WorkItemTrackingTreeNodeNotFoundException`` (mapped to 404 in Azure DevOps Server
        2022's WorkItemTrackingApiController, mjwrona/decompiled), "VS402485: The
        Area/Iteration name is not recognized" (microsoft/terraform-provider-azuredevops'
        classification node data sources; OpsHub OM4ADO release notes quote it with the
        path after a colon)."""
        project = self.world.project(call.args["project"])
        tree = project.tree(call.args["group"])
        raw = call.args.get("path", "")  # "/Security/Pentest", decoded; "" for the root
        parts = tuple(raw[1:].split("/")) if raw else ()
        node = tree.find(parts) if all(parts) else None
        if node is None:
            raise ApiError(
                404,
                "VS402485: The Area/Iteration name is not recognized: "
                + "\\".join((project.name, *parts)),
                "WorkItemTrackingTreeNodeNotFoundException",
                type_name=(
                    "Microsoft.TeamFoundation.WorkItemTracking.Server.Metadata."
                    "WorkItemTrackingTreeNodeNotFoundException, "
                    "Microsoft.TeamFoundation.WorkItemTracking.Server"
                ),
            )
        depth = _count_param(call, "$depth", 0)
        return 200, r.classification_node_json(self.org_url(), project, node, depth)

    def _board(self, call: Call) -> tuple[Any, Any, Any]:
        project = self.world.project(call.args["project"])
        team = project.team(call.args["team"])
        return project, team, team.board(call.args["board"])

    def list_boards(self, call: Call) -> tuple[int, Any]:
        project = self.world.project(call.args["project"])
        team = project.team(call.args["team"])
        refs = [r.board_ref_json(self.org_url(), project, team, b) for b in team.boards]
        return 200, r.listing(refs)

    def get_board(self, call: Call) -> tuple[int, Any]:
        return 200, r.board_json(self.org_url(), *self._board(call))

    def list_columns(self, call: Call) -> tuple[int, Any]:
        board = self._board(call)[2]
        return 200, r.listing([r.column_json(c) for c in board.columns])

    def list_rows(self, call: Call) -> tuple[int, Any]:
        board = self._board(call)[2]
        return 200, r.listing([r.row_json(row) for row in board.rows])

    def list_types(self, call: Call) -> tuple[int, Any]:
        project = self.world.project(call.args["project"])
        types = [r.work_item_type_json(self.org_url(), project, t) for t in project.types.values()]
        return 200, r.listing(types)

    def get_type(self, call: Call) -> tuple[int, Any]:
        project = self.world.project(call.args["project"])
        process_type = project.work_item_type(call.args["type"])
        return 200, r.work_item_type_json(self.org_url(), project, process_type)

    def list_states(self, call: Call) -> tuple[int, Any]:
        project = self.world.project(call.args["project"])
        process_type = project.work_item_type(call.args["type"])
        return 200, r.listing([r.state_json(s) for s in process_type.states])

    def list_type_fields(self, call: Call) -> tuple[int, Any]:
        """``workitemtypes/{type}/fields`` (wit 7.1 ``Work Item Types Field - List``):
        ``$expand=allowedValues`` (or ``all``) adds allowedValues and defaultValue."""
        project = self.world.project(call.args["project"])
        process_type = project.work_item_type(call.args["type"])
        expand = str(call.request.args.get("$expand") or "none").lower()
        if expand not in {"none", "allowedvalues", "dependentfields", "all"}:
            raise ApiError(
                400,
                f"The value '{call.request.args.get('$expand')}' is not valid for $expand.",
                "InvalidArgumentValueException",
            )
        values = [
            r.type_field_json(self.org_url(), spec, expand=expand in {"allowedvalues", "all"})
            for spec in process_type.fields.values()
        ]
        return 200, r.listing(values)

    # -------------------------------------------------------------- work items

    def create(self, call: Call) -> tuple[int, Any]:
        _require_patch_content_type(call.request)
        project = self.world.project(call.args["project"])
        change = self.store.create(
            project,
            call.args["type"],
            call.body,
            call.who,
            validate_only=_flag(call, "validateOnly"),
        )
        if not _flag(call, "validateOnly"):
            self.hooks.publish(change)
        return 200, r.work_item_json(self.org_url(), change.item)

    def update(self, call: Call) -> tuple[int, Any]:
        _require_patch_content_type(call.request)
        self._project_if_named(call)
        validate_only = _flag(call, "validateOnly")
        change = self.store.update(
            int(call.args["id"]), call.body, call.who, validate_only=validate_only
        )
        if not validate_only:
            self.hooks.publish(change)
        return 200, r.work_item_json(self.org_url(), change.item)

    def get_item(self, call: Call) -> tuple[int, Any]:
        self._project_if_named(call)
        item = self.store.get(int(call.args["id"]))
        expand = call.request.args.get("$expand", "none").lower()
        fields = _csv(call.request.args.get("fields"))
        if fields and expand not in ("", "none"):
            raise ApiError(
                400,
                "The expand parameter can not be used with the fields parameter.",
                "ConflictingParametersException",
            )
        return 200, r.work_item_json(
            self.org_url(), item, relations=expand in ("relations", "all"), fields=fields
        )

    def delete(self, call: Call) -> tuple[int, Any]:
        self._project_if_named(call)
        item = self.store.delete(int(call.args["id"]))
        return 200, {"id": item.id, "project": item.project.name, "type": item.type_name,
                     "name": item.fields.get("System.Title"),
                     "url": f"{self.org_url()}/_apis/wit/recycleBin/{item.id}"}  # fmt: skip

    def list_items(self, call: Call) -> tuple[int, Any]:
        self._project_if_named(call)
        ids = [int(i) for i in _csv(call.request.args.get("ids")) or [] if i.isdigit()]
        if not ids:
            raise ApiError(400, "The ids parameter is required.", "ArgumentNullException")
        policy = call.request.args.get("errorPolicy", "fail")
        expand = call.request.args.get("$expand", "none").lower()
        return 200, self._items(ids, policy, expand, _csv(call.request.args.get("fields")))

    def batch(self, call: Call) -> tuple[int, Any]:
        self._project_if_named(call)
        body = call.body if isinstance(call.body, dict) else {}
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            raise ApiError(400, "The ids of the batch are required.", "ArgumentNullException")
        expand = str(body.get("$expand") or "none").lower()
        return 200, self._items(
            ids, str(body.get("errorPolicy") or "fail"), expand, body.get("fields")
        )

    def _items(self, ids: list[Any], policy: str, expand: str, fields: list[str] | None) -> Any:
        if len(ids) > MAX_BATCH:
            raise ApiError(
                400,
                f"VS403474: You requested {len(ids)} work items which exceeds the limit "
                f"of {MAX_BATCH}",
                "WorkItemsLimitExceededException",
            )
        values: list[Any] = []
        for work_item_id in ids:
            try:
                item = self.store.get(int(work_item_id))
            except ApiError:
                if policy.lower() != "omit":
                    raise
                values.append(None)
                continue
            values.append(
                r.work_item_json(
                    self.org_url(), item, relations=expand in ("relations", "all"), fields=fields
                )
            )
        return r.listing(values)

    def wiql(self, call: Call) -> tuple[int, Any]:
        project = self.world.project(call.args["project"])
        if "team" in call.args:
            project.team(call.args["team"])
        query = call.body.get("query") if isinstance(call.body, dict) else None
        precise = call.request.args.get("timePrecision", "").lower() == "true"
        found = run_wiql(query, self.store.items.values(), project.name, time_precision=precise)
        top = call.request.args.get("$top")
        if top and top.isdigit():
            found = found[: int(top)]
        fields_url = f"{self.org_url()}/_apis/wit/fields"
        return 200, {
            "queryType": "flat",
            "queryResultType": "workItem",
            "asOf": now_iso(),
            "columns": [
                {"referenceName": "System.Id", "name": "ID", "url": f"{fields_url}/System.Id"}
            ],
            "sortColumns": [],
            "workItems": [
                {"id": i.id, "url": f"{self.org_url()}/_apis/wit/workItems/{i.id}"} for i in found
            ],
        }

    def _project_if_named(self, call: Call) -> None:
        if "project" in call.args:
            self.world.project(call.args["project"])

    # ---------------------------------------------------------- service hooks

    def list_subscriptions(self, call: Call) -> tuple[int, Any]:
        wanted = {k: call.request.args.get(k) for k in ("publisherId", "eventType", "consumerId",
                                                         "consumerActionId")}  # fmt: skip
        found = [
            dict(s) for s in self.subscriptions.items.values()
            if all(not v or s.get(k) == v for k, v in wanted.items())
        ]  # fmt: skip
        return 200, r.listing(found)

    def create_subscription(self, call: Call) -> tuple[int, Any]:
        return 200, dict(self.subscriptions.create(call.body))

    def get_subscription(self, call: Call) -> tuple[int, Any]:
        return 200, dict(self.subscriptions.get(call.args["id"]))

    def delete_subscription(self, call: Call) -> tuple[int, Any]:
        self.subscriptions.delete(call.args["id"])
        return 204, None


def _check_api_version(request: Request, optional: bool) -> None:
    version = request.args.get("api-version")
    if version is None:
        if optional or request.method == "GET":
            return  # a GET without a version gets the latest, as on the real service
        raise ApiError(
            400,
            f'No api-version was supplied for the "{request.method}" request. The version must '
            'be supplied either as part of the Accept header (e.g. "application/json; '
            'api-version=1.0") or as a query parameter (e.g. "?api-version=1.0").',
            "VssVersionNotSpecifiedException",
        )
    if not _API_VERSION.match(version):
        raise ApiError(
            400, f"The requested version \"{version}\" of the resource is not valid.",
            "VssInvalidApiVersionException",
        )  # fmt: skip


def _require_patch_content_type(request: Request) -> None:
    if request.mimetype != "application/json-patch+json":
        raise ApiError(
            415,
            f'The request indicated a Content-Type of "{request.mimetype}" for method type '
            f'"{request.method}" which is not supported. Valid content types for this method '
            "are: application/json-patch+json.",
            "VssRequestContentTypeNotSupportedException",
        )


def _parse_body(request: Request, raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "The request body is not valid JSON.", "JsonReaderException") from exc


def _count_param(call: Call, name: str, default: int, *, minimum: int = 0) -> int:
    """A non-negative integer query parameter; anything else is a 400 naming it (strict:
    what the service answers to ``$top=abc`` is not documented)."""
    raw = call.request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ApiError(
            400,
            f"The value '{raw}' of the query parameter '{name}' is not valid: it must be an "
            f"integer of at least {minimum}.",
            "InvalidArgumentValueException",
        )
    return int(raw)


def _flag(call: Call, name: str) -> bool:
    return call.request.args.get(name, "false").lower() == "true"


def _csv(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers,
        content_type="application/json; charset=utf-8; api-version=7.1",
    )  # fmt: skip


def _error(error: ApiError, headers: dict[str, str]) -> Response:
    return _json(error.status, error.body(), {**headers, **error.headers})


def _fault_message(status: int) -> str:
    if status == 429:
        return (
            "TF400733: The request has been canceled: Request was blocked due to exceeding "
            f"usage of resource '{RESOURCE}' in namespace 'User'."
        )
    return f"The emulator was told to answer {status}."


def _drop(request: Request) -> None:
    """Close the connection without an answer, as a reset or a crashed front end would."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
