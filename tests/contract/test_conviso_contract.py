"""Contract with Conviso's published GraphQL schema (``specs/conviso/schema-2026.graphql``).

Every document the client sends validates against it, and the emulator's schema is a
faithful subset of it: each type, field, argument, enum value and input field the
emulator defines exists there with the same type, so whatever passes against the
emulator would pass against Conviso. Skipped with a message where the specs are absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    is_required_argument,
    is_required_input_field,
    parse,
    validate,
)

from localdev.conviso_emulator import SCHEMA_FILE, emulator_schema
from sync_core.adapters.conviso.queries import OPERATIONS

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def published(specs_dir: Path) -> GraphQLSchema:
    """The published schema implements ``BaseFields`` twice per type, so skip its self-check."""
    sdl = (specs_dir / "conviso" / "schema-2026.graphql").read_text(encoding="utf-8")
    return build_schema(sdl, assume_valid=True)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_client_documents_validate_against_the_published_schema(
    published: GraphQLSchema, operation: str
) -> None:
    errors = validate(published, parse(OPERATIONS[operation]))
    assert [e.message for e in errors] == []


def _own_types(schema: GraphQLSchema) -> Iterator[GraphQLNamedType]:
    return (t for n, t in schema.type_map.items() if not n.startswith("__"))


def _field_differences(
    name: str, mine: dict[str, GraphQLField], theirs: dict[str, GraphQLField]
) -> Iterator[str]:
    for field_name, field in mine.items():
        other = theirs.get(field_name)
        if other is None:
            yield f"{name}.{field_name} is not published"
            continue
        if str(field.type) != str(other.type):
            yield f"{name}.{field_name}: {field.type} here, {other.type} published"
        for arg_name, arg in field.args.items():
            published_arg = other.args.get(arg_name)
            if published_arg is None or str(arg.type) != str(published_arg.type):
                yield f"{name}.{field_name}({arg_name}: {arg.type}) differs from the published one"
        for arg_name, arg in other.args.items():
            if is_required_argument(arg) and arg_name not in field.args:
                yield f"{name}.{field_name} lacks the required argument {arg_name}"


def _differences(mine: GraphQLNamedType, theirs: GraphQLNamedType | None) -> Iterator[str]:
    name = mine.name
    if theirs is None:
        yield f"type {name} is not published"
    elif type(mine) is not type(theirs):
        yield f"{name} is a {type(mine).__name__} here, a {type(theirs).__name__} published"
    elif isinstance(mine, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(theirs, GraphQLObjectType | GraphQLInterfaceType)
        yield from _field_differences(name, mine.fields, theirs.fields)
        published_interfaces = {i.name for i in theirs.interfaces}
        for interface in mine.interfaces:
            if interface.name not in published_interfaces:
                yield f"{name} implements {interface.name}, the published type does not"
    elif isinstance(mine, GraphQLEnumType):
        assert isinstance(theirs, GraphQLEnumType)
        for value in set(mine.values) - set(theirs.values):
            yield f"{name}.{value} is not a published value"
    elif isinstance(mine, GraphQLInputObjectType):
        assert isinstance(theirs, GraphQLInputObjectType)
        for field_name, field in mine.fields.items():
            other = theirs.fields.get(field_name)
            if other is None or str(field.type) != str(other.type):
                yield f"input {name}.{field_name}: {field.type} differs from the published one"
        for field_name, field in theirs.fields.items():
            if is_required_input_field(field) and field_name not in mine.fields:
                yield f"input {name} lacks the required field {field_name}"
    elif isinstance(mine, GraphQLUnionType):
        assert isinstance(theirs, GraphQLUnionType)
        extra = {t.name for t in mine.types} - {t.name for t in theirs.types}
        if extra:
            yield f"union {name} adds {sorted(extra)}"
    else:
        assert isinstance(mine, GraphQLScalarType)


def test_the_emulator_schema_is_a_subset_of_the_published_one(published: GraphQLSchema) -> None:
    differences = [
        d
        for t in _own_types(emulator_schema())
        for d in _differences(t, published.get_type(t.name))
    ]
    assert differences == []


def test_the_emulator_serves_the_published_root_types(published: GraphQLSchema) -> None:
    mine = emulator_schema()
    assert mine.query_type is not None and mine.mutation_type is not None
    assert published.query_type is not None and published.mutation_type is not None
    assert (mine.query_type.name, mine.mutation_type.name) == (
        published.query_type.name,
        published.mutation_type.name,
    )
    for type_name in ("SastFinding", "ScaFinding", "DastFinding", "WebVulnerability"):
        assert type_name in mine.type_map


def test_the_subset_check_notices_a_drift(published: GraphQLSchema) -> None:
    """The check itself works: a wrong nullability and an invented field are both caught."""
    drifted = build_schema(
        "type Query { issue(id: ID!): IssueInterface! }\n"
        "interface IssueInterface { id: ID! title: String inventedField: Int }"
    )
    differences = [
        d for t in _own_types(drifted) for d in _differences(t, published.get_type(t.name))
    ]
    assert "IssueInterface.title: String here, String! published" in differences
    assert "IssueInterface.inventedField is not published" in differences


def test_the_emulator_ships_its_own_schema_and_never_reads_the_specs() -> None:
    package = SCHEMA_FILE.parent
    assert SCHEMA_FILE.is_file()
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "shared/specs" not in text and "schema-2026" not in text, source.name
