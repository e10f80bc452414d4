"""The product's import structure: no circles between modules or between packages, and the
layers point one way (``votes`` never reaches into ``rewards``; both store through
``database``).

Imports are read from the source (``ast``), including imports inside functions (a lazy
import closes a circle as surely as one at the top); imports under ``if TYPE_CHECKING:``
never run and are left out. A *package* is a folder directly under ``apeach_ls`` (or a
top-level module). A module that imports nothing of the product (a vocabulary such as
``rewards.model``) stands alone in the package graph: an arrow to it can never come back.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from pathlib import Path

import apeach_ls

ROOT = Path(apeach_ls.__file__).parent
Graph = Mapping[str, set[str]]


def product_modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for folder, _dirs, files in os.walk(root, followlinks=True):  # ml_backend is a link
        for file in files:
            if file.endswith(".py"):
                path = Path(folder) / file
                parts = list(path.relative_to(root.parent).with_suffix("").parts)
                if parts[-1] == "__init__":
                    parts.pop()
                found[".".join(parts)] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def imports_of(name: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The product modules ``name`` imports (the module itself, not its parent packages)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped = _type_checking_only(tree)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def module_graph() -> dict[str, set[str]]:
    modules = product_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def package_graph(modules: Graph) -> dict[str, set[str]]:
    def package(name: str) -> str:
        return name if not modules[name] else ".".join(name.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for name, targets in modules.items():
        for target in targets:
            if package(target) != package(name):
                graph.setdefault(package(name), set()).add(package(target))
    return graph


def circles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def arrows(graph: Graph, source: str, target: str) -> list[str]:
    """``a -> b`` for every module under ``source`` that imports one under ``target``."""

    def under(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return sorted(
        f"{a} -> {b}"
        for a, targets in graph.items()
        if under(a, source)
        for b in targets
        if under(b, target)
    )


def test_the_graph_is_read_from_the_source():
    graph = module_graph()
    assert "apeach_ls.database.schema" in graph["apeach_ls.rewards.ledger"]
    assert "apeach_ls.database.migrations" in graph["apeach_ls.database"]  # relative import
    assert "apeach_ls.classifier.loading" in graph["apeach_ls.ml_backend"]  # inside a function
    assert "apeach_ls.ml_backend.verdicts" in graph["apeach_ls.ml_backend.retraining"]  # the link
    # under TYPE_CHECKING only
    assert "apeach_ls.labelstudio.submissions" not in graph["apeach_ls.release.rows"]


def test_the_checks_find_a_circle_and_a_back_arrow():
    graph: dict[str, set[str]] = {
        "apeach_ls.votes.store": {"apeach_ls.rewards.ledger"},
        "apeach_ls.rewards.ledger": {"apeach_ls.database", "apeach_ls.rewards.model"},
        "apeach_ls.database": {"apeach_ls.votes.store", "apeach_ls.rewards.model"},
        "apeach_ls.rewards.model": set(),
    }
    assert circles(graph) == [
        ["apeach_ls.database", "apeach_ls.rewards.ledger", "apeach_ls.votes.store"]
    ]
    assert circles(package_graph(graph)) == [
        ["apeach_ls.database", "apeach_ls.rewards", "apeach_ls.votes"]
    ]
    assert arrows(graph, "apeach_ls.votes", "apeach_ls.rewards") == [
        "apeach_ls.votes.store -> apeach_ls.rewards.ledger"
    ]
    del graph["apeach_ls.votes.store"]
    graph["apeach_ls.database"] = {"apeach_ls.rewards.model"}  # a vocabulary: no circle
    assert circles(graph) == circles(package_graph(graph)) == []


def test_no_module_imports_another_that_imports_it_back():
    assert circles(module_graph()) == []


def test_no_package_imports_another_that_imports_it_back():
    assert circles(package_graph(module_graph())) == []


def test_votes_and_rewards_store_through_the_database_and_votes_never_reach_rewards():
    graph = module_graph()
    assert arrows(graph, "apeach_ls.votes", "apeach_ls.rewards") == []
    assert arrows(graph, "apeach_ls.votes", "apeach_ls.database")
    assert arrows(graph, "apeach_ls.rewards", "apeach_ls.database")
    # the database knows vocabularies only, none of the code that stores through it
    reached = {
        target
        for name, targets in graph.items()
        if name == "apeach_ls.database" or name.startswith("apeach_ls.database.")
        for target in targets
        if not target.startswith("apeach_ls.database")
    }
    assert reached == {
        "apeach_ls.errors",
        "apeach_ls.rewards.model",
        "apeach_ls.validation.model",
        "apeach_ls.votes.model",
    }
