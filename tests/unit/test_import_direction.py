"""The service reaches the outside only through the ports (issue 19).

Every module under ``sync_core/service`` may import the standard library, third-party
packages, ``sync_core.rules``, ``sync_core.ports`` and its own modules; of the rest of
``sync_core``, only the two shared leaf modules named in ``SHARED`` below. Never an adapter,
the composition root, the triggers or the development host: a use case that named an
adapter could not be run on the in-memory fakes (``tests/fakes``), and an adapter error
that reached the service untranslated would bypass the one error tree of
``sync_core.ports.errors``. The scan reads the source (AST), so an import inside a
function or under ``TYPE_CHECKING`` counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ROOT / "sync_core" / "service"

ALLOWED = ("sync_core.rules", "sync_core.ports", "sync_core.service")
#: Shared leaves the service may use besides the ports, and why:
SHARED = {
    # the root of errors with an HTTP meaning (``AnsweredError``): no I/O, no imports
    "sync_core.errors",
    # request-body checks and the typed inbound events the webhooks hand the intake;
    # no I/O, and no adapter either (``test_the_edge_imports_no_adapter``)
    "sync_core.edge",
    # the service-hook payload the edge parses (pydantic and the rules only)
    "sync_core.hook_payload",
}
FORBIDDEN_TOP = {"localdev", "blueprints", "function_app"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(path: Path, root: Path) -> list[str]:
    """The package a module's relative imports start from."""
    name = _module_name(path, root).split(".")
    return name if path.name == "__init__.py" else name[:-1]


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, relative ones resolved;
    ``from pkg import name`` counts as importing ``pkg.name`` (it may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path, root)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return found


def _allowed(module: str) -> bool:
    if module.startswith(tuple(f"{name}." for name in ALLOWED)) or module in ALLOWED:
        return True
    return any(module == shared or module.startswith(shared + ".") for shared in SHARED)


def violations(path: Path, root: Path = ROOT) -> list[str]:
    """What ``path`` imports that the service must not, as ``line: module``."""
    bad: list[str] = []
    for line, module in imported_modules(path, root):
        top = module.split(".")[0]
        ours = top == "sync_core" and module != "sync_core"
        if top in FORBIDDEN_TOP or (ours and not _allowed(module)):
            bad.append(f"{line}: {module}")
    return bad


MODULES = sorted(SERVICE.rglob("*.py"))


def test_the_scan_sees_the_service() -> None:
    assert len(MODULES) >= 15
    assert (SERVICE / "context.py") in MODULES


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(SERVICE)))
def test_service_module_imports_only_rules_ports_and_service(module: Path) -> None:
    bad = violations(module)
    assert not bad, f"{module.relative_to(ROOT)} reaches past the ports: {bad}"


@pytest.mark.parametrize(
    "source",
    [
        "from ..adapters.state import StaleEntity\n",
        "from ..adapters import azure_devops\n",
        "import sync_core.adapters.conviso\n",
        "from sync_core.adapters.azure_devops.models import WorkItem\n",
        "def late():\n    from ..adapters.auth import EntraClient\n",
        "if TYPE_CHECKING:\n    from ..bootstrap import context\n",
        "from localdev import seed\n",
        "from .. import adapters\n",
    ],
)
def test_the_scan_catches_an_import_past_the_ports(tmp_path: Path, source: str) -> None:
    """The rule itself is checked: each of these, in a service module, is a violation."""
    fake_root = tmp_path / "sync_core" / "service"
    fake_root.mkdir(parents=True)
    module = fake_root / "leaky.py"
    module.write_text(source)
    assert violations(module, tmp_path)


def test_the_scan_allows_rules_ports_and_own_modules(tmp_path: Path) -> None:
    fake_root = tmp_path / "sync_core" / "service"
    fake_root.mkdir(parents=True)
    module = fake_root / "clean.py"
    module.write_text(
        "import json\nfrom pydantic import BaseModel\nfrom ..ports import Boards\n"
        "from ..rules import Level\nfrom .context import SyncContext\nfrom ..errors import X\n"
    )
    assert violations(module, tmp_path) == []


@pytest.mark.parametrize("leaf", sorted(SHARED), ids=lambda name: name)
def test_the_shared_leaves_import_no_adapter(leaf: str) -> None:
    """The service may import the shared leaves, so they must not reach an adapter for it."""
    path = ROOT / (leaf.replace(".", "/") + ".py")
    found = imported_modules(path)
    bad = [f"{line}: {m}" for line, m in found if m.startswith("sync_core.adapters")]
    assert bad == [], f"{leaf} imports an adapter: {bad}"
