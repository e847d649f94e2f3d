"""The JSON shapes the emulator answers with, key for key like the official httpExamples."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .work_items import WorkItemRecord
from .world import (
    BoardState,
    ClassificationNode,
    FieldSpec,
    Person,
    ProcessType,
    ProjectState,
    TeamState,
    World,
)

__all__ = [
    "board_json",
    "board_ref_json",
    "classification_node_json",
    "column_json",
    "connection_data_json",
    "listing",
    "project_json",
    "row_json",
    "state_json",
    "team_field_values_json",
    "team_json",
    "work_item_json",
    "work_item_type_json",
]


def listing(values: list[Any]) -> dict[str, Any]:
    """Lists are ``{"count", "value"}`` on the wire, whatever the spec's schema says."""
    return {"count": len(values), "value": values}


def connection_data_json(world: World, who: Person) -> dict[str, Any]:
    user = {
        "id": who.id,
        "descriptor": f"Microsoft.IdentityModel.Claims.ClaimsIdentity;{who.unique_name}",
        "subjectDescriptor": f"aad.{who.id}",
        "providerDisplayName": who.display_name,
        "isActive": True,
        "properties": {"Account": {"$type": "System.String", "$value": who.unique_name}},
        "resourceVersion": 2,
        "metaTypeId": 0,
    }
    return {
        "authenticatedUser": user,
        "authorizedUser": user,
        "instanceId": world.collection_id,
        "deploymentId": world.account_id,
        "deploymentType": "hosted",
        "locationServiceData": {
            "serviceOwner": "00025394-6065-48ca-87d9-7f5672854ef7",
            "defaultAccessMappingMoniker": "PublicAccessMapping",
            "lastChangeId": 1,
            "lastChangeId64": 1,
        },
    }


def project_json(org_url: str, project: ProjectState) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "url": f"{org_url}/_apis/projects/{project.id}",
        "state": "wellFormed",
        "revision": 1,
        "visibility": "private",
        "lastUpdateTime": "2026-01-01T00:00:00Z",
    }


def team_json(org_url: str, project: ProjectState, team: TeamState) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "url": f"{org_url}/_apis/projects/{project.id}/teams/{team.id}",
        "description": team.description,
        "identityUrl": f"{org_url}/_apis/Identities/{team.id}",
        "projectName": project.name,
        "projectId": project.id,
    }


def _board_url(org_url: str, project: ProjectState, team: TeamState, board: BoardState) -> str:
    return f"{org_url}/{project.id}/{team.id}/_apis/work/boards/{board.id}"


def board_ref_json(
    org_url: str, project: ProjectState, team: TeamState, board: BoardState
) -> dict[str, Any]:
    return {"id": board.id, "url": _board_url(org_url, project, team, board), "name": board.name}


def column_json(column: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": column["id"],
        "name": column["name"],
        "itemLimit": column.get("itemLimit", 0),
        "stateMappings": dict(column.get("stateMappings", {})),
        "isSplit": bool(column.get("isSplit", False)),
        "description": column.get("description", ""),
        "columnType": column.get("columnType", "inProgress"),
    }


def row_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row.get("name"), "color": row.get("color")}


def board_json(
    org_url: str, project: ProjectState, team: TeamState, board: BoardState
) -> dict[str, Any]:
    url = _board_url(org_url, project, team, board)
    fields_url = f"{org_url}/_apis/wit/fields"
    return {
        "id": board.id,
        "url": url,
        "name": board.name,
        "revision": 1,
        "columns": [column_json(c) for c in board.columns],
        "rows": [row_json(r) for r in board.rows],
        "isValid": True,
        "allowedMappings": _allowed_mappings(project, board),
        "canEdit": True,
        "fields": {
            "columnField": {
                "referenceName": board.column_field,
                "url": f"{fields_url}/{board.column_field}",
            },
            "rowField": {
                "referenceName": board.lane_field,
                "url": f"{fields_url}/{board.lane_field}",
            },
            "doneField": {
                "referenceName": board.done_field,
                "url": f"{fields_url}/{board.done_field}",
            },
        },
        "_links": {
            "self": {"href": url},
            "project": {"href": f"{org_url}/_apis/projects/{project.id}"},
            "team": {"href": f"{org_url}/_apis/projects/{project.id}/teams/{team.id}"},
            "columns": {"href": f"{url}/columns"},
            "rows": {"href": f"{url}/rows"},
        },
    }


def _allowed_mappings(project: ProjectState, board: BoardState) -> dict[str, Any]:
    groups = {
        "Incoming": {"Proposed"},
        "InProgress": {"InProgress", "Resolved"},
        "Outgoing": {"Completed"},
    }
    mappings: dict[str, Any] = {}
    for group, categories in groups.items():
        mappings[group] = {
            name: [s for s, category, _ in t.states if category in categories]
            for name, t in project.types.items()
            if board.holds(name)
        }
    return mappings


def work_item_type_json(
    org_url: str, project: ProjectState, process_type: ProcessType
) -> dict[str, Any]:
    url = f"{org_url}/{project.id}/_apis/wit/workItemTypes/{process_type.name}"
    states = [state_json(s) for s in process_type.states]
    names = [s[0] for s in process_type.states]
    return {
        "name": process_type.name,
        "referenceName": process_type.reference_name,
        "description": f"{process_type.name} (emulated)",
        "color": process_type.color,
        "icon": {
            "id": process_type.icon,
            "url": f"{org_url}/_apis/wit/workItemIcons/{process_type.icon}",
        },
        "isDisabled": False,
        "xmlForm": "<FORM />",
        "fields": [],
        "fieldInstances": [],
        "transitions": {
            name: [{"to": other, "actions": None} for other in names] for name in ["", *names]
        },
        "states": states,
        "url": url,
        "_links": {"self": {"href": url}},
    }


def type_field_json(org_url: str, spec: FieldSpec, *, expand: bool) -> dict[str, Any]:
    """``WorkItemTypeFieldWithReferences`` (specs: wit 7.1 httpExamples
    ``workItemTypesField/GET__workItemType_fields[_expand].json``)."""
    body: dict[str, Any] = {"alwaysRequired": spec.always_required}
    if spec.help_text:
        body["helpText"] = spec.help_text
    body["defaultValue"] = spec.default_value
    if expand:
        body["allowedValues"] = list(spec.allowed_values)
        body["dependentFields"] = []
    body.update(
        referenceName=spec.reference_name,
        name=spec.name,
        url=f"{org_url}/_apis/wit/fields/{spec.reference_name}",
    )
    return body


def state_json(state: tuple[str, str, str]) -> dict[str, Any]:
    name, category, color = state
    return {"name": name, "color": color, "category": category}


def work_item_json(
    org_url: str,
    item: WorkItemRecord,
    *,
    relations: bool = True,
    fields: list[str] | None = None,
) -> dict[str, Any]:
    url = f"{org_url}/_apis/wit/workItems/{item.id}"
    values = dict(item.fields)
    if fields:
        values = {k: v for k, v in values.items() if k in fields}
    answer: dict[str, Any] = {"id": item.id, "rev": item.rev, "fields": values}
    if relations and item.relations:
        answer["relations"] = [dict(r) for r in item.relations]
    answer["_links"] = {
        "self": {"href": url},
        "workItemUpdates": {"href": f"{url}/updates"},
        "workItemRevisions": {"href": f"{url}/revisions"},
        "workItemComments": {"href": f"{url}/comments"},
        "workItemHistory": {"href": f"{url}/history"},
        "html": {"href": f"{org_url}/web/wi.aspx?id={item.id}"},
        "workItemType": {
            "href": f"{org_url}/{item.project.id}/_apis/wit/workItemTypes/{item.type_name}"
        },
        "fields": {"href": f"{org_url}/_apis/wit/fields"},
    }
    answer["url"] = url
    return answer


def team_field_values_json(org_url: str, project: ProjectState, team: TeamState) -> dict[str, Any]:
    """Key for key like work 7.1 ``teamFieldValues/GET__work_teamsettings_teamfieldvalues.json``."""
    url = f"{org_url}/{project.id}/{team.id}/_apis/work/teamsettings/teamfieldvalues"
    return {
        "field": {
            "referenceName": "System.AreaPath",
            "url": f"{org_url}/_apis/wit/fields/System.AreaPath",
        },
        "defaultValue": team.area_path,
        "values": [{"value": v, "includeChildren": c} for v, c in team.areas],
        "url": url,
        "_links": {
            "self": {"href": url},
            "project": {"href": f"{org_url}/_apis/projects/{project.id}"},
            "team": {"href": f"{org_url}/_apis/projects/{project.id}/teams/{team.id}"},
            "teamSettings": {"href": f"{org_url}/{project.id}/{team.id}/_apis/work/teamsettings"},
            "areaPathClassificationNodes": {
                "href": f"{org_url}/{project.id}/_apis/wit/classificationNodes/Areas"
            },
        },
    }


def classification_node_json(
    org_url: str, project: ProjectState, node: ClassificationNode, depth: int
) -> dict[str, Any]:
    """Like wit 7.1 ``classificationNodes/GET__wit_classificationNodes_areas__areaPath_.json``.

    ``path`` is ``\\Project\\Area\\Sub`` (or ``\\Iteration\\``): the official example
    shows a placeholder, the real form is the one microsoft/terraform-provider-azuredevops'
    ``convertNodePath`` takes apart (it drops the first three segments).
    """
    group = "Areas" if node.structure_type == "area" else "Iterations"
    kind = "Area" if node.structure_type == "area" else "Iteration"
    base = f"{org_url}/{project.id}/_apis/wit/classificationNodes/{group}"
    url = "/".join([base, *(quote(part) for part in node.parts)])
    answer: dict[str, Any] = {
        "id": node.id,
        "identifier": node.identifier,
        "name": node.name,
        "structureType": node.structure_type,
        "hasChildren": bool(node.children),
        "path": "\\" + "\\".join((project.name, kind, *node.parts)),
    }
    if node.attributes:
        answer["attributes"] = dict(node.attributes)
    if depth > 0 and node.children:
        answer["children"] = [
            classification_node_json(org_url, project, c, depth - 1) for c in node.children
        ]
    links: dict[str, Any] = {"self": {"href": url}}
    if node.parts:
        links["parent"] = {"href": "/".join([base, *(quote(p) for p in node.parts[:-1])])}
    answer["_links"] = links
    answer["url"] = url
    return answer
