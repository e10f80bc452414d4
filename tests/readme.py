"""The README's code blocks, as the tests run them."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def section(heading: str) -> str:
    """The README's text from ``heading`` to the next heading of the same or a higher level."""
    text = README.read_text(encoding="utf-8")
    start = text.index(heading + "\n")
    level = heading.split(" ", 1)[0]
    after = text[start + len(heading) :]
    fenced = [
        (m.start(), m.end()) for m in FENCE.finditer(after)
    ]  # a "# comment" in a code block is no heading
    ends = [
        m.start()
        for m in re.finditer(r"^(#+) ", after, re.M)
        if len(m.group(1)) <= len(level) and not any(a <= m.start() < b for a, b in fenced)
    ]
    return heading + after[: ends[0] if ends else len(after)]


def bash_blocks(text: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == "bash"]


def commands(text: str) -> list[str]:
    """Every command line of the bash blocks in ``text`` (continuations joined, heredoc bodies
    and comments left out)."""
    lines: list[str] = []
    for block in bash_blocks(text):
        heredoc_end = None
        pending = ""
        for raw in block.splitlines():
            if heredoc_end is not None:
                if raw.strip() == heredoc_end:
                    heredoc_end = None
                continue
            line = pending + raw
            if line.rstrip().endswith("\\"):
                pending = line.rstrip()[:-1] + " "
                continue
            pending = ""
            marker = re.search(r"<<-?'?(\w+)'?", line)
            if marker:
                heredoc_end = marker.group(1)
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line.strip())
    return lines
