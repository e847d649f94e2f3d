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
    "GET_ISSUE",
    "ISSUE_FIELDS",
    "LIST_ISSUES",
    "OPERATIONS",
    "VULNERABILITY_SEVERITY_ALIAS",
    "VULNERABILITY_SOLUTION_ALIAS",
]

VULNERABILITY_SEVERITY_ALIAS = "vulnerabilitySeverity"
VULNERABILITY_SOLUTION_ALIAS = "vulnerabilitySolution"

#: Everything a card needs (R4) plus what the sync decides on: status, permittedStatus
#: (R7) and updatedAt (R9, R13).
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
  asset {{ id name }}
  ... on FindingInterface {{ severity solution }}
  ... on VulnerabilityInterface {{
    {VULNERABILITY_SEVERITY_ALIAS}: severity
    {VULNERABILITY_SOLUTION_ALIAS}: solution
  }}
  ... on SastFinding {{ detail {{ fileName vulnerableLine firstLine codeSnippet }} }}
  ... on ScaFinding {{ detail {{ package affectedVersion patchedVersion cve fileName }} }}
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

#: Operation name -> document, for the contract tests.
OPERATIONS: dict[str, str] = {
    "GetIssue": GET_ISSUE,
    "ListIssues": LIST_ISSUES,
    "ChangeIssueStatus": CHANGE_ISSUE_STATUS,
}
