"""The code keeps a readable shape (issue 19): no function over 40 lines in
``sync_core/service``, no module over 400 lines in ``sync_core``.

Counted from the source, not by style: a function from its ``def`` (or first decorator) to
its last line, docstring and comments included; a module by its lines. A long function hides
which step does what; a long module holds more than one reason to change.

``KNOWN`` listed the violations that predated the rule; issue 19 split them all, so it is
empty and every function and module holds the rule. It may only shrink: a listed entry
that no longer violates fails too, and a new violation is never added silently.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sync_core"
SERVICE = PACKAGE / "service"
MAX_FUNCTION_LINES = 40
MAX_MODULE_LINES = 400

#: Violations allowed to remain: none since issue 19 split the last of them. Kept, empty,
#: so the checks below read the same if a violation ever has to be tolerated for a while;
#: adding one needs a reason in review.
KNOWN: frozenset[str] = frozenset()


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> Iterator[tuple[str, int]]:
    """``(name, lines)`` of every function (methods and nested ones too) over ``limit``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = (node.end_lineno or node.lineno) - first + 1
            if lines > limit:
                yield node.name, lines


def module_lines(source: str) -> int:
    return len(source.splitlines())


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def function_violations() -> dict[str, int]:
    return {
        f"{_relative(path)}::{name}": lines
        for path in sorted(SERVICE.rglob("*.py"))
        for name, lines in long_functions(path.read_text(encoding="utf-8"))
    }


def module_violations() -> dict[str, int]:
    found = {
        _relative(path): module_lines(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    return {path: lines for path, lines in found.items() if lines > MAX_MODULE_LINES}


def test_no_service_function_is_over_40_lines() -> None:
    new = {k: v for k, v in function_violations().items() if k not in KNOWN}
    assert new == {}, f"functions over {MAX_FUNCTION_LINES} lines (split them by step): {new}"


def test_no_module_is_over_400_lines() -> None:
    new = {k: v for k, v in module_violations().items() if k not in KNOWN}
    assert new == {}, f"modules over {MAX_MODULE_LINES} lines (split them): {new}"


def test_the_known_violations_only_shrink() -> None:
    """A listed violation that was fixed is taken off the list, so it cannot come back."""
    still = set(function_violations()) | set(module_violations())
    fixed = sorted(KNOWN - still)
    assert fixed == [], f"no longer violations; remove them from KNOWN: {fixed}"


def test_the_split_modules_are_within_the_limits() -> None:
    """Issue 19's own modules hold the rule with no exception."""
    mine = ("outbound/", "reconcile/", "admin/", "poll.py", "backfill.py", "vanished.py")
    listed = [k for k in KNOWN if any(part in k for part in mine)]
    assert listed == []
    assert (SERVICE / "outbound" / "flow.py").is_file()
    assert (SERVICE / "reconcile" / "run.py").is_file()


# -------------------------------------------------- the checks themselves find violations

_LONG = "def long():\n" + "    x = 1\n" * 40  # 41 lines
_SHORT = "def short():\n" + "    x = 1\n" * 39  # 40 lines


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (_LONG, [("long", 41)]),
        (_SHORT, []),
        ("@decorator\n" + _SHORT, [("short", 41)]),  # the decorator's line counts
        ("class C:\n" + "\n".join("    " + line for line in _LONG.splitlines()), [("long", 41)]),
        ("def outer():\n    " + "\n    ".join(_LONG.splitlines()), [("outer", 42), ("long", 41)]),
    ],
)
def test_a_function_over_the_limit_is_found(source: str, expected: list[tuple[str, int]]) -> None:
    assert list(long_functions(source)) == expected


def test_a_module_over_the_limit_is_counted() -> None:
    assert module_lines("x = 1\n" * 401) == 401 > MAX_MODULE_LINES
    assert module_lines("x = 1\n" * 400) == MAX_MODULE_LINES
