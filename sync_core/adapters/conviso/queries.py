"""The GraphQL documents the Conviso client sends, as constants.

Kept in one place so the contract test can validate every one of them against the
published schema (``schema-2026.graphql``) and measure depth and complexity (Conviso
refuses queries deeper than 15 or costlier than 400 points, one point per field).

``severity`` and ``solution`` are nullable on the Finding types but non-null on the
Vulnerability types; GraphQL forbids one response key with two such types in a single
selection, so the Vulnerability fragment reads them under the aliases below and the
client folds them back.
"""

from __future__ import annotations

__all__ = [
    "CHANGE_ISSUE_STATUS",
    "CHECK_ISSUES",
    "CHECK_ISSUES_BATCH",
    "GET_ISSUE",
    "ISSUE_FIELDS",
    "LIST_ASSETS",
    "LIST_ISSUES",
    "OPERATIONS",
    "UPDATE_ISSUE_ASSIGNEE",
    "VULNERABILITY_SEVERITY_ALIAS",
    "VULNERABILITY_SOLUTION_ALIAS",
    "check_issues_document",
]

VULNERABILITY_SEVERITY_ALIAS = "vulnerabilitySeverity"
VULNERABILITY_SOLUTION_ALIAS = "vulnerabilitySolution"

#: Everything a card needs (R4) plus what the sync decides on: status, permittedStatus
#: (R7) and updatedAt (R9, R13); the remediation SLA (R20, 2026 schema), the CVSS score
#: (R21) and the asset's tags, which routes may be chosen by (R22); the assignees (R23)
#: and the status history with its authors and reasons (R24: who decided, and why).
ISSUE_FIELDS = f"""
fragment IssueFields on IssueInterface {{
  id
  title
  description
  status
  type
  category
  permittedStatus
  updatedAt
  sla {{ state dueAt daysRemaining }}
  assignedUsers {{ name email }}
  statusHistory {{ id status createdAt reason source {{ name email }} }}
  asset {{ id name assetsTagList }}
  ... on FindingInterface {{ severity solution }}
  ... on VulnerabilityInterface {{
    {VULNERABILITY_SEVERITY_ALIAS}: severity
    {VULNERABILITY_SOLUTION_ALIAS}: solution
  }}
  ... on SastFinding {{ detail {{ fileName vulnerableLine firstLine codeSnippet }} }}
  ... on ScaFinding {{
    detail {{ package affectedVersion patchedVersion cve cvssScore cvssMetric fileName }}
  }}
  ... on DastFinding {{ detail {{ url method parameters port }} }}
  ... on WebVulnerability {{ detail {{ url method parameters port }} }}
}}
"""

GET_ISSUE = (
    """
query GetIssue($id: ID!) {
  issue(id: $id) { ...IssueFields }
}
"""
    + ISSUE_FIELDS
)

#: Newest change first, so reconcile can stop paging at its watermark (R13).
LIST_ISSUES = (
    """
query ListIssues($companyId: ID!, $page: Int!, $perPage: Int!) {
  issues(
    companyId: $companyId
    pagination: {page: $page, perPage: $perPage}
    sortOptions: [{sortBy: UPDATED_AT, order: DESC}]
  ) {
    collection { ...IssueFields }
    metadata { currentPage totalPages totalCount }
  }
}
"""
    + ISSUE_FIELDS
)

CHANGE_ISSUE_STATUS = (
    """
mutation ChangeIssueStatus($input: ChangeIssueStatusInput!) {
  changeIssueStatus(input: $input) {
    issue { ...IssueFields }
  }
}
"""
    + ISSUE_FIELDS
)

#: R23: set who an issue is assigned to (2026 live API: conviso-mcp
#: ``mutations_catalog.json``; the input's fields are the least certain part of
#: schema-2026.graphql, so the client treats a GraphQL error from it as a refusal).
UPDATE_ISSUE_ASSIGNEE = """
mutation UpdateIssueAssignee($input: UpdateIssueAssigneesInput!) {
  updateIssueAssignee(input: $input) {
    assignees { name email }
  }
}
"""

#: How many issues one ``CheckIssues`` asks about (R25): one request, two points each.
CHECK_ISSUES_BATCH = 25


def check_issues_document(count: int) -> str:
    """Whether each of ``count`` issues still exists, in one request (R25).

    ``issues`` has no id filter, so each issue is one aliased ``issue(id:)`` field. That
    field is non-null: Conviso answers a missing issue with an error whose ``path`` is
    the alias (and, by GraphQL's null propagation, ``data: null``), which is how the
    client tells which of them are gone."""
    if not 1 <= count <= CHECK_ISSUES_BATCH:
        raise ValueError(f"between 1 and {CHECK_ISSUES_BATCH} issues per request")
    variables = ", ".join(f"$i{n}: ID!" for n in range(count))
    fields = "\n".join(f"  i{n}: issue(id: $i{n}) {{ id }}" for n in range(count))
    return f"query CheckIssues({variables}) {{\n{fields}\n}}\n"


#: The largest ``CheckIssues`` the client sends, for the contract tests.
CHECK_ISSUES = check_issues_document(CHECK_ISSUES_BATCH)

#: The company's assets for the admin page's asset picker (a route names an asset by id):
#: id, name and tags only, a page at a time.
LIST_ASSETS = """
query ListAssets($companyId: ID!, $page: Int!, $limit: Int!) {
  assets(companyId: $companyId, page: $page, limit: $limit) {
    collection { id name assetsTagList }
    metadata { currentPage totalPages totalCount }
  }
}
"""

#: Operation name -> document, for the contract tests.
OPERATIONS: dict[str, str] = {
    "ListAssets": LIST_ASSETS,
    "GetIssue": GET_ISSUE,
    "ListIssues": LIST_ISSUES,
    "ChangeIssueStatus": CHANGE_ISSUE_STATUS,
    "UpdateIssueAssignee": UPDATE_ISSUE_ASSIGNEE,
    "CheckIssues": CHECK_ISSUES,
}
