"""Writing to Conviso: an issue's status (R7, R24) and its assignees (R23).

A refused status change is explained from the issue itself (Conviso's wording is not
documented): ``StatusNotPermitted`` when the issue does not permit it, the issue unchanged
when it already has it (a retried change that had landed), else the refusal as it came.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sync_core.rules.models import Vulnerability
from sync_core.rules.vocabulary import ConvisoStatus

from .errors import ConvisoQueryError, StatusNotPermitted
from .queries import CHANGE_ISSUE_STATUS, UPDATE_ISSUE_ASSIGNEE
from .reads import IssueReads

__all__ = ["IssueWrites"]


class IssueWrites(IssueReads):
    """The write operations; built on the reads, since a refusal is explained by reading
    the issue back."""

    def change_issue_status(
        self,
        issue_id: str,
        status: ConvisoStatus,
        reason: str | None,
        *,
        external_author: str | None = None,
        risk_accepted_until: datetime | None = None,
    ) -> Vulnerability:
        """Set an issue's workflow status (R7) and return the issue as Conviso now has it.

        ``external_author``: the e-mail of the person who decided
        (``externalAuthorIdentifier``); ``risk_accepted_until``: the deadline of a risk
        acceptance (``riskAcceptedUntil``, ISO 8601) — both R24, 2026 live API.

        Raises ``StatusNotPermitted`` when Conviso refuses a status the issue does not
        permit. Asking for the status it already has returns the issue unchanged, so a
        change retried after a timeout that had in fact landed is not an error.
        """
        change: dict[str, str] = {"id": issue_id, "status": ConvisoStatus(status).value}
        if reason is not None:
            change["reason"] = reason
        if external_author is not None:
            change["externalAuthorIdentifier"] = external_author
        if risk_accepted_until is not None:
            moment = risk_accepted_until
            if moment.tzinfo is None:
                raise ValueError("risk_accepted_until must be timezone-aware")
            change["riskAcceptedUntil"] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        try:
            data = self._execute("ChangeIssueStatus", CHANGE_ISSUE_STATUS, {"input": change})
        except ConvisoQueryError as refused:
            return self._explain_refusal(issue_id, ConvisoStatus(status), refused)
        payload = data.get("changeIssueStatus") or {}
        return self._decode("ChangeIssueStatus", payload.get("issue"))

    def update_issue_assignee(self, issue_id: str, emails: Sequence[str]) -> tuple[str, ...]:
        """Set who an issue is assigned to (R23; an empty list: nobody) and return the
        assignees' e-mails as Conviso now has them. One request.

        A GraphQL error (an e-mail Conviso does not know, or an input this schema addition
        got wrong: specs/README.md) raises ``ConvisoQueryError``, which the caller records
        as a warning; it is never retried blindly."""
        variables = {"input": {"issueId": issue_id, "assigneeEmails": list(emails)}}
        data = self._execute("UpdateIssueAssignee", UPDATE_ISSUE_ASSIGNEE, variables)
        payload = data.get("updateIssueAssignee") or {}
        users = payload.get("assignees") if isinstance(payload, Mapping) else None
        return tuple(
            str(u.get("email")).lower()
            for u in users or ()
            if isinstance(u, Mapping) and u.get("email")
        )

    def _explain_refusal(
        self, issue_id: str, status: ConvisoStatus, refused: ConvisoQueryError
    ) -> Vulnerability:
        """Conviso's wording of a refusal is not documented, so decide from the issue itself."""
        try:
            current = self.get_issue(issue_id)
        except ConvisoQueryError:
            raise refused from None
        if current.status == status:
            return current
        permitted = current.permitted_status or ()
        if status not in permitted:
            raise StatusNotPermitted(
                refused.operation,
                refused.messages,
                issue_id=issue_id,
                status=status,
                current=current.status,
                permitted=permitted,
            ) from refused
        raise refused
