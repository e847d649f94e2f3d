"""Hypothesis strategies for request bodies, built from the app's own pydantic models.

``from_model(Model)`` draws documents from the model's JSON schema: mostly shaped like the
model (so a request gets past the first checks and reaches the deeper ones), with a share
of off-schema values at every level (wrong types, unknown keys, missing required keys,
huge numbers, odd strings), because bad input is exactly what is being thrown.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

#: how many times out of ten a value keeps to its schema
ON_SCHEMA = 8

_WEIRD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "é",
        "𝔘",
        "a" * 300,
        "../..",
        "%00",
        "<b>x</b>",
        "'; drop table",
        "\ud800x",
        "NaN",
        "1e999",
        "-1",
        "9" * 40,
        "null",
        "[key]",
    ]
)
TEXT = st.one_of(st.text(max_size=40), _WEIRD_TEXT)
#: text a client can put in a URL or a header (UTF-8 encodable: no lone surrogates)
URL_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    _WEIRD_TEXT.filter(lambda t: "\ud800" not in t),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _off_schema(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The schema's value most of the time, anything else the rest."""
    return st.integers(0, 9).flatmap(lambda n: strategy if n < ON_SCHEMA else ANY_JSON)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return defs[ref.rsplit("/", 1)[-1]]
    return schema


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
    fitting = st.text(min_size=low, max_size=min(high, low + 40))
    if schema.get("format") == "date-time":
        fitting = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
            lambda d: d.isoformat()
        )
    edges = [
        st.text(min_size=high + 1, max_size=high + 3) if high < 5000 else st.nothing(),
        st.just(""),
        _WEIRD_TEXT,
    ]
    return st.one_of(fitting, fitting, fitting, *edges)


def _integer(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    fitting = st.integers(min_value=low, max_value=high)
    edges = [st.just(v) for v in (low, high) if v is not None]
    edges += [st.just(v - 1) for v in (low,) if v is not None]
    edges += [st.just(v + 1) for v in (high,) if v is not None]
    return st.one_of(fitting, fitting, *edges)


def _object(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties")
    if not properties:
        value = from_schema(extra, defs, depth + 1) if isinstance(extra, dict) else ANY_JSON
        keys = TEXT
        names = schema.get("propertyNames")
        if isinstance(names, dict):
            keys = st.one_of(from_schema(names, defs, depth + 1), TEXT).filter(
                lambda k: isinstance(k, str)
            )
        return st.dictionaries(keys, value, max_size=6)
    drawn = {name: from_schema(sub, defs, depth + 1) for name, sub in properties.items()}

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, strategy in drawn.items():
            keep = name in required or draw(st.booleans())
            if keep and draw(st.integers(0, 30)) == 0:
                keep = False  # a required key missing, now and then
            if keep:
                out[name] = draw(strategy)
        if draw(st.integers(0, 15)) == 0:
            out[draw(TEXT)] = draw(ANY_JSON)  # an unknown key
        return out

    return build()


def from_schema(
    schema: dict[str, Any], defs: dict[str, Any], depth: int = 0
) -> st.SearchStrategy[Any]:
    """A strategy for one JSON-schema node (the subset pydantic emits)."""
    schema = _resolve(schema, defs)
    if depth > 6:
        return SCALARS
    if "const" in schema:
        return _off_schema(st.just(schema["const"]))
    if "enum" in schema:
        return _off_schema(st.sampled_from(schema["enum"]))
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of([from_schema(s, defs, depth) for s in schema[key]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        strategy = _object(schema, defs, depth)
    elif kind == "array":
        items = from_schema(schema.get("items", {}), defs, depth + 1)
        low = schema.get("minItems", 0)
        strategy = st.lists(items, min_size=low, max_size=min(schema.get("maxItems", 4), low + 3))
    elif kind == "string":
        strategy = _string(schema)
    elif kind == "integer":
        strategy = _integer(schema)
    elif kind == "number":
        strategy = NUMBERS
    elif kind == "boolean":
        strategy = st.booleans()
    elif kind == "null":
        strategy = st.none()
    else:
        strategy = ANY_JSON
    return _off_schema(strategy)


def from_model(model: type[BaseModel], *, by_alias: bool = True) -> st.SearchStrategy[Any]:
    """Documents shaped (mostly) like ``model`` as it is read from JSON."""
    schema = model.model_json_schema(by_alias=by_alias, mode="validation")
    return from_schema(schema, schema.get("$defs", {}))


def mutated(document: Any) -> st.SearchStrategy[Any]:
    """A valid document with one thing wrong: a value replaced, a key dropped or added."""

    def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix]
        if isinstance(node, dict):
            for key, value in node.items():
                found += paths(value, (*prefix, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += paths(value, (*prefix, index))
        return found

    import copy

    candidates = paths(document)[1:]

    @st.composite
    def change(draw: st.DrawFn) -> Any:
        out = copy.deepcopy(document)
        path = draw(st.sampled_from(candidates))
        parent = out
        for part in path[:-1]:
            parent = parent[part]
        how = draw(st.sampled_from(["replace", "drop", "add"]))
        if how == "replace" or (how == "drop" and isinstance(parent, list)):
            parent[path[-1]] = draw(ANY_JSON)
        elif how == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(TEXT)] = draw(ANY_JSON)
        else:
            parent.append(draw(ANY_JSON))
        return out

    return change()
