"""No test machinery in the product: the crash tests stop a process through the step
observers the long operations take (apeach_ls.steps), never through a switch the product
reads from the environment."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("apeach_ls", "ml_backend", "label_config", "scripts")
TOP_FILES = ("README.md", "setup.cfg", "pyproject.toml")
GONE = ("APEACH_CRASH_AT", "crash_point", "crashpoints")


def product_files() -> list[Path]:
    files = [REPO / name for name in TOP_FILES]
    for folder in PRODUCT:
        files += [
            p for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ]
    return files


def test_no_product_file_mentions_a_crash_switch():
    files = product_files()
    assert len([p for p in files if p.suffix == ".py"]) > 50  # the walk found the code
    found = [
        f"{path.relative_to(REPO)}: {word}"
        for path in files
        for word in GONE
        if word in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert found == []


def test_the_crash_module_is_gone():
    assert importlib.util.find_spec("apeach_ls.crashpoints") is None
