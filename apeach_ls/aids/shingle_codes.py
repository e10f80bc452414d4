"""Character trigrams of many lines at once, as small integer codes, with numpy.

Used by the copy-paste aid to scan large reference corpora. Each line is normalized exactly
like ``shingles.normalize``. Characters get dense ids from an ``Alphabet`` of the characters
that occur in the submissions; a trigram with any other character cannot be a submission's
trigram and is dropped at once. Three ids pack exactly (no hashing) into one integer.
"""

from __future__ import annotations

import unicodedata

import numpy as np

NEWLINE = 10
_BMP = 0x10000
_bmp_words: np.ndarray | None = None


def _kept(chars: np.ndarray) -> np.ndarray:
    """Which code points ``normalize`` keeps (letters and digits, as ``str.isalnum``) or newlines."""
    global _bmp_words
    if _bmp_words is None:
        _bmp_words = np.fromiter((chr(c).isalnum() for c in range(_BMP)), dtype=bool, count=_BMP)
        _bmp_words[NEWLINE] = True
    kept = np.zeros(len(chars), dtype=bool)
    basic = chars < _BMP
    kept[basic] = _bmp_words[chars[basic]]
    if not basic.all():  # emoji and rare CJK: few distinct ones per chunk
        rare, which = np.unique(chars[~basic], return_inverse=True)
        kept[~basic] = np.array([chr(c).isalnum() for c in rare.tolist()], dtype=bool)[which]
    return kept


def normalized_chars(lines: list[str]) -> np.ndarray:
    """The code points of ``normalize(line)`` for every line, separated by newlines."""
    lines = [line.rstrip("\r\n") for line in lines]
    lines = [
        line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)
        for line in lines
    ]
    chars = np.frombuffer("\n".join(lines).lower().encode("utf-32-le"), dtype=np.uint32)
    return chars[_kept(chars)]


class Alphabet:
    """Dense ids (1, 2, ...) of the characters of the submissions; 0 for every other one."""

    def __init__(self, chars: np.ndarray):
        distinct = np.unique(chars[chars != NEWLINE])
        self.bits = max(1, len(distinct).bit_length())  # per character in a trigram code
        if 3 * self.bits > 54:
            raise ValueError(
                f"the submissions use {len(distinct)} distinct characters; at most 2^18 fit"
            )
        self.table = np.zeros(0x110000, dtype=np.int32)
        self.table[distinct] = np.arange(1, len(distinct) + 1, dtype=np.int32)
        self.line_bits = 63 - 3 * self.bits  # what is left in an int64 for a line index

    def trigrams(self, chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(line index, code) of every trigram of known characters, in text order, with repeats."""
        if len(chars) < 3:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        ids = self.table[chars].astype(np.int64)  # newlines are 0: trigrams never cross lines
        line_of_char = np.cumsum(chars == NEWLINE, dtype=np.int64)
        whole = (ids[:-2] != 0) & (ids[1:-1] != 0) & (ids[2:] != 0)
        codes = (ids[:-2] << (2 * self.bits)) | (ids[1:-1] << self.bits) | ids[2:]
        return line_of_char[:-2][whole], codes[whole]


def expand(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges ``[start, start + length)``: (which range, position) of every element."""
    owner = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offsets
