"""R23, R24: the people on both sides — who owns a vulnerability, and who decided what.

**Assignees (R23).** With ``assignees: "sync"`` on a route, Conviso's ``assignedUsers`` and
the card's ``System.AssignedTo`` follow each other, by e-mail. Both sides name a person by
e-mail (Conviso's ``PortalUser.email``; an Azure DevOps identity's ``uniqueName``, which
REST answers carry in an IdentityRef and resourceVersion 1.0 hook payloads spell
``Name <email>``), compared in lower case. The link keeps Conviso's assignee as last known
(``Link.applied_assignee``), exactly as it keeps the severity and field values applied:

* Conviso → Boards: a snapshot whose assignee differs from the one kept is Conviso's
  change, written in the same JSON Patch as the rest (no extra request), unless the card
  already shows it. One that does not differ is never written over a person's edit.
* Boards → Conviso: a revision that changed Assigned To to someone other than the one kept
  is a person's change, sent with ``updateIssueAssignee`` (one Conviso request); after it
  the kept value is the new one, so Conviso's echo of it changes nothing (R8).

A person one side does not know is a warning, never an error or a retry: a card that
cannot take Conviso's assignee keeps its own and the value is kept as applied, so the next
snapshot does not try again; a refusal by Conviso leaves the kept value as it was.

**Decisions (R24).** A status change sent to Conviso names the mover
(``externalAuthorIdentifier``: their e-mail), and a move to RISK_ACCEPTED says until when
(``riskAcceptedUntil``: the card's ``fields.risk_accepted_until`` date, else today +
``risk_acceptance_days``). A decision made in Conviso — risk accepted, false positive, a
severity change — adds one history note naming who and why, read from the issue's
``statusHistory`` (``source`` and ``reason``). Conviso's 2026 schema exposes neither the
risk acceptance's deadline nor who changed a severity, so those notes say what is known.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from .card import history_note
from .decisions import ChangeConvisoAssignee, Level, Skip, SkipReason
from .models import BoardChange, Link, Route, StatusHistoryEntry, Vulnerability
from .vocabulary import ConvisoStatus

__all__ = [
    "ASSIGNED_TO_FIELD",
    "BOARD_REASON_PREFIX",
    "DECISIONS_KEPT",
    "assignee_after",
    "assignee_on_create",
    "assignee_to_write",
    "conviso_assignee",
    "decision_notes",
    "decisions_noted_after",
    "email_of",
    "external_author",
    "needs_decision_history",
    "plan_assignee",
    "risk_accepted_until",
    "unknown_identity",
]

ASSIGNED_TO_FIELD = "System.AssignedTo"
#: How the reasons this integration gives Conviso begin (``rules.inbound``): a status
#: history entry with such a reason was a board move, already on the card.
BOARD_REASON_PREFIX = "Azure Boards work item #"
#: How many noted decisions a link remembers (the newest): enough for any card's life.
DECISIONS_KEPT = 20

_EMAIL = re.compile(r"^[^@\s<>\"'(),;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_NAME_WITH_EMAIL = re.compile(r"<([^<>]+)>\s*$")
#: Azure DevOps' refusal of a person it does not know in an identity field:
#: "The identity value 'user@Live.com' for field 'Assigned To' is an unknown identity."
#: (Azure/azure-devops-cli-extension#272; bluebasher/WorkItemUpdater#78).
_UNKNOWN_IDENTITY = re.compile(
    r"identity value '(?P<who>[^']*)' for field '(?P<field>[^']*)' is an unknown identity",
    re.IGNORECASE,
)
#: The decisions made in Conviso that are said on the card (R24).
_NOTED_DECISIONS = (ConvisoStatus.RISK_ACCEPTED, ConvisoStatus.FALSE_POSITIVE)


def _email(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = text.strip().lower()
    return cleaned if _EMAIL.match(cleaned) else None


def email_of(value: object) -> str | None:
    """A person's e-mail out of however Azure DevOps spells an identity: an IdentityRef
    (``uniqueName``), ``Name <email>`` (resourceVersion 1.0 payloads), or the bare e-mail.
    None when no e-mail is there (an on-premises ``DOMAIN\\user``, a display name)."""
    if isinstance(value, dict):
        return _email(str(value.get("uniqueName") or "")) or email_of(value.get("displayName"))
    if not isinstance(value, str):
        return None
    found = _NAME_WITH_EMAIL.search(value)
    return _email(found.group(1) if found else value)


def conviso_assignee(vulnerability: Vulnerability) -> str | None:
    """Conviso's assignee as an e-mail in lower case, "" when nobody; None when the
    snapshot does not say. A card has one Assigned To: the first of Conviso's users."""
    users = vulnerability.assigned_users
    if users is None:
        return None
    emails = [e for u in users if (e := _email(u.email))]
    return emails[0] if emails else ""


def assignee_on_create(route: Route, vulnerability: Vulnerability) -> str | None:
    """Who a new card is assigned to: Conviso's assignee when the route syncs them, else
    the route's ``default_assignee`` when Conviso names nobody (R23); None: nobody."""
    wanted = conviso_assignee(vulnerability) if route.assignees == "sync" else None
    return wanted or route.default_assignee or None


def assignee_to_write(
    route: Route,
    vulnerability: Vulnerability,
    link: Link,
    card_assignee: str | None,
    *,
    person_unseen: bool = False,
) -> str | None:
    """The Assigned To an update writes ("" clears it), or None: nothing to write.

    Only Conviso's change is written: its assignee differs from the one kept. A link made
    before assignees were kept writes nothing (nothing tells Conviso's change from a
    person's edit); the value is kept from now on. A card already showing it is left.
    ``person_unseen``: the card's newest revision is a person's whose event has not been
    processed yet; a different assignee on it is that person's reassignment, on its way
    to Conviso (``plan_assignee`` always sends it), and wins: writing over it would leave
    the two sides crossed once it lands."""
    if route.assignees != "sync" or link.applied_assignee is None:
        return None
    wanted = conviso_assignee(vulnerability)
    if wanted is None or wanted == link.applied_assignee:
        return None
    if card_assignee is not None and card_assignee == wanted:
        return None
    if person_unseen and card_assignee is not None:
        return None
    return wanted


def assignee_after(link: Link, vulnerability: Vulnerability) -> str | None:
    """The assignee the link keeps once a snapshot is applied: Conviso's, when it says.

    Kept whatever the route's ``assignees``, so turning sync on later starts from what
    Conviso has; and kept even when the card could not take it (an unknown person), so
    the next snapshot does not try again."""
    wanted = conviso_assignee(vulnerability)
    return link.applied_assignee if wanted is None else wanted


def plan_assignee(
    change: BoardChange, *, route: Route, link: Link
) -> ChangeConvisoAssignee | Skip | None:
    """Boards → Conviso: what a revision that changed Assigned To asks (R23).

    None when the revision did not change it. Screening (echoes, stale revisions) has
    already happened; what is left is a person's change, sent when it differs from what
    Conviso is known to have."""
    if change.assigned_to is None:
        return None
    if route.assignees != "sync":
        return Skip(
            reason=SkipReason.NO_STATUS_CHANGE,
            message=f"work item #{change.work_item_id}: Assigned To changed; route "
            f"{route.key} does not sync assignees",
        )
    # Sent even when it equals the assignee kept: the link may not know yet a write of
    # Conviso's assignee that landed (its answer, or the link's save, lost), and a person's
    # reassignment must never be dropped on such a guess. Echoes were screened before.
    return ChangeConvisoAssignee(
        vulnerability_id=link.vulnerability_id,
        work_item_id=change.work_item_id,
        assignee=change.assigned_to,
        by=change.revised_by_name or change.revised_by_email,
    )


def unknown_identity(message: str) -> str | None:
    """The person named by Azure DevOps' "unknown identity" refusal of an identity field
    (Assigned To), or None when the refusal is about something else."""
    found = _UNKNOWN_IDENTITY.search(message or "")
    return found.group("who") if found else None


def unknown_assignee_warning(
    vulnerability_id: str, work_item_id: int | None, who: str, *, side: str
) -> Skip:
    """The warning delivery for a person one side does not know (R23): never an error."""
    where = f"work item #{work_item_id}" if work_item_id else "the new card"
    text = (
        f"Azure DevOps does not know {who}: {where} keeps its Assigned To (Conviso "
        f"vulnerability #{vulnerability_id} is assigned to {who})"
        if side == "boards"
        else f"Conviso refused {who or 'nobody'} as the assignee of vulnerability "
        f"#{vulnerability_id} (set on {where}); Conviso keeps its assignee"
    )
    return Skip(reason=SkipReason.UNKNOWN_ASSIGNEE, message=text, level=Level.WARN)


# ------------------------------------------------------------------ decisions (R24)


def external_author(change: BoardChange) -> str | None:
    """The mover's e-mail for ``externalAuthorIdentifier``; None when no e-mail is known."""
    return _email(change.revised_by_email)


def _as_datetime(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def risk_accepted_until(change: BoardChange, route: Route, today: date) -> datetime:
    """Until when a risk accepted by this move lasts: the card's
    ``fields.risk_accepted_until`` date when it has one, else today + the route's
    ``risk_acceptance_days`` (default 90), at midnight UTC."""
    name = route.fields.get("risk_accepted_until")
    if name:
        given = next((v for k, v in change.dates.items() if k.lower() == name.lower()), None)
        moment = _as_datetime(given) if given else None
        if moment is not None:
            return moment.astimezone(UTC)
    day = today + timedelta(days=route.risk_acceptance_days)
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _decision_entry(vulnerability: Vulnerability) -> StatusHistoryEntry | None:
    """The status history entry that set the current status, when Conviso says."""
    history = vulnerability.status_history or ()
    found = [e for e in history if e.status == vulnerability.status]
    return max(found, key=lambda e: e.created_at) if found else None


def _decision_key(vulnerability: Vulnerability) -> str:
    entry = _decision_entry(vulnerability)
    if entry is not None:
        return f"status:{entry.id}"
    return f"status:{vulnerability.status.value}@{vulnerability.updated_at.isoformat()}"


def _who(entry: StatusHistoryEntry | None) -> str:
    source = entry.source if entry else None
    if source is None or not (source.email or source.name):
        return "someone (Conviso did not say who)"
    if source.name and source.email:
        return f"{source.name} <{source.email}>"
    return source.name or source.email


def _status_decision(vulnerability: Vulnerability, link: Link) -> tuple[str, str] | None:
    """(note, key) of a risk acceptance or false positive decided in Conviso, not said yet.

    A status the link already applied is no new decision of Conviso's: a board move set it
    (``rules.inbound``: the card shows it already), or the note was written. An entry whose
    reason is this integration's own ("Azure Boards work item #…") is a board move too."""
    status = vulnerability.status
    if status not in _NOTED_DECISIONS or status == link.applied_status:
        return None
    if vulnerability.status_history is None:
        # a snapshot that does not say who decided (an event): the service reads the
        # issue first (``needs_decision_history``); a note never names nobody
        return None
    key = _decision_key(vulnerability)
    if key in link.decisions_noted:
        return None
    entry = _decision_entry(vulnerability)
    if entry is not None and (entry.reason or "").startswith(BOARD_REASON_PREFIX):
        return None
    why = f": {entry.reason}" if entry is not None and entry.reason else " (no reason given)"
    when = f" on {entry.created_at.astimezone(UTC):%Y-%m-%d}" if entry is not None else ""
    if status == ConvisoStatus.RISK_ACCEPTED:
        text = (
            f"Conviso vulnerability #{vulnerability.id}: risk accepted by {_who(entry)}{when}"
            f"{why}. Until when is not readable through Conviso's API; see the vulnerability "
            "in Conviso."
        )
    else:
        text = (
            f"Conviso vulnerability #{vulnerability.id}: marked a false positive by "
            f"{_who(entry)}{when}{why}."
        )
    return history_note(text), key


def _severity_decision(vulnerability: Vulnerability, link: Link) -> tuple[str, str] | None:
    before, after = link.applied_severity, vulnerability.severity
    if before is None or after is None or before == after:
        return None
    key = f"severity:{before.value}>{after.value}@{vulnerability.updated_at.isoformat()}"
    if key in link.decisions_noted:
        return None
    text = (
        f"Conviso changed the severity of vulnerability #{vulnerability.id} from "
        f"{before.value} to {after.value} (Conviso's API does not say who or why)."
    )
    return history_note(text), key


def needs_decision_history(vulnerability: Vulnerability, link: Link | None) -> bool:
    """Whether a snapshot is a Conviso decision not yet said whose author it does not
    carry (an event without ``statusHistory``): the issue is read to name who and why."""
    return (
        link is not None
        and vulnerability.status_history is None
        and vulnerability.status in _NOTED_DECISIONS
        and vulnerability.status != link.applied_status
    )


def decision_notes(vulnerability: Vulnerability, link: Link) -> tuple[list[str], tuple[str, ...]]:
    """The notes of Conviso decisions not yet on the card, and their keys (R24)."""
    found = [
        d
        for d in (_status_decision(vulnerability, link), _severity_decision(vulnerability, link))
        if d is not None
    ]
    return [note for note, _ in found], tuple(key for _, key in found)


def decisions_noted_after(link: Link, vulnerability: Vulnerability) -> tuple[str, ...]:
    """The keys kept once a write of the snapshot landed: its decision notes went with it
    (a new card is created without one: it shows the decision's status already)."""
    _, keys = decision_notes(vulnerability, link)
    if not keys:
        return link.decisions_noted
    return (*link.decisions_noted, *keys)[-DECISIONS_KEPT:]
