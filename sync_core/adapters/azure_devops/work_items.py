"""Work items: create, read, update, note, and find by tag or change (R1, R4, R5, R13).

Every write is one request: a create carries everything (never retried once it may have
reached the service), an update is guarded by ``test /rev`` so a stale card is caught
(412 -> ``RevisionConflict``), and a 404 names the work item (``WorkItemNotFound``, R6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sync_core.ports.constants import MAX_BATCH_IDS

from .errors import ConfigurationError, RevisionConflict, WorkItemNotFound
from .models import WorkItem
from .patch import FieldValue, JsonPatch, create_patch, history_patch, update_patch
from .rest import OrganizationRest, list_values, project_segments

__all__ = ["JSON_PATCH", "MAX_WIQL_RESULTS", "WorkItems"]

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


class WorkItems(OrganizationRest):
    """The work item operations; each answers the item as Azure DevOps has it now."""

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
        url = self._url(*project_segments(project), "_apis", "wit", "workitemsbatch")
        for start in range(0, len(ids), MAX_BATCH_IDS):
            chunk = list(ids[start : start + MAX_BATCH_IDS])
            body = {"ids": chunk, "$expand": "relations", "errorPolicy": "omit"}
            answer = self._send("POST", url, body=body).json()
            items += [WorkItem.model_validate(w) for w in list_values(answer) if w is not None]
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
        return self._url(
            *project_segments(project), "_apis", "wit", "workitems", str(int(work_item_id))
        )


def _wiql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _raise_if_not_found(exc: ConfigurationError, work_item_id: int) -> None:
    if exc.status == 404:
        raise WorkItemNotFound(
            exc.message, work_item_id=work_item_id, type_key=exc.type_key
        ) from exc
