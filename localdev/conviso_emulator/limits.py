"""Conviso's query limits: depth at most 15, complexity at most 400 (one point per field).

The emulator refuses documents over either limit with a GraphQL error, as Conviso does
before executing; the contract tests measure the client's documents with the same code.
Fragments count where they are spread; ``__typename`` counts like any field.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["MAX_COMPLEXITY", "MAX_DEPTH", "QueryCost", "measure"]

MAX_DEPTH = 15
MAX_COMPLEXITY = 400


@dataclass(frozen=True)
class QueryCost:
    depth: int
    complexity: int

    def violations(self) -> list[str]:
        """graphql-ruby's own wording, which Conviso's API (a Rails app) answers with."""
        found = []
        if self.depth > MAX_DEPTH:
            found.append(f"Query has depth of {self.depth}, which exceeds max depth of {MAX_DEPTH}")
        if self.complexity > MAX_COMPLEXITY:
            found.append(
                f"Query has complexity of {self.complexity}, "
                f"which exceeds max complexity of {MAX_COMPLEXITY}"
            )
        return found


def measure(document: DocumentNode, operation_name: str | None = None) -> QueryCost:
    """Depth and complexity of the operation named (or the first one) in ``document``."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    if chosen is None:
        return QueryCost(depth=0, complexity=0)
    return _walk(chosen.selection_set, fragments, frozenset())


def _walk(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> QueryCost:
    depth, complexity = 0, 0
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            inner = _walk(selection.selection_set, fragments, visiting)
            depth, complexity = max(depth, inner.depth + 1), complexity + 1 + inner.complexity
            continue
        if isinstance(selection, InlineFragmentNode):
            inner = _walk(selection.selection_set, fragments, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visiting or name not in fragments:
                continue  # a cycle or an unknown fragment: validation reports it
            inner = _walk(fragments[name].selection_set, fragments, visiting | {name})
        else:  # pragma: no cover - graphql-core has no other selection kinds
            continue
        depth, complexity = max(depth, inner.depth), complexity + inner.complexity
    return QueryCost(depth=depth, complexity=complexity)
