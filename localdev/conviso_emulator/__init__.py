"""A local Conviso Platform: the GraphQL API on a faithful subset of the published schema.

Tests, the demo and the benchmarks run the real client against it over HTTP::

    with ConvisoEmulator(api_key="k") as conviso:
        company = conviso.add_company("Fabrikam", id="77")
        asset = conviso.add_asset(company.id, "payments-api")
        issue = conviso.seed_issue(asset_id=asset.id, type="SCA_FINDING", severity="HIGH")
        conviso.scan_missed(issue.id)            # -> FIX_ACCEPTED, updatedAt moves
        conviso.faults.throttle_next(2)          # two 429s with Retry-After
        ConvisoClient(api_url=conviso.url, api_key="k").get_issue(issue.id)
        conviso.requests                         # operation names and variables
        conviso.status_changes                   # applied changes with reasons

It reads nothing outside this package at run time (its SDL is ``schema.graphql`` here).
"""

from __future__ import annotations

from typing import Any

from localdev.wsgi_server import ServerThread

from .app import ConvisoApp, Faults, RateLimit, RecordedRequest
from .lifecycle import permitted_statuses
from .limits import MAX_COMPLEXITY, MAX_DEPTH, QueryCost, measure
from .resolvers import SCHEMA_FILE, emulator_schema
from .store import (
    ISSUE_TYPES,
    AssetRecord,
    CompanyRecord,
    ConvisoStore,
    IssueRecord,
    ProjectRecord,
    StatusChange,
)

__all__ = [
    "ISSUE_TYPES",
    "MAX_COMPLEXITY",
    "MAX_DEPTH",
    "SCHEMA_FILE",
    "AssetRecord",
    "CompanyRecord",
    "ConvisoApp",
    "ConvisoEmulator",
    "ConvisoStore",
    "Faults",
    "IssueRecord",
    "ProjectRecord",
    "QueryCost",
    "RateLimit",
    "RecordedRequest",
    "StatusChange",
    "emulator_schema",
    "measure",
    "permitted_statuses",
]


class ConvisoEmulator:
    """The store, the WSGI app and a server thread, with the controls tests need."""

    def __init__(
        self,
        *,
        api_key: str = "emulator-api-key",
        rate_limit: int = 1200,
        rate_window: float = 60.0,
        store: ConvisoStore | None = None,
        port: int = 0,
    ) -> None:
        self.store = store or ConvisoStore()
        self._initial = (api_key, rate_limit, rate_window)
        self.app = ConvisoApp(
            self.store, api_key=api_key, rate_limit=RateLimit(rate_limit, rate_window)
        )
        self._server: ServerThread | None = None
        self._port = port
        # Seeding and scan-style changes are the store's own methods.
        self.add_company = self.store.add_company
        self.add_asset = self.store.add_asset
        self.add_project = self.store.add_project
        self.seed_issue = self.store.seed_issue
        self.scan_found = self.store.scan_found
        self.scan_missed = self.store.scan_missed
        self.update_issue = self.store.update_issue
        self.delete_issue = self.store.delete_issue
        self.set_asset_tags = self.store.set_asset_tags
        self.set_sla = self.store.set_sla
        self.get_issue = self.store.get_issue

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ConvisoEmulator:
        """Serve on 127.0.0.1 (a free port first, then the same one after ``go_down``)."""
        if self._server is None:
            self._server = ServerThread(self.app, port=self._port).start()
            self._port = self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def snapshot(self) -> dict[str, Any]:
        """The store as JSON, for ``make run`` restarts (``localdev/emulator_state.py``)."""
        from localdev.emulator_state import conviso_snapshot

        return conviso_snapshot(self)

    def restore(self, data: dict[str, Any]) -> int:
        """Load a :meth:`snapshot` (SnapshotError if it does not fit); how many issues."""
        from localdev.emulator_state import conviso_restore

        return conviso_restore(self, data)

    def __enter__(self) -> ConvisoEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("the emulator has not been started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def url(self) -> str:
        """The GraphQL endpoint, what ``CONVISO_API_URL`` points at."""
        return f"{self.base_url}/graphql"

    # ------------------------------------------------------------------- controls

    @property
    def api_key(self) -> str:
        return self.app.api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        """Rotating the key expires the old one, as generating a new one does in Conviso."""
        self.app.api_key = value

    @property
    def faults(self) -> Faults:
        return self.app.faults

    @property
    def rate_limit(self) -> RateLimit:
        return self.app.rate_limit

    def go_down(self, *, refuse_connections: bool = False) -> None:
        """Be unavailable: every answer a 503, or (``refuse_connections``) no listener at all."""
        if refuse_connections:
            self.stop()
        else:
            self.faults.down = True

    def come_up(self) -> None:
        self.faults.down = False
        self.start()

    def set_status(self, issue_id: str, status: str, reason: str | None = None) -> IssueRecord:
        """A person changes the status in Conviso's UI (no ``permittedStatus`` check)."""
        return self.store.change_status(issue_id, status, reason, source="user")

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self.app.requests)

    @property
    def status_changes(self) -> list[StatusChange]:
        with self.store.lock:
            return list(self.store.status_changes)

    def operations(self) -> list[str | None]:
        """The operation names received, in order (faulted and refused ones included)."""
        return [r.operation_name for r in self.app.requests]

    def reset(self) -> None:
        """Back to a fresh emulator (no data, faults, records; first key and rate limit), up.

        Starting a server costs little but stopping one waits for its poll interval, so a
        test session keeps one emulator running and resets it between tests.
        """
        api_key, rate_limit, rate_window = self._initial
        self.store.reset()
        self.faults.clear()
        self.rate_limit.reset(rate_limit, rate_window)
        self.app.api_key = api_key
        self.app.requests.clear()
        self.start()

    def clear_records(self) -> None:
        self.app.requests.clear()
        with self.store.lock:
            self.store.status_changes.clear()
