"""Conviso → Boards: what one vulnerability snapshot asks of its card (R2, R4, R5, R6, R9).

``plan_outbound`` is the whole rule. It takes the snapshot, the configuration, the route,
the board, the link and the card as they are, and returns one decision. The service
loads those and executes the decision; nothing here performs I/O.
"""

from __future__ import annotations

from .board_fit import route_problems
from .card import card_tags, card_title, describe, history_note, vulnerability_url
from .decisions import (
    CreateWorkItem,
    Level,
    OutboundDecision,
    Skip,
    SkipReason,
    UpdateWorkItem,
)
from .fields import applied_after, changed_fields, create_fields, noted_after, sla_note
from .models import BoardLayout, IntegrationConfig, Link, Route, Vulnerability, WorkItemView
from .people import (
    ASSIGNED_TO_FIELD,
    assignee_after,
    assignee_on_create,
    assignee_to_write,
    decision_notes,
    decisions_noted_after,
)
from .position import position_fields, read_position
from .severity import passes_policy, priority_for
from .targets import target_of
from .vocabulary import (
    AREA_PATH_FIELD,
    DESCRIPTION_FIELD,
    HISTORY_FIELD,
    ITERATION_PATH_FIELD,
    NEVER_CARDED,
    PRIORITY_FIELD,
    STATE_FIELD,
    TITLE_FIELD,
    ConvisoStatus,
)

__all__ = ["creatable_position", "is_stale", "plan_outbound", "record_applied"]

#: A card whose vulnerability comes back in one of these is reopened with a note (R6).
_REOPENED_FROM = frozenset({ConvisoStatus.FIX_ACCEPTED, ConvisoStatus.AWAITING_VALIDATION})

FieldMap = dict[str, str | int]


def is_stale(vulnerability: Vulnerability, link: Link | None) -> bool:
    """R9: a snapshot older than the one already applied changes nothing."""
    return (
        link is not None
        and link.applied_updated_at is not None
        and vulnerability.updated_at < link.applied_updated_at
    )


def record_applied(
    link: Link,
    vulnerability: Vulnerability,
    *,
    rev_written: int | None,
    written: WorkItemView | None = None,
) -> Link:
    """The link after a snapshot was applied (written or found already in sync).

    ``written``: the card as our write's answer shows it; it becomes the card kept, and
    its author the identity our writes are made as (``writer_id``)."""
    changes: dict[str, object] = {
        "applied_status": vulnerability.status,
        "applied_severity": vulnerability.severity,
        "applied_updated_at": vulnerability.updated_at,
        # R20, R21: Conviso's field values as applied; a later change of one is Conviso's
        "applied_fields": applied_after(link, vulnerability),
        # R25: Conviso returns the vulnerability (again)
        "vanished_at": None,
        # R23: Conviso's assignee as known now; a later change of it is Conviso's
        "applied_assignee": assignee_after(link, vulnerability),
    }
    if rev_written is not None:
        changes["last_rev_written"] = max(link.last_rev_written, rev_written)
        # R20: a write of this snapshot carried its SLA note (a create says the deadline
        # in its field instead), so that state is never said again
        changes["sla_noted"] = noted_after(link, vulnerability)
        # R24: the same for the Conviso decisions said on the card
        changes["decisions_noted"] = decisions_noted_after(link, vulnerability)
    if written is not None:
        changes["card"] = written
        changes["writer_id"] = written.changed_by_id or link.writer_id
    return link.model_copy(update=changes)


def _may_create(vulnerability: Vulnerability, route: Route, *, backfill: bool) -> bool:
    """R2: a live event creates only on IDENTIFIED; backfill also in a later mapped status."""
    if vulnerability.status == ConvisoStatus.IDENTIFIED:
        return True
    return (
        backfill
        and vulnerability.status not in NEVER_CARDED
        and vulnerability.status in route.status_map
    )


def _create(
    vulnerability: Vulnerability,
    config: IntegrationConfig,
    route: Route,
    layout: BoardLayout,
    *,
    replaces: int | None,
) -> CreateWorkItem:
    # R21: the route's defaults and mapped fields first: nothing of them can replace what
    # the sync itself writes (the configuration refuses those field names)
    fields: FieldMap = create_fields(route, vulnerability)
    fields.update(
        {
            TITLE_FIELD: card_title(vulnerability),
            DESCRIPTION_FIELD: describe(config, vulnerability),
            PRIORITY_FIELD: priority_for(config, vulnerability.severity),
        }
    )
    fields.update(creatable_position(route, layout, vulnerability.status))
    if route.lane is not None and layout.lane_field is not None:
        fields[layout.lane_field] = route.lane
    if route.area_path:
        fields[AREA_PATH_FIELD] = route.area_path
    elif layout.team_field and layout.team_default:
        # R3: a card is on a team's board only in one of the team's areas; without one it
        # would land in the project's root area, off the board its column is written for.
        fields[layout.team_field] = layout.team_default
    if route.iteration_path:
        fields[ITERATION_PATH_FIELD] = route.iteration_path
    assignee = assignee_on_create(route, vulnerability)
    if assignee:
        # R23: in the create itself (no extra request)
        fields[ASSIGNED_TO_FIELD] = assignee
    if replaces is not None:
        fields[HISTORY_FIELD] = history_note(
            f"Replaces work item #{replaces}, which was deleted in Azure Boards while "
            f"Conviso vulnerability #{vulnerability.id} is still open."
        )
    return CreateWorkItem(
        vulnerability_id=vulnerability.id,
        project=route.project,
        work_item_type=route.work_item_type,
        fields=fields,
        tags=card_tags(vulnerability.id),
        hyperlink=vulnerability_url(config, vulnerability.id),
        status=vulnerability.status,
        replaces_work_item_id=replaces,
    )


def creatable_position(route: Route, layout: BoardLayout, status: ConvisoStatus) -> FieldMap:
    """The part of ``status``'s position a create may carry (R5).

    Azure Boards creates a work item only in its type's initial state; a target in another
    state (or a column of another state) is reached by one guarded update right after the
    create, which the service makes when the new card does not read as its status yet."""
    target = position_fields(route, layout, status, None)
    initial = layout.initial_state()
    if initial is None:
        return {}
    state = target.get(STATE_FIELD, initial)
    column = target.get(layout.column_field)
    column_state = None
    if column is not None:
        found = layout.column(str(column))
        column_state = found.state_mappings.get(route.work_item_type) if found else None
    if state != initial or (column is not None and column_state != initial):
        return {}
    return dict(target)


def _first_card(
    vulnerability: Vulnerability,
    config: IntegrationConfig,
    route: Route,
    layout: BoardLayout,
    *,
    backfill: bool,
    replaces: int | None = None,
) -> OutboundDecision:
    if not _may_create(vulnerability, route, backfill=backfill):
        return Skip(
            reason=SkipReason.NOT_IDENTIFIED,
            message=f"status {vulnerability.status.value} does not create a card",
        )
    if not passes_policy(config, vulnerability.severity):
        severity = vulnerability.severity.value if vulnerability.severity else "none"
        return Skip(
            reason=SkipReason.SEVERITY_POLICY,
            message=f"severity {severity} is outside the integration's severity policy",
        )
    return _create(vulnerability, config, route, layout, replaces=replaces)


def _priority_change(
    vulnerability: Vulnerability, config: IntegrationConfig, link: Link, card: WorkItemView
) -> FieldMap:
    """R4: priority follows Conviso only when Conviso's severity changed; a person's edit stays."""
    if link.applied_severity is None or vulnerability.severity == link.applied_severity:
        return {}
    priority = priority_for(config, vulnerability.severity)
    return {} if card.priority == priority else {PRIORITY_FIELD: priority}


def _update(
    vulnerability: Vulnerability,
    config: IntegrationConfig,
    route: Route,
    layout: BoardLayout,
    link: Link,
    card: WorkItemView,
) -> OutboundDecision:
    status = vulnerability.status
    fields: FieldMap = {}
    mapped = target_of(route, layout, status) is not None
    if mapped:
        reading = read_position(route, layout, state=card.state, column=card.column, current=status)
        if reading.status != status:
            fields.update(position_fields(route, layout, status, card))
    fields.update(_priority_change(vulnerability, config, link, card))
    # R20, R21: the mapped fields Conviso changed, in the same patch (one write per change)
    fields.update(changed_fields(route, vulnerability, link))
    # R23: Conviso's reassignment, in the same patch
    ours = config.service_identity or link.writer_id
    person_unseen = (
        card.rev > max(link.last_rev_written, link.last_rev_seen)
        and card.changed_by_id is not None
        and card.changed_by_id != ours
    )
    assignee = assignee_to_write(
        route, vulnerability, link, card.assigned_to, person_unseen=person_unseen
    )
    if assignee is not None:
        fields[ASSIGNED_TO_FIELD] = assignee
    notes: list[str] = []
    reopen = status == ConvisoStatus.IDENTIFIED and link.applied_status in _REOPENED_FROM
    if reopen:
        previous = link.applied_status.value if link.applied_status else ""
        notes.append(
            history_note(
                f"Conviso vulnerability #{vulnerability.id} was found again by a scan after "
                f"{previous}: the card is reopened (status IDENTIFIED)."
            )
        )
    deadline = sla_note(vulnerability, link)
    if deadline is not None:
        notes.append(deadline)
    # R24: a decision made in Conviso (risk accepted, false positive, severity), once
    notes.extend(decision_notes(vulnerability, link)[0])
    if notes:
        fields[HISTORY_FIELD] = "".join(notes)
    if not fields:
        if not mapped:
            return Skip(
                reason=SkipReason.UNMAPPED_STATUS,
                message=f"status {status.value} is not mapped on route {route.key}: card stays",
            )
        return Skip(reason=SkipReason.IN_SYNC, message=f"card already shows {status.value}")
    return UpdateWorkItem(
        vulnerability_id=vulnerability.id,
        work_item_id=card.id,
        expected_rev=card.rev,
        fields=fields,
        status=status,
        reopen=reopen,
    )


def plan_outbound(
    vulnerability: Vulnerability,
    *,
    config: IntegrationConfig,
    route: Route | None,
    layout: BoardLayout | None,
    link: Link | None,
    card: WorkItemView | None,
    backfill: bool = False,
) -> OutboundDecision:
    """One decision for one snapshot: create, update (one patch), or skip with a reason.

    ``link`` is what storage remembers; ``card`` is the linked work item as Azure Boards
    shows it (``None`` when there is no link or the item was deleted).
    """
    if is_stale(vulnerability, link):
        return Skip(
            reason=SkipReason.STALE_SNAPSHOT, message="an older snapshot than the one applied"
        )
    if route is None:
        return Skip(
            reason=SkipReason.NO_ROUTE,
            message=f"no route for asset {vulnerability.asset.id} and no default route",
        )
    if layout is None:
        raise ValueError("a route's board layout is needed to plan a write")
    problems = route_problems(route, layout)
    if problems:
        return Skip(reason=SkipReason.CONFIGURATION, message="; ".join(problems), level=Level.ERROR)
    if link is None:
        return _first_card(vulnerability, config, route, layout, backfill=backfill)
    if card is None:
        if vulnerability.status != ConvisoStatus.IDENTIFIED:
            return Skip(
                reason=SkipReason.WORK_ITEM_DELETED,
                message=f"work item #{link.work_item_id} was deleted in Azure Boards",
                level=Level.WARN,
            )
        return _first_card(
            vulnerability, config, route, layout, backfill=backfill, replaces=link.work_item_id
        )
    decision = _update(vulnerability, config, route, layout, link, card)
    if isinstance(decision, UpdateWorkItem) and _moved_by_person(vulnerability, config, link, card):
        return Skip(
            reason=SkipReason.MOVED_BY_PERSON,
            message=f"work item #{card.id} was moved by a person after this status was applied; "
            "the move goes to Conviso (R7), the card is left where it was put",
        )
    return decision


def _moved_by_person(
    vulnerability: Vulnerability, config: IntegrationConfig, link: Link, card: WorkItemView
) -> bool:
    """A person's move wins over a snapshot that is not newer than the status applied.

    The card's revision is neither ours (by the identity our writes are made as) nor known
    to the link, and Conviso has not changed since: a move whose hook event is still on its
    way. Writing the applied status back would undo it — and, once the event is processed,
    the card would be written again: a loop of two writes a person sees as a jump. A newer
    snapshot (Conviso changed meanwhile) is applied as usual: the later change wins (R9)."""
    ours = config.service_identity or link.writer_id
    return (
        ours is not None
        and card.changed_by_id is not None
        and card.changed_by_id != ours
        and card.rev > link.last_rev_written
        and link.applied_updated_at is not None
        and vulnerability.updated_at <= link.applied_updated_at
    )
