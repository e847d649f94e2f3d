"""The emulator's executable schema: its own SDL subset bound to the in-memory store.

The SDL ships beside this module (``schema.graphql``); Conviso's published schema is
only read by the contract tests, never at run time. Objects are
handed to graphql-core as dicts in GraphQL's own (camelCase) shape; nested objects that
could recurse (asset -> projects -> assets) are callables, which graphql-core's default
resolver calls lazily.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
)

from .store import (
    ISSUE_TYPES,
    AssetRecord,
    CompanyRecord,
    ConvisoStore,
    IssueRecord,
    ProjectRecord,
    StatusRefused,
    UnknownUser,
    UserRecord,
)

__all__ = ["SCHEMA_FILE", "emulator_schema"]

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")

_SEVERITY_RANK = {"NOTIFICATION": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
_SORT_KEYS: dict[str, Callable[[IssueRecord], Any]] = {
    "UPDATED_AT": lambda i: i.updated_at,
    "CREATED_AT": lambda i: i.created_at,
    "ID": lambda i: int(i.id) if i.id.isdigit() else i.id,
    "SEVERITY": lambda i: _SEVERITY_RANK.get(i.severity or "", -1),
    "RISK_SCORE": lambda i: _SEVERITY_RANK.get(i.severity or "", -1),
    "SLA_DUE_AT": lambda i: i.created_at,
}
_AUTHOR = {"id": "1", "email": "scanner@conviso.test", "name": "Conviso Scanner"}


@cache
def emulator_schema() -> GraphQLSchema:
    """Build the schema once and attach resolvers; graphql-core schemas are reusable."""
    schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    for name in ("IssueInterface", "FindingInterface", "VulnerabilityInterface"):
        interface = schema.type_map[name]
        if isinstance(interface, GraphQLInterfaceType):
            interface.resolve_type = _issue_type
    query, mutation = schema.query_type, schema.mutation_type
    if query is None or mutation is None:
        raise RuntimeError(f"{SCHEMA_FILE.name} must define Query and Mutation")
    for field_name, resolver in _QUERY_RESOLVERS.items():
        query.fields[field_name].resolve = resolver
    mutation.fields["changeIssueStatus"].resolve = _change_issue_status
    mutation.fields["updateIssueAssignee"].resolve = _update_issue_assignee
    return schema


def _issue_type(value: dict[str, Any], *_: object) -> str:
    return str(value["__typename"])


def _store(info: GraphQLResolveInfo) -> ConvisoStore:
    store: ConvisoStore = info.context
    return store


# ----------------------------------------------------------------------- queries


def _issue(_root: object, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    store = _store(info)
    issue = store.issues.get(id)
    if issue is None:
        raise GraphQLError(f"Couldn't find Issue with 'id'={id}")
    return _issue_view(store, issue)


def _issues(
    _root: object,
    info: GraphQLResolveInfo,
    companyId: str,  # noqa: N803 - GraphQL argument names
    pagination: dict[str, int],
    filters: dict[str, Any] | None = None,
    sortOptions: Sequence[dict[str, str]] | None = None,  # noqa: N803
) -> dict[str, Any]:
    store = _store(info)
    _company(store, companyId)
    chosen = [
        i
        for i in store.issues.values()
        if store.assets[i.asset_id].company_id == companyId and _matches(i, filters or {})
    ]
    chosen.sort(key=_SORT_KEYS["ID"], reverse=True)  # stable tie-break, newest id first
    for option in reversed(sortOptions or [{"sortBy": "CREATED_AT", "order": "DESC"}]):
        key = _SORT_KEYS[option["sortBy"]]
        chosen.sort(key=key, reverse=option.get("order", "DESC") == "DESC")
    items, metadata = _paginate(chosen, pagination.get("page", 1), pagination.get("perPage", 10))
    return {"collection": [_issue_view(store, i) for i in items], "metadata": metadata}


def _matches(issue: IssueRecord, filters: dict[str, Any]) -> bool:
    checks = (
        ("statuses", issue.status),
        ("severities", issue.severity),
        ("failureTypes", issue.type),
        ("assetIds", issue.asset_id),
        ("projectIds", issue.project_id),
    )
    if any(filters.get(name) and value not in filters[name] for name, value in checks):
        return False
    return not filters.get("title") or filters["title"].lower() in issue.title.lower()


def _company_query(_root: object, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    company = _store(info).companies.get(id)
    return _company_view(company) if company else None


def _companies(
    _root: object, info: GraphQLResolveInfo, page: int = 1, limit: int = 10
) -> dict[str, Any]:
    companies = sorted(_store(info).companies.values(), key=lambda c: c.id)
    items, metadata = _paginate(companies, page, limit)
    return {"collection": [_company_view(c) for c in items], "metadata": metadata}


def _asset(_root: object, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    store = _store(info)
    if id not in store.assets:
        raise GraphQLError(f"Couldn't find Asset with 'id'={id}")
    return _asset_view(store, store.assets[id])


def _assets(
    _root: object,
    info: GraphQLResolveInfo,
    companyId: str,  # noqa: N803
    page: int = 1,
    limit: int = 10,
) -> dict[str, Any]:
    store = _store(info)
    _company(store, companyId)
    assets = [a for a in store.assets.values() if a.company_id == companyId]
    items, metadata = _paginate(assets, page, limit)
    return {"collection": [_asset_view(store, a) for a in items], "metadata": metadata}


def _project(_root: object, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    store = _store(info)
    project = store.projects.get(id)
    return _project_view(store, project) if project else None


def _projects(
    _root: object,
    info: GraphQLResolveInfo,
    page: int = 1,
    limit: int = 10,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    store = _store(info)
    scope = (params or {}).get("scopeIdEq")
    _company(store, scope or "")  # Conviso needs the scope here (context-and-identifiers)
    projects = [p for p in store.projects.values() if p.company_id == scope]
    items, metadata = _paginate(projects, page, limit)
    return {"collection": [_project_view(store, p) for p in items], "metadata": metadata}


_QUERY_RESOLVERS: dict[str, Callable[..., Any]] = {
    "issue": _issue,
    "issues": _issues,
    "company": _company_query,
    "companies": _companies,
    "asset": _asset,
    "assets": _assets,
    "project": _project,
    "projects": _projects,
}


# ---------------------------------------------------------------------- mutations


def _change_issue_status(
    _root: object, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    store = _store(info)
    if input["id"] not in store.issues:
        raise GraphQLError(f"Couldn't find Issue with 'id'={input['id']}")
    until = input.get("riskAcceptedUntil")
    try:
        issue = store.change_status(
            input["id"],
            input["status"],
            input.get("reason"),
            source="api",
            external_author=input.get("externalAuthorIdentifier"),
            # ISO8601DateTime is a custom scalar: graphql-core hands its text over as is
            risk_accepted_until=_parse_moment(until) if until else None,
        )
    except StatusRefused as refused:
        raise GraphQLError(str(refused)) from refused
    return {
        "clientMutationId": input.get("clientMutationId"),
        "issue": _issue_view(store, store.issues[issue.id]),
    }


def _update_issue_assignee(
    _root: object, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """R23: set the issue's assignees. An e-mail that is no user of the company is refused
    with a GraphQL error: the real API's wording is not known, the emulator is strict."""
    store = _store(info)
    issue_id = str(input["issueId"])
    if issue_id not in store.issues:
        raise GraphQLError(f"Couldn't find Issue with 'id'={issue_id}")
    try:
        issue = store.assign(issue_id, list(input["assigneeEmails"]), source="api")
    except UnknownUser as refused:
        raise GraphQLError(str(refused)) from refused
    return {
        "clientMutationId": input.get("clientMutationId"),
        "assignees": [_user_view(store.users[e]) for e in issue.assignees],
    }


def _parse_moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphQLError(f"riskAcceptedUntil: '{text}' is not an ISO 8601 date-time") from exc


# -------------------------------------------------------------------------- views


def _user_view(user: UserRecord) -> dict[str, Any]:
    return {"id": user.id or user.email, "email": user.email, "name": user.name}


def _company(store: ConvisoStore, company_id: str) -> CompanyRecord:
    company = store.companies.get(company_id)
    if company is None:
        raise GraphQLError(f"Scope - Resource not accessible for id: {company_id}")
    return company


def _paginate(
    items: Sequence[Any], page: int, per_page: int
) -> tuple[Sequence[Any], dict[str, int]]:
    if page < 1 or per_page < 1:
        raise GraphQLError("page and perPage must be positive")
    start = (page - 1) * per_page
    return items[start : start + per_page], {
        "currentPage": page,
        "limitValue": per_page,
        "totalCount": len(items),
        "totalPages": math.ceil(len(items) / per_page),
    }


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _company_view(company: CompanyRecord) -> dict[str, Any]:
    stamp = _stamp(company.created_at)
    return {"id": company.id, "label": company.label, "createdAt": stamp, "updatedAt": stamp}


def _asset_view(store: ConvisoStore, asset: AssetRecord) -> dict[str, Any]:
    stamp = _stamp(asset.created_at)
    return {
        "id": asset.id,
        "name": asset.name,
        "url": asset.url,
        "assetsTagList": list(asset.tags),
        "createdAt": stamp,
        "updatedAt": stamp,
        "company": _company_view(store.companies[asset.company_id]),
        "projects": lambda _info, **_args: [
            _project_view(store, p) for p in store.projects.values() if asset.id in p.asset_ids
        ],
    }


def _project_view(store: ConvisoStore, project: ProjectRecord) -> dict[str, Any]:
    stamp = _stamp(project.created_at)
    return {
        "id": project.id,
        "label": project.label,
        "type": project.type,
        "isOpen": project.is_open,
        "status": "Open" if project.is_open else "Done",
        "startDate": stamp,
        "createdAt": stamp,
        "updatedAt": stamp,
        "company": _company_view(store.companies[project.company_id]),
        "assets": lambda _info: [
            _asset_view(store, store.assets[a]) for a in project.asset_ids if a in store.assets
        ],
    }


def _issue_view(store: ConvisoStore, issue: IssueRecord) -> dict[str, Any]:
    vulnerability = issue.type.endswith("_VULNERABILITY")
    project = store.projects.get(issue.project_id or "")
    return {
        "__typename": ISSUE_TYPES[issue.type],
        "id": issue.id,
        "title": issue.title,
        "description": issue.description,
        "status": issue.status,
        "type": issue.type,
        "category": issue.category,
        "patterns": None,
        "reference": None,
        "severity": issue.severity or ("LOW" if vulnerability else None),
        "solution": issue.solution or ("" if vulnerability else None),
        "permittedStatus": issue.permitted_status,
        "createdAt": _stamp(issue.created_at),
        "updatedAt": _stamp(issue.updated_at),
        "asset": _asset_view(store, store.assets[issue.asset_id]),
        "project": _project_view(store, project) if project else None,
        "author": _AUTHOR,
        # R24: each change names who made it (``source``) and why (``reason``)
        "statusHistory": [
            {
                "id": f"{issue.id}-{n}",
                "createdAt": _stamp(change.at),
                "status": change.status,
                "reason": change.reason,
                "source": _user_view(change.author),
                "previous": None,
            }
            for n, change in enumerate(issue.history, start=1)
        ],
        # R23: who the issue is assigned to
        "assignedUsers": [_user_view(store.users.get(e) or UserRecord(e)) for e in issue.assignees],
        "detail": {"id": issue.id, **issue.detail},
        "fingerprint": issue.fingerprint,
        "originalIssueIdFromTool": None,
        "scanSource": None,
        "impactLevel": "MEDIUM" if vulnerability else None,
        "probabilityLevel": "MEDIUM" if vulnerability else None,
        "compromisedEnvironment": False,
        "impactDescription": "",
        "stepsToReproduce": "",
        "summary": "",
        "sla": _sla_view(issue.sla),
    }


def _sla_view(sla: dict[str, Any] | None) -> dict[str, Any] | None:
    if sla is None:
        return None
    due = sla.get("dueAt")
    return {
        "state": sla.get("state"),
        "dueAt": _stamp(due) if isinstance(due, datetime) else due,
        "daysRemaining": sla.get("daysRemaining"),
    }
