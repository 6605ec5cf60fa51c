"""The frame's import rules, read from the source: use cases in core/ depend on core.ports, and only
entry points import the wiring in core.bootstrap."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_core_module_but_the_wiring_imports_the_wiring() -> None:
    offenders = [
        str(path.relative_to(CORE.parent))
        for path in sorted(CORE.rglob("*.py"))
        if path.name != "bootstrap.py" and "core.bootstrap" in _imports(path)
    ]
    assert offenders == []


def test_use_cases_take_the_store_port_not_the_cosmos_adapter() -> None:
    offenders = [
        str(path.relative_to(CORE.parent))
        for path in sorted(CORE.rglob("*.py"))
        if "store" not in path.relative_to(CORE).parts[:1]
        and path.name != "bootstrap.py"
        and "core.store.cosmos" in _imports(path)
    ]
    assert offenders == []
