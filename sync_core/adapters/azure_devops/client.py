"""The Azure DevOps REST client of one organization (api-version 7.1, httpx, no SDK).

Each method is one documented operation (the contract tests check every request against
the official spec) and returns typed values; limits and errors are handled once, in
``transport.Requester``. The client holds no state besides its connection pool and
pacing, so one instance per organization serves every integration thread.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from sync_core.ports.constants import MAX_BATCH_IDS
from sync_core.rules.fields import TypeField
from sync_core.rules.models import BoardLayout

from .auth import Auth
from .errors import AuthenticationError, ConfigurationError, RevisionConflict, WorkItemNotFound
from .layout import board_layout_from
from .models import (
    Board,
    BoardColumnInfo,
    BoardReference,
    BoardRow,
    ConnectionData,
    Identity,
    Project,
    Subscription,
    Team,
    TeamFieldValues,
    WorkItem,
    WorkItemStateInfo,
    WorkItemTypeInfo,
)
from .patch import FieldValue, JsonPatch, create_patch, history_patch, update_patch
from .transport import DEFAULT_LIMITS, DEFAULT_TIMEOUT, Requester, RetryPolicy, Sleep

__all__ = [
    "API_VERSION",
    "BASE_URL_SETTING",
    "DEFAULT_BASE_URL",
    "MAX_BATCH_IDS",
    "AzureDevOpsClient",
]

API_VERSION = "7.1"
DEFAULT_BASE_URL = "https://dev.azure.com"
BASE_URL_SETTING = "AZURE_DEVOPS_BASE_URL"
#: Projects are paged by continuation token; stop somewhere.
MAX_PROJECT_PAGES = 50
#: Teams are paged by ``$top``/``$skip``; 100 is the service's own default page.
TEAM_PAGE = 100
#: 100,000 teams: far past any real project, short of a loop.
MAX_TEAM_PAGES = 1000
#: ``structureGroup`` of classification nodes, as the official examples spell it.
_STRUCTURE_GROUPS = {"areas": "Areas", "iterations": "Iterations"}
JSON_PATCH = "application/json-patch+json"
_TAG_QUERY = (
    "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
    "AND [System.Tags] CONTAINS {tag} ORDER BY [System.Id] ASC"
)
#: Reconcile's query (R13): tagged items changed since a moment, oldest change first.
_CHANGED_QUERY = (
    "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
    "AND [System.Tags] CONTAINS {tag}{since} ORDER BY [System.ChangedDate] ASC"
)
#: A WIQL answer holds at most 20,000 items (VS402337); ask for no more.
MAX_WIQL_RESULTS = 20000


class AzureDevOpsClient:
    """Talks to one Azure DevOps organization on behalf of one set of credentials."""

    def __init__(
        self,
        *,
        organization: str,
        auth: Auth,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not organization or "/" in organization:
            raise ValueError("organization must be a plain Azure DevOps organization name")
        self.organization = organization
        self._root = f"{base_url.rstrip('/')}/{_segment(organization)}"
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS, follow_redirects=False
        )
        self._requests = Requester(
            http=self._http,
            auth=auth,
            policy=retry or RetryPolicy(),
            sleep=sleep,
            clock=clock,
            jitter=jitter,
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the connection pool, unless it was given (then its owner closes it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AzureDevOpsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ identity, check

    def connection_data(self) -> ConnectionData:
        """``GET _apis/connectionData``: who the credentials are (undocumented, widely used).

        Sent without ``api-version``, which a GET may omit; the resource is preview-only.
        """
        body = self._get(self._url("_apis", "connectionData"), versioned=False)
        return ConnectionData.model_validate(body)

    def current_identity(self) -> Identity:
        """The identity this client writes as: revisions by its ``id`` are echoes (R8)."""
        return self.connection_data().authenticated_user

    def check_connection(self) -> Identity:
        """Raises ``AuthenticationError`` or another error when the organization is unusable."""
        return self.current_identity()

    # ------------------------------------------------------------------ discovery

    def list_projects(self) -> list[Project]:
        """Every project: 100 a page, the next page named by ``x-ms-continuationtoken``.

        A token seen before ends the listing (a service that never moves on must not loop),
        and a project is listed once however often it is answered.
        """
        projects: dict[str, Project] = {}
        token: str | None = None
        tokens: set[str] = set()
        for _ in range(MAX_PROJECT_PAGES):
            params = {"continuationToken": token} if token else None
            response = self._send("GET", self._url("_apis", "projects"), params=params)
            for project in (Project.model_validate(p) for p in _values(response.json())):
                projects.setdefault(project.id, project)
            token = response.headers.get("x-ms-continuationtoken")
            if not token or token in tokens:
                break
            tokens.add(token)
        return list(projects.values())

    def list_teams(self, project: str) -> list[Team]:
        """Every team of the project, read ``$top``/``$skip`` a page to the end.

        The service answers 100 teams when ``$top`` is not given (core.json ``Teams_Get
        Teams``; Azure/azure-sdk-tools#181): one page would call team 101 "missing" (R16).
        A page shorter than asked for is the last; a page of teams already seen (a service
        that ignores ``$skip``) ends the listing rather than looping.
        """
        url = self._url("_apis", "projects", project, "teams")
        teams: list[Team] = []
        seen: set[str] = set()
        for _ in range(MAX_TEAM_PAGES):
            params = {"$top": str(TEAM_PAGE), "$skip": str(len(teams))}
            page = [Team.model_validate(t) for t in _values(self._get(url, params=params))]
            fresh = [t for t in page if t.id not in seen]
            seen.update(t.id for t in fresh)
            teams += fresh
            if len(page) < TEAM_PAGE or not fresh:
                break
        return teams

    def team_field_values(self, project: str, team: str) -> TeamFieldValues:
        """The team's areas (``values``, each with ``includeChildren``) and its default area.

        ``GET {org}/{project}/{team}/_apis/work/teamsettings/teamfieldvalues``: a team's
        board shows only the items whose area is one of these (R3).
        """
        url = self._url(project, team, "_apis", "work", "teamsettings", "teamfieldvalues")
        return TeamFieldValues.model_validate(self._get(url))

    def classification_node_exists(self, project: str, group: str, path: str) -> bool:
        """Whether an area (``group="Areas"``) or iteration (``"Iterations"``) path exists.

        ``path`` is the full path as work items carry it (``Fabrikam\\Security``); the node
        is asked by its path below the project root: ``classificationnodes/Areas/Security``,
        and the root itself (``Fabrikam``) is ``classificationnodes/Areas``. A path that does
        not start with the project's name, or has an empty node name, cannot exist in the
        project and costs no request; a 404 is "no such node".
        """
        structure = _STRUCTURE_GROUPS.get(group.casefold())
        if structure is None:
            raise ValueError("group must be 'Areas' or 'Iterations'")
        root, *nodes = path.split("\\")
        if root.casefold() != project.casefold() or not all(nodes):
            return False
        url = self._url(project, "_apis", "wit", "classificationnodes", structure, *nodes)
        try:
            self._get(url)
        except ConfigurationError as exc:
            if exc.status == 404 and not isinstance(exc, AuthenticationError):
                return False
            raise
        return True

    def list_boards(self, project: str, team: str) -> list[BoardReference]:
        body = self._get(self._url(project, team, "_apis", "work", "boards"))
        return [BoardReference.model_validate(b) for b in _values(body)]

    def get_board(self, project: str, team: str, board: str) -> Board:
        """The board with its columns, rows and ``fields`` (column/row/done field names)."""
        body = self._get(self._url(project, team, "_apis", "work", "boards", board))
        return Board.model_validate(body)

    def board_columns(self, project: str, team: str, board: str) -> list[BoardColumnInfo]:
        url = self._url(project, team, "_apis", "work", "boards", board, "columns")
        return [BoardColumnInfo.model_validate(c) for c in _values(self._get(url))]

    def board_rows(self, project: str, team: str, board: str) -> list[BoardRow]:
        url = self._url(project, team, "_apis", "work", "boards", board, "rows")
        return [BoardRow.model_validate(r) for r in _values(self._get(url))]

    def work_item_types(self, project: str) -> list[WorkItemTypeInfo]:
        body = self._get(self._url(project, "_apis", "wit", "workitemtypes"))
        return [WorkItemTypeInfo.model_validate(t) for t in _values(body)]

    def work_item_type_states(self, project: str, work_item_type: str) -> list[WorkItemStateInfo]:
        url = self._url(project, "_apis", "wit", "workitemtypes", work_item_type, "states")
        return [WorkItemStateInfo.model_validate(s) for s in _values(self._get(url))]

    def work_item_type_fields(self, project: str, work_item_type: str) -> list[TypeField]:
        """The type's fields, which it always requires, and a list field's allowed values:
        ``GET {project}/_apis/wit/workitemtypes/{type}/fields?$expand=allowedValues``
        (wit 7.1 ``Work Item Types Field - List``). Checked against a route's ``fields``
        and ``defaults`` on save and by check connection (R16, R21)."""
        url = self._url(project, "_apis", "wit", "workitemtypes", work_item_type, "fields")
        body = self._get(url, params={"$expand": "allowedValues"})
        return [_type_field(f) for f in _values(body) if isinstance(f, dict)]

    def board_layout(self, project: str, team: str, board: str, work_item_type: str) -> BoardLayout:
        """What the rules need of a route's board: three requests (board, type states, the
        team's areas), cached by the service. The team's default area is where a new card
        goes when the route names none, so that it is on the team's board at all (R3)."""
        areas = self.team_field_values(project, team)
        return board_layout_from(
            self.get_board(project, team, board),
            self.work_item_type_states(project, work_item_type),
        ).model_copy(update={"team_field": areas.field_name, "team_default": areas.default_value})

    # ----------------------------------------------------------------- work items

    def create_work_item(
        self,
        project: str,
        work_item_type: str,
        fields: Mapping[str, FieldValue],
        *,
        tags: Iterable[str] = (),
        hyperlink: str | None = None,
        hyperlink_comment: str | None = None,
        history: str | None = None,
    ) -> WorkItem:
        """One create with everything in it (R1, R4): fields, column, lane, tags, link.

        Never retried after it may have reached the service (a 5xx, a timeout): a
        ``TransientError`` with ``may_have_succeeded`` tells the caller to look the tag up.
        """
        patch = create_patch(
            fields, tags=tags, hyperlink=hyperlink,
            hyperlink_comment=hyperlink_comment, history=history,
        )  # fmt: skip
        url = self._url(project, "_apis", "wit", "workitems", "$" + work_item_type)
        response = self._send("POST", url, body=patch, content_type=JSON_PATCH, idempotent=False)
        return WorkItem.model_validate(response.json())

    def update_work_item(
        self,
        work_item_id: int,
        *,
        expected_rev: int,
        fields: Mapping[str, FieldValue],
        history: str | None = None,
        project: str | None = None,
    ) -> WorkItem:
        """One PATCH guarded by ``test /rev`` (R5); a 412 raises ``RevisionConflict``."""
        return self._patch(
            work_item_id, update_patch(expected_rev, fields, history=history),
            project=project, expected_rev=expected_rev,
        )  # fmt: skip

    def add_history_note(
        self, work_item_id: int, note: str, *, project: str | None = None
    ) -> WorkItem:
        """A discussion entry (HTML). Not guarded by ``/rev``: a note conflicts with nothing."""
        return self._patch(work_item_id, history_patch(note), project=project, expected_rev=None)

    def get_work_item(self, work_item_id: int, *, project: str | None = None) -> WorkItem:
        url = self._work_item_url(work_item_id, project)
        try:
            body = self._get(url, params={"$expand": "relations"})
        except ConfigurationError as exc:
            _raise_if_not_found(exc, work_item_id)
            raise
        return WorkItem.model_validate(body)

    def get_work_items(self, ids: Sequence[int], *, project: str | None = None) -> list[WorkItem]:
        """The items that exist, in batches of 200; deleted ones are left out."""
        items: list[WorkItem] = []
        url = self._url(*_project(project), "_apis", "wit", "workitemsbatch")
        for start in range(0, len(ids), MAX_BATCH_IDS):
            chunk = list(ids[start : start + MAX_BATCH_IDS])
            body = {"ids": chunk, "$expand": "relations", "errorPolicy": "omit"}
            answer = self._send("POST", url, body=body).json()
            items += [WorkItem.model_validate(w) for w in _values(answer) if w is not None]
        return items

    def find_work_items_by_tag(self, project: str, tag: str) -> list[int]:
        """Ids of the project's items carrying ``tag``, oldest first (R1's lost-link search)."""
        # The tag is quoted by _wiql_text (quotes doubled), so it cannot escape its string.
        wiql = _TAG_QUERY.replace("{tag}", _wiql_text(tag))
        url = self._url(project, "_apis", "wit", "wiql")
        answer = self._send("POST", url, body={"query": wiql}).json()
        return [int(ref["id"]) for ref in answer.get("workItems", [])]

    def find_changed_work_items(
        self, project: str, since: datetime | None, tag: str, *, top: int = MAX_WIQL_RESULTS
    ) -> list[int]:
        """Ids of the project's items tagged ``tag`` changed at or after ``since`` (R13).

        Oldest change first. ``timePrecision`` makes WIQL compare the time, not the day;
        "at or after" so an item changed in the same millisecond is not lost (callers screen
        what they saw already by revision).
        """
        clause = ""
        if since is not None:
            if since.tzinfo is None:
                raise ValueError("since must be timezone-aware")
            stamp = since.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            clause = f" AND [System.ChangedDate] >= {_wiql_text(stamp)}"
        wiql = _CHANGED_QUERY.replace("{tag}", _wiql_text(tag)).replace("{since}", clause)
        url = self._url(project, "_apis", "wit", "wiql")
        params = {"timePrecision": "true", "$top": str(max(1, min(top, MAX_WIQL_RESULTS)))}
        answer = self._send("POST", url, params=params, body={"query": wiql}).json()
        return [int(ref["id"]) for ref in answer.get("workItems", [])]

    # -------------------------------------------------------------- service hooks

    def list_subscriptions(
        self, *, event_type: str | None = None, consumer_id: str | None = None
    ) -> list[Subscription]:
        params = {"publisherId": "tfs"}
        if event_type:
            params["eventType"] = event_type
        if consumer_id:
            params["consumerId"] = consumer_id
        body = self._get(self._url("_apis", "hooks", "subscriptions"), params=params)
        return [Subscription.model_validate(s) for s in _values(body)]

    def create_subscription(
        self,
        *,
        project_id: str,
        url: str,
        event_type: str = "workitem.updated",
        changed_fields: str = "",
        work_item_type: str = "",
        area_path: str = "",
        basic_username: str | None = None,
        basic_password: str | None = None,
        http_headers: Mapping[str, str] | None = None,
    ) -> Subscription:
        """A Web Hooks subscription (R17); ``resourceVersion`` 1.0 keeps the payload stable."""
        consumer_inputs = {
            "url": url,
            "resourceDetailsToSend": "all",
            "messagesToSend": "none",
            "detailedMessagesToSend": "none",
        }
        if basic_username and basic_password:
            consumer_inputs["basicAuthUsername"] = basic_username
            consumer_inputs["basicAuthPassword"] = basic_password
        if http_headers:
            consumer_inputs["httpHeaders"] = "\n".join(f"{k}:{v}" for k, v in http_headers.items())
        body = {
            "publisherId": "tfs",
            "eventType": event_type,
            "resourceVersion": "1.0",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "publisherInputs": {
                "projectId": project_id,
                "workItemType": work_item_type,
                "areaPath": area_path,
                "changedFields": changed_fields,
            },
            "consumerInputs": consumer_inputs,
        }
        url_ = self._url("_apis", "hooks", "subscriptions")
        answer = self._send("POST", url_, body=body, idempotent=False).json()
        return Subscription.model_validate(answer)

    def delete_subscription(self, subscription_id: str) -> None:
        """Remove one subscription (R17: deleting an integration removes its hooks).

        ``DELETE _apis/hooks/subscriptions/{id}`` answers 200 with no body (specs:
        hooks/7.1/serviceHooks.json, Subscriptions_Delete); a 404 means it is gone already.
        """
        self._send("DELETE", self._url("_apis", "hooks", "subscriptions", subscription_id))

    # ------------------------------------------------------------------- plumbing

    def _patch(
        self, work_item_id: int, patch: JsonPatch, *, project: str | None, expected_rev: int | None
    ) -> WorkItem:
        url = self._work_item_url(work_item_id, project)
        try:
            response = self._send("PATCH", url, body=patch, content_type=JSON_PATCH)
        except RevisionConflict as exc:
            raise RevisionConflict(
                exc.message, work_item_id=work_item_id, expected_rev=expected_rev
            ) from exc
        except ConfigurationError as exc:
            _raise_if_not_found(exc, work_item_id)
            raise
        return WorkItem.model_validate(response.json())

    def _work_item_url(self, work_item_id: int, project: str | None) -> str:
        return self._url(*_project(project), "_apis", "wit", "workitems", str(int(work_item_id)))

    def _url(self, *segments: str) -> str:
        return "/".join([self._root, *(_segment(s) for s in segments)])

    def _get(
        self, url: str, *, params: Mapping[str, str] | None = None, versioned: bool = True
    ) -> Any:
        return self._send("GET", url, params=params, versioned=versioned).json()

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        idempotent: bool = True,
        versioned: bool = True,
    ) -> httpx.Response:
        query = {"api-version": API_VERSION} if versioned else {}
        query.update(params or {})
        return self._requests.send(
            method, url, params=query, body=body,
            content_type=content_type, idempotent=idempotent,
        )  # fmt: skip


def _type_field(wire: dict[str, Any]) -> TypeField:
    """``WorkItemTypeFieldWithReferences``; an identity field's allowed values are objects
    (people), not a list the route's values are checked against."""
    allowed = wire.get("allowedValues") or []
    return TypeField(
        reference_name=str(wire.get("referenceName") or ""),
        name=str(wire.get("name") or ""),
        always_required=bool(wire.get("alwaysRequired")),
        allowed_values=tuple(str(v) for v in allowed if isinstance(v, str | int | float)),
        has_default=wire.get("defaultValue") not in (None, ""),
    )


def _segment(value: str) -> str:
    """A path segment, percent-encoded (project and team names have spaces)."""
    if value.startswith("$"):
        return "$" + quote(value[1:], safe="")
    return quote(value, safe="")


def _project(project: str | None) -> tuple[str, ...]:
    return (project,) if project else ()


def _values(body: Any) -> list[Any]:
    """List answers are ``{"count": n, "value": [...]}`` on the wire."""
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        return list(body["value"])
    raise ConfigurationError("Azure DevOps answered a list request without a 'value' list")


def _wiql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _raise_if_not_found(exc: ConfigurationError, work_item_id: int) -> None:
    if exc.status == 404:
        raise WorkItemNotFound(
            exc.message, work_item_id=work_item_id, type_key=exc.type_key
        ) from exc
