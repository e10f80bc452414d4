"""Habits of the repository itself, checked on its files: test modules share helpers through
helper modules and fixtures through conftest.py, never by importing one another."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module name a file imports, at any depth (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_test_module_imports_another_test_module():
    test_modules = {p.stem for p in TESTS.glob("test_*.py")}
    offenders = {
        path.name: sorted(n for n in imported_modules(path) if n.split(".")[0] in test_modules)
        for path in sorted(TESTS.glob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from test_x import helper\n    import test_y.z\n")
    assert imported_modules(sample) == {"test_x", "test_y.z"}
