"""``BoardsEmulator``: a local Azure Boards on 127.0.0.1, and the Python handle tests hold.

The HTTP side answers what the client uses, with the real paths, shapes and errors; the
Python side does what a person or an outage would: move a card, edit or delete an item,
subscribe a webhook, slow down, throttle, fail, drop connections.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from localdev.wsgi_server import ServerThread

from . import resources as r
from .app import AuthFailure, BoardsApp
from .board_page import BoardPage, board_url
from .faults import Fault, FaultPlan, RecordedRequest, Recorder
from .hooks import DEFAULT_RETRY_DELAYS, Delivery, HookDispatcher, Subscriptions
from .ratelimit import RateLimit, RateLimiter
from .work_items import STATE, WorkItemStore
from .world import ApiError, BoardState, World, load_seed

__all__ = ["BoardsEmulator"]


class BoardsEmulator:
    """Start with ``with BoardsEmulator() as boards:``; the client's base URL is ``boards.url``."""

    def __init__(
        self,
        *,
        seed: Mapping[str, Any] | Path | None = None,
        port: int = 0,
        hook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        hook_timeout: float = 10.0,
        rate_limit: RateLimit | None = None,
    ) -> None:
        spec = dict(seed) if isinstance(seed, Mapping) else load_seed(seed)
        self._spec = spec
        self._hook_retry_delays = tuple(hook_retry_delays)
        self.world = World(spec)
        self._lock = threading.RLock()
        self._server: ServerThread | None = None
        self._port = port
        self._base = "http://127.0.0.1"  # completed with the port on start()
        self.faults = FaultPlan()
        self.recorder = Recorder()
        self._org_url = org_url = lambda: self.organization_url  # the port is known at start()
        self.store = WorkItemStore(self.world, org_url)
        self.subscriptions = Subscriptions(self.world, org_url)
        self.hooks = HookDispatcher(
            self.world, self.subscriptions, org_url,
            retry_delays=hook_retry_delays, timeout=hook_timeout,
        )  # fmt: skip
        self.app = BoardsApp(
            world=self.world, store=self.store, subscriptions=self.subscriptions,
            hooks=self.hooks, faults=self.faults, recorder=self.recorder, lock=self._lock,
            org_url=org_url,
        )  # fmt: skip
        self.set_rate_limit(rate_limit)

    # -------------------------------------------------------------- lifecycle

    def start(self) -> BoardsEmulator:
        # the board page (a browser's view, board_page.py) sits in front of the REST app
        self._server = ServerThread(BoardPage(self, self.app), port=self._port).start()
        self._base = self._server.url
        self.hooks.start()
        return self

    def stop(self) -> None:
        self.hooks.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        """Back to the seed, keeping the server: no items, subscriptions, faults or records."""
        self.wait_for_deliveries(5.0)
        with self._lock:
            self.world = World(self._spec)
            self.store = WorkItemStore(self.world, self._org_url)
            self.subscriptions = Subscriptions(self.world, self._org_url)
            self.hooks.rebind(self.world, self.subscriptions, self._hook_retry_delays)
            self.app.world, self.app.store = self.world, self.store
            self.app.subscriptions = self.subscriptions
            self.app.bearer_tokens.clear()
            self.app.auth_failure = "signin_203"
            self.app.limiter = None
            self.faults.clear()
            self.recorder.clear()

    def snapshot(self) -> dict[str, Any]:
        """Work items and subscriptions as JSON, for ``make run`` restarts (emulator_state)."""
        from localdev.emulator_state import boards_snapshot

        return boards_snapshot(self)

    def restore(self, data: dict[str, Any]) -> int:
        """Load a :meth:`snapshot` (SnapshotError if it does not fit); how many items."""
        from localdev.emulator_state import boards_restore

        return boards_restore(self, data)

    def __enter__(self) -> BoardsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- addresses

    @property
    def url(self) -> str:
        """What ``AZURE_DEVOPS_BASE_URL`` is set to (the organization is the next segment)."""
        return self._base

    @property
    def organization(self) -> str:
        return self.world.organization

    @property
    def organization_url(self) -> str:
        return f"{self._base}/{self.world.organization}"

    def board_page_url(
        self, project: str = "Fabrikam", team: str = "Fabrikam Team", board: str = "Issues"
    ) -> str:
        """The board page a person drags cards on (``board_page.py``)."""
        return board_url(self._base, self.world.organization, project, team, board)

    @property
    def pat(self) -> str:
        return self.world.pat

    @property
    def service_identity_id(self) -> str:
        """Whom PAT writes are attributed to: ``revisedBy.id`` of the app's own echoes."""
        return self.world.service_identity.id

    def accept_bearer_token(self, token: str) -> None:
        self.app.bearer_tokens.add(token)

    def set_auth_failure(self, mode: AuthFailure) -> None:
        """How a wrong credential is answered: HTML 203 sign-in page (default), 401 or 302."""
        self.app.auth_failure = mode

    # ------------------------------------------------------------ people act

    def work_item(self, work_item_id: int) -> dict[str, Any]:
        with self._lock:
            return r.work_item_json(self.organization_url, self.store.get(work_item_id))

    def move_card(
        self,
        work_item_id: int,
        *,
        column: str | None = None,
        state: str | None = None,
        lane: str | None = None,
        done: bool | None = None,
        board: str | None = None,
        team: str | None = None,
        by: str = "Jamal Hartnett",
    ) -> dict[str, Any]:
        """Move a card as a person does on one board; service hooks fire as for any write.

        The board is that of ``team`` (and/or named ``board``) among the boards the item is
        on; without either, the board ``System.BoardColumn`` shows. Only that board's
        fields are written: the other boards follow the state the column maps to.
        """
        with self._lock:
            item = self.store.get(work_item_id)
            target = self._board_of(item, board, team)
            fields: dict[str, Any] = {}
            if column is not None:
                fields[target.column_field] = column
            if done is not None:
                fields[target.done_field] = done
            if lane is not None:
                fields[target.lane_field] = lane
            if state is not None:
                fields[STATE] = state
            return self._edit(work_item_id, fields, by=by)

    def edit_work_item(
        self, work_item_id: int, fields: Mapping[str, Any], *, by: str = "Jamal Hartnett"
    ) -> dict[str, Any]:
        with self._lock:
            return self._edit(work_item_id, dict(fields), by=by)

    def create_work_item(
        self,
        project: str,
        work_item_type: str,
        fields: Mapping[str, Any],
        *,
        by: str = "Jamal Hartnett",
    ) -> dict[str, Any]:
        patch = [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in fields.items()]
        with self._lock:
            change = self.store.create(
                self.world.project(project), work_item_type, patch,
                self.world.person(by), validate_only=False,
            )  # fmt: skip
            self.hooks.publish(change)
            return r.work_item_json(self.organization_url, change.item)

    def delete_work_item(self, work_item_id: int) -> None:
        with self._lock:
            self.store.delete(work_item_id)

    def _edit(self, work_item_id: int, fields: dict[str, Any], *, by: str) -> dict[str, Any]:
        if not fields:
            raise ValueError("nothing to change")
        patch = [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in fields.items()]
        change = self.store.update(work_item_id, patch, self.world.person(by), validate_only=False)
        self.hooks.publish(change)
        return r.work_item_json(self.organization_url, change.item)

    def _board_of(self, item: Any, name: str | None, team: str | None) -> BoardState:
        boards = item.project.boards_showing(item.type_name, item.fields.get("System.AreaPath"))
        primary = next(
            (b for b in boards if b.column_field in item.fields
             and item.fields.get("System.BoardColumn") == item.fields[b.column_field]),
            None,
        )  # fmt: skip
        if primary is not None:  # the board System.BoardColumn shows comes first
            boards = [primary, *(b for b in boards if b is not primary)]
        if name is not None:
            boards = [b for b in boards if name.lower() in (b.name.lower(), b.id.lower())]
        if team is not None:
            wanted = team.lower()
            boards = [b for b in boards if b.team and wanted in (b.team.name.lower(), b.team.id)]
        if not boards:
            raise ApiError(
                400, f"Work item {item.id} is on no board named {name!r} of team {team!r}."
            )
        return boards[0]

    # -------------------------------------------------- the organization grows

    def add_project(self, name: str, *, process: str = "Fabrikam Agile") -> dict[str, Any]:
        """A project with no team, as tests of project paging need (gone on ``reset``)."""
        with self._lock:
            project = self.world.add_project(name, process=process)
            return r.project_json(self.organization_url, project)

    def add_team(
        self,
        project: str,
        name: str,
        *,
        areas: Sequence[tuple[str, bool]] | None = None,
        default_area: str | None = None,
    ) -> dict[str, Any]:
        """A team without a board (gone on ``reset``). Its areas are ``(path,
        includeChildren)`` pairs of existing area nodes; by default the project root
        without children, so it shows no work item of another area."""
        with self._lock:
            owner = self.world.project(project)
            team = self.world.add_team(
                project, name, areas=list(areas) if areas else None, default_area=default_area
            )
            return r.team_json(self.organization_url, owner, team)

    def add_teams(self, project: str, count: int, *, prefix: str = "Team") -> list[str]:
        """``count`` teams named ``f"{prefix} {n:03d}"`` (paging past 100 teams)."""
        names = [f"{prefix} {n:03d}" for n in range(count)]
        for team_name in names:
            self.add_team(project, team_name)
        return names

    # --------------------------------------------------------------- hooks

    def subscribe(
        self,
        url: str,
        *,
        project: str = "Fabrikam",
        event_type: str = "workitem.updated",
        changed_fields: str = "",
        work_item_type: str = "",
        basic_auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """What an administrator does in Project settings > Service hooks."""
        consumer: dict[str, Any] = {"url": url}
        if basic_auth:
            consumer["basicAuthUsername"], consumer["basicAuthPassword"] = basic_auth
        if headers:
            consumer["httpHeaders"] = "\n".join(f"{k}:{v}" for k, v in headers.items())
        body = {
            "publisherId": "tfs", "eventType": event_type, "resourceVersion": "1.0",
            "consumerId": "webHooks", "consumerActionId": "httpRequest",
            "publisherInputs": {"projectId": self.world.project(project).id,
                                "changedFields": changed_fields, "workItemType": work_item_type},
            "consumerInputs": consumer,
        }  # fmt: skip
        with self._lock:
            return dict(self.subscriptions.create(body))

    @property
    def deliveries(self) -> list[Delivery]:
        return list(self.hooks.deliveries)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """True once every queued hook delivery (with its retries) has finished."""
        return self.hooks.wait_until_idle(timeout)

    def set_hook_retry_delays(self, delays: Sequence[float]) -> None:
        self.hooks.retry_delays = tuple(delays)

    # --------------------------------------------------------------- faults

    def inject_latency(self, seconds: float, *, times: int = 1, method: str | None = None,
                       path: str | None = None) -> Fault:  # fmt: skip
        return self.faults.add(
            Fault("latency", times=times, delay=seconds, method=method, path=path)
        )

    def inject_status(self, status: int, *, times: int = 1, retry_after: float | None = None,
                      method: str | None = None, path: str | None = None) -> Fault:  # fmt: skip
        """Answer ``status`` (429, 503, …) ``times`` times, with ``Retry-After`` if given."""
        headers = {} if retry_after is None else {"Retry-After": _seconds(retry_after)}
        if status == 429:
            headers.update(
                {"X-RateLimit-Resource": "WorkItemTracking", "X-RateLimit-Remaining": "0"}
            )
        return self.faults.add(Fault("status", times=times, status=status, headers=headers,
                                     method=method, path=path))  # fmt: skip

    def inject_drop(self, *, times: int = 1, method: str | None = None,
                    path: str | None = None) -> Fault:  # fmt: skip
        """Close the connection without answering."""
        return self.faults.add(Fault("drop", times=times, method=method, path=path))

    def inject_headers(self, headers: Mapping[str, str], *, times: int = 1,
                       method: str | None = None, path: str | None = None) -> Fault:  # fmt: skip
        """Answer normally, plus headers: ``Retry-After`` on a 200, ``X-RateLimit-Delay``."""
        return self.faults.add(Fault("headers", times=times, headers=dict(headers),
                                     method=method, path=path))  # fmt: skip

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------- consumption limit

    def set_rate_limit(
        self,
        limit: RateLimit | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateLimiter | None:
        """Charge every authenticated request against Azure DevOps' consumption limit
        (``ratelimit.py``), or, with None, stop (the default, and what ``reset`` does).
        ``clock``/``sleep`` let a test drive time instead of waiting for it."""
        limiter = None if limit is None else RateLimiter(limit, clock=clock)
        self.app.sleep = sleep
        self.app.limiter = limiter
        return limiter

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The limiter in force: its ``counts`` (served, delayed, refused) and ``usage``."""
        return self.app.limiter

    # ------------------------------------------------------------- recording

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far: method, path, query, headers (no credentials), body, answer."""
        return self.recorder.all()

    def clear_requests(self) -> None:
        self.recorder.clear()

    def basic_auth_header(self) -> str:
        """The header the app's PAT produces, for tests that call the emulator by hand."""
        return "Basic " + base64.b64encode(f":{self.pat}".encode()).decode()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"
