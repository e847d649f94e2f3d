"""The rules stay pure: no I/O, SDK, environment or logging imports (PRODUCT.md §5)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "sync_core" / "rules"
FORBIDDEN = {
    "os",
    "sys",
    "io",
    "logging",
    "socket",
    "subprocess",
    "pathlib",
    "time",
    "random",
    "threading",
    "asyncio",
    "urllib",
    "http",
    "httpx",
    "requests",
    "azure",
    "msal",
    "cryptography",
    "sqlite3",
    "shutil",
    "tempfile",
}
ALLOWED_PACKAGE_IMPORTS = {
    "pydantic",
    "__future__",
    "typing",
    "enum",
    "datetime",
    "re",
    "html",
    "collections",
    "dataclasses",
    "functools",
    "itertools",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


MODULES = sorted(RULES.glob("*.py"))


def test_the_rules_package_has_modules() -> None:
    assert len(MODULES) >= 8


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_rule_module_imports_nothing_impure(module: Path) -> None:
    imported = _imports(module)
    assert not imported & FORBIDDEN, f"{module.name} imports {sorted(imported & FORBIDDEN)}"
    assert imported <= ALLOWED_PACKAGE_IMPORTS, (
        f"{module.name} imports {sorted(imported - ALLOWED_PACKAGE_IMPORTS)}"
    )
