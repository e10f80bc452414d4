"""A consistent release: no sentence is released twice, and none with two classes.

Pure logic, no I/O. Accepted sentences are compared by ``comparison_key``:

- Unicode NFKC (full-width letters and digits, decomposed Hangul and the ideographic space
  become their ordinary forms; as NFKC does, a compatibility-jamo consonant typed before a
  vowel composes with it, so "ㅋㅜ" compares equal to "쿠", while "ㅋㅋ" or "ㅠㅠ" stay as
  they are; the aids' duplicate check uses NFKC too),
- invisible characters are dropped: Unicode's default-ignorable code points (format
  characters such as U+200B, U+200D, U+2060, U+FEFF and the soft hyphen, variation
  selectors, the combining grapheme joiner, the Hangul fillers), which change nothing a
  reader sees but would let a copy pass for a new sentence (and be paid again),
- every run of whitespace (spaces, tabs, newlines) becomes one space, and leading and
  trailing whitespace is dropped.

Nothing else is folded: letter case, punctuation (a trailing ``?`` or ``!`` included) and
emoji still make two sentences different, because they can change how a sentence reads. The comparison is conservative on purpose; looser
near-duplicates are the managers' business (the ``near_duplicate`` aid on the vote task).
The released text itself stays byte-exact: the key is only compared, never released.

When one sentence was accepted with both classes, none of its submissions is released: each
is held back as a ``conflict`` naming the others. When it was accepted more than once with
one class, the earliest submission (lowest id) is released and the others are held back as
duplicates naming it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from .rows import ApeachClass, ReleaseRow

HoldBackKind = Literal["conflict", "duplicate"]
CONFLICT: Final[HoldBackKind] = (
    "conflict"  # the same sentence accepted with both classes: none released
)
DUPLICATE: Final[HoldBackKind] = (
    "duplicate"  # the same sentence and class again: the earliest is released
)


# Default-ignorable code points that are not format characters (category Cf, dropped as a whole).
_IGNORABLE_RANGES: Final[tuple[tuple[int, int], ...]] = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)


def _invisible(char: str) -> bool:
    code = ord(char)
    return unicodedata.category(char) == "Cf" or any(
        low <= code <= high for low, high in _IGNORABLE_RANGES
    )


def comparison_key(text: str) -> str:
    """The text two accepted sentences are compared by: NFKC, invisible characters dropped,
    whitespace runs as one space, stripped."""
    visible = "".join(c for c in unicodedata.normalize("NFKC", text) if not _invisible(c))
    return " ".join(visible.split())


@dataclass(frozen=True)
class HeldBack:
    """An accepted submission left out of the release because its sentence repeats another."""

    submission_id: int
    text: str  # as written
    apeach_class: ApeachClass
    kind: HoldBackKind
    same_as: tuple[int, ...]  # the other submissions with the same sentence, by id
    why: str


@dataclass(frozen=True)
class ConsistentRows:
    rows: tuple[ReleaseRow, ...]  # in the order given, repeats removed
    held_back: tuple[HeldBack, ...]  # by submission id


def hold_back_repeats(rows: Sequence[ReleaseRow]) -> ConsistentRows:
    """Release each sentence once, with one class; hold back conflicts and duplicates."""
    groups: dict[str, list[ReleaseRow]] = {}
    for row in rows:
        groups.setdefault(comparison_key(row.text), []).append(row)
    held: dict[int, HeldBack] = {}
    for group in groups.values():
        if len(group) > 1:
            held.update(
                (h.submission_id, h)
                for h in _hold_back(sorted(group, key=lambda r: r.submission_id))
            )
    return ConsistentRows(
        tuple(r for r in rows if r.submission_id not in held),
        tuple(held[sid] for sid in sorted(held)),
    )


def _hold_back(group: list[ReleaseRow]) -> list[HeldBack]:
    """The held-back submissions of one sentence accepted more than once (``group`` by id)."""
    if len({r.apeach_class for r in group}) > 1:
        return [
            _held(
                row, group, CONFLICT, "conflict: same sentence as " + _others_by_class(row, group)
            )
            for row in group
        ]
    kept = group[0].submission_id
    return [
        _held(
            row,
            group,
            DUPLICATE,
            f"duplicate: same sentence and class as submission {kept}, which is released",
        )
        for row in group[1:]
    ]


def _held(row: ReleaseRow, group: list[ReleaseRow], kind: HoldBackKind, why: str) -> HeldBack:
    others = tuple(r.submission_id for r in group if r.submission_id != row.submission_id)
    return HeldBack(row.submission_id, row.text, row.apeach_class, kind, others, why)


def _others_by_class(row: ReleaseRow, group: list[ReleaseRow]) -> str:
    """``submission 12 with class Default and submission 3 with class Spoiled``: the other class first."""
    classes = sorted({r.apeach_class for r in group}, key=lambda c: (c == row.apeach_class, c))
    parts = []
    for cls in classes:
        ids = [
            r.submission_id
            for r in group
            if r.apeach_class == cls and r.submission_id != row.submission_id
        ]
        if ids:
            parts.append(f"{_submissions(ids)} with class {cls}")
    return " and ".join(parts)


def _submissions(ids: Sequence[int]) -> str:
    return f"submission {ids[0]}" if len(ids) == 1 else "submissions " + ", ".join(map(str, ids))


@dataclass(frozen=True)
class HeldBackCounts:
    conflicts: int  # submissions held back because their sentence has both classes
    conflicting_sentences: int  # those sentences, counted once each
    duplicates: int  # submissions held back because their sentence is released from another

    @property
    def total(self) -> int:
        return self.conflicts + self.duplicates


def count_held_back(held_back: Sequence[HeldBack]) -> HeldBackCounts:
    conflicts = [h for h in held_back if h.kind == CONFLICT]
    return HeldBackCounts(
        len(conflicts),
        len({comparison_key(h.text) for h in conflicts}),
        sum(h.kind == DUPLICATE for h in held_back),
    )


def held_back_line(held_back: Sequence[HeldBack]) -> str:
    """One sentence saying how many accepted submissions were held back and why; empty when none."""
    counts = count_held_back(held_back)
    if not counts.total:
        return ""
    reasons = []
    if counts.conflicts:
        reasons.append(
            f"{_plural(counts.conflicts, 'conflict')} ({_plural(counts.conflicting_sentences, 'sentence')} "
            "accepted with both classes, not released)"
        )
    if counts.duplicates:
        reasons.append(
            f"{_plural(counts.duplicates, 'duplicate')} of a released sentence with the same class"
        )
    return (
        f"{_plural(counts.total, 'accepted submission')} {'was' if counts.total == 1 else 'were'} held back "
        "(sentences compared after Unicode NFKC and whitespace collapsing): "
        + "; ".join(reasons)
        + "."
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
