"""A refused configuration said in its own terms: ``routes[1].status_map.IDENTIFIED: ...``.

pydantic's errors name types, prefixes and input values; a person saving a configuration
needs the path of each field at fault and what it must be, never a value (it may be a
secret). Also the checks the models cannot make: text that can be stored, the secret the
chosen mode needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ...edge import BadRequest, check_body
from ...rules import IntegrationConfig
from ..errors import InvalidInput

__all__ = [
    "MAX_PROBLEMS",
    "admin_document",
    "check_text",
    "missing_secret",
    "route_problem",
    "validation_message",
]

#: how many problems one answer lists; the first few are what a person fixes next
MAX_PROBLEMS = 5
#: pydantic's names for the members of a union (``list[str-enum[Severity]]``,
#: ``literal['all']``, ``int``): they name a type, not a field, so a path never shows them
_UNION_TAG = re.compile(r"^[a-z][\w-]*\[.*\]$|^(?:str|int|float|bool|none|list|dict)$")
#: pydantic's wording, in the words the rest of the API uses
_WORDING = (
    ("Value error, ", ""),
    ("Assertion failed, ", ""),
    ("Input should be ", "must be "),
    ("String should ", "must "),
    ("List should ", "must "),
    ("Dictionary should ", "must "),
)
_PLAIN_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a setting of this configuration (check its spelling)",
}


def _plain(error: Mapping[str, Any]) -> str:
    message = _PLAIN_MESSAGES.get(str(error.get("type")))
    if message is not None:
        return message
    text = str(error.get("msg", "is not valid"))
    for theirs, ours in _WORDING:
        text = text.replace(theirs, ours)
    return text


def _split_loc(loc: Sequence[int | str]) -> tuple[str, bool, str, str]:
    """``(path, is_key, union prefix, union tag)`` of one error location.

    The path is spelled as the configuration is written: ``routes[1].status_map.IDENTIFIED``,
    ``severity_policy[1]``. A dict key that is itself wrong is followed by ``[key]`` in
    pydantic's location; it is kept as a key, whatever it looks like.
    """
    path, prefix, tag, is_key = "", "", "", False
    parts = list(loc)
    for index, part in enumerate(parts):
        following = parts[index + 1] if index + 1 < len(parts) else None
        if part == "[key]":
            is_key = True
        elif isinstance(part, int):
            path += f"[{part}]"
        elif following != "[key]" and _UNION_TAG.match(part):
            prefix, tag = path, part
        else:
            path += f".{part}" if path else part
    return path or "body", is_key, prefix, tag


def validation_message(exc: ValidationError, *, limit: int = MAX_PROBLEMS) -> str:
    """A pydantic refusal as ``path: problem; ...`` in the configuration's own terms.

    No type names, no ``Value error,`` prefixes, no input values (a value may be a
    secret). For a union (``severity_policy``: a list or ``"all"``) the member that got
    further wins; when none did, one line says what the field may be.
    """
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    deeper = {
        _split_loc(e["loc"])[2]
        for e in errors
        if _split_loc(e["loc"])[3] and _split_loc(e["loc"])[0] != _split_loc(e["loc"])[2]
    }
    alternatives: dict[str, list[str]] = {}
    lines: dict[str, list[str]] = {}
    for error in errors:
        path, is_key, prefix, tag = _split_loc(error["loc"])
        problem = _plain(error)
        if is_key:
            key = path.rsplit(".", 1)[-1][:64]
            problem = f"'{key}' is not a valid key: keys {problem}"
        if tag and path == prefix:
            if prefix not in deeper:
                alternatives.setdefault(path, []).append(problem.removeprefix("must be "))
                lines.setdefault(path, [])  # keeps the field's place in the answer
            continue
        lines.setdefault(path, []).append(problem)
    for path, options in alternatives.items():
        lines[path].append("must be " + " or ".join(dict.fromkeys(options)))
    parts = [f"{path}: {'; '.join(dict.fromkeys(problems))}" for path, problems in lines.items()]
    shown = parts[:limit]
    if len(parts) > limit:
        shown.append(f"and {len(parts) - limit} more problem(s)")
    return "; ".join(shown)


_FIELD_FIRST = re.compile(r"^[a-z_]+(?:\.[A-Za-z_]+)*: ")


def route_problem(index: int, problem: str) -> str:
    """``routes[1].status_map.IDENTIFIED: ...``: a rule's problem under its route's path."""
    if _FIELD_FIRST.match(problem):
        return f"routes[{index}].{problem}"
    return f"routes[{index}]: {problem}"


def missing_secret(config: IntegrationConfig) -> str | None:
    """The problem when the mode needs a secret that is neither sent nor stored."""
    if config.auth.mode == "pat" and config.auth.pat is None:
        return (
            "auth.pat: a personal access token is required when auth.mode is 'pat' "
            "(or choose 'oauth' or 'service_principal')"
        )
    return None


def admin_document(headers: Mapping[str, str], body: bytes) -> Any:
    """An admin request's JSON body: the webhooks' checks (size, type, syntax; a 400 for bad
    syntax) and text that can be stored, hashed and sent (:func:`check_text`)."""
    try:
        document = check_body(headers, body)
    except BadRequest as exc:
        raise InvalidInput(exc.message) from None
    check_text(document, "")
    return document


def check_text(node: Any, path: str) -> None:
    """Every string is Unicode that can be stored: JSON may escape half a surrogate pair
    (``"\\ud800"``), which Python reads but no UTF-8 encoder (Table Storage's) accepts."""
    if isinstance(node, str):
        texts = [node]
    elif isinstance(node, dict):
        texts = [k for k in node if isinstance(k, str)]
        for key, value in node.items():
            check_text(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        texts = []
        for index, value in enumerate(node):
            check_text(value, f"{path}[{index}]")
    else:
        return
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            where = path.encode("utf-8", "replace").decode() or "body"
            raise InvalidInput(
                f"{where}: holds a lone surrogate escape (\\ud800-\\udfff); text must be "
                "valid Unicode"
            ) from None
