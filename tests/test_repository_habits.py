"""Habits of the repository itself, checked on its files: test modules share helpers through
helper modules and fixtures through conftest.py, never by importing one another."""

from __future__ import annotations

import ast
import re
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


# Documents cited from the repository must be in it: a citation is a path to a Markdown file, a
# section of one ("docs/label-studio.md §2"), or the name of a document kept outside (which the
# code used to cite; spelled in two halves here so this file does not cite them itself).
REPO = TESTS.parent
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", "build", ".mypy_cache", ".ruff_cache"}
SKIP_DIRS |= {".pytest_cache", "apeach-ls-data"}
MARKDOWN = re.compile(r"[\w./-]*[\w-]\.md\b")
SECTION = re.compile(r"([\w./-]+\.md|\b[A-Z][A-Z0-9_]+)\s*§\s*(\d+)")
OUTSIDE = re.compile(
    "|".join(["LABEL_STUDIO" + "_NOTES", "APEACH" + "_METHOD", "shared" + "/docs"])
)


def repository_texts(root: Path = REPO) -> dict[Path, str]:
    """Every text file of the repository (symlinked folders are walked once, at their target)."""
    texts = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if set(relative.parts) & SKIP_DIRS or relative.parts[0].endswith(".egg-info"):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        try:
            texts[relative] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def sections(document: str) -> set[str]:
    """The numbers of a Markdown document's numbered headings ("## 2. ..." -> "2")."""
    return set(re.findall(r"^#+\s*(\d+)\.", document, flags=re.MULTILINE))


def outside_citations(texts: dict[Path, str], root: Path = REPO) -> list[str]:
    names = {path.name for path in texts}
    found = []
    for path, text in texts.items():
        for number, line in enumerate(text.splitlines(), start=1):
            where = f"{path}:{number}"
            found += [f"{where}: {m.group(0)}" for m in OUTSIDE.finditer(line)]
            for cited in MARKDOWN.findall(line):
                here = [root / cited, root / path.parent / cited]
                if not any(p.is_file() for p in here) and cited not in names:
                    found.append(f"{where}: {cited} is not in the repository")
            for document, section in SECTION.findall(line):
                if document == "RFC" or re.fullmatch(r"\d+", document):
                    continue  # a public standard ("RFC 9110 §11.1")
                target = texts.get(Path(document))
                if target is None or section not in sections(target):
                    found.append(f"{where}: {document} §{section} is not in the repository")
    return found


def test_no_file_cites_a_document_outside_the_repository():
    texts = repository_texts()
    assert Path("docs/label-studio.md") in texts and Path("docs/method.md") in texts
    assert outside_citations(texts) == []


def test_the_citation_check_finds_outside_documents_and_missing_sections(tmp_path):
    # spelled with escapes, so that this file cites nothing itself
    md, section = ".m" + "d", "\u00a7"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / f"notes{md}").write_text("# Notes\n\n## 1. First\n")
    (tmp_path / "a.py").write_text(
        f"# see docs/notes{md} {section}1 and README{md}\n"  # both fine
        f"# see docs/notes{md} {section}2\n"  # no such section
        f"# see ../elsewhere/GUIDE{md}\n"  # not in the repository
        f"# see {'LABEL_STUDIO' + '_NOTES'} {section}3\n"
    )
    (tmp_path / f"README{md}").write_text(f"RFC 9110 {section}11.1\n")
    found = outside_citations(repository_texts(tmp_path), tmp_path)
    assert [f.split(": ", 1)[0] for f in found] == ["a.py:2", "a.py:3", "a.py:4", "a.py:4"]
