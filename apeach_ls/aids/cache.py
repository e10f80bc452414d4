"""Aids computed once per submission: a content-addressed cache for ``compute_aids``.

What an aid says about a submission depends on its text and the campaign's settings, and for
near-duplicates on every earlier submission too. So ``compute_aids(..., cache=...)`` keys each
result by a hash of what it depends on, and computes only what is missing:

- near-duplicates: the threshold and the texts of the submission and of all before it, in order
  (a running hash): when all are found nothing is compared; else all are compared again;
- personal information: the text;
- topic relevance: the text, its prompt, and the scorer (every topic's text and cue words);
- copy-paste: the normalized text, the threshold and each reference corpus's path, size and
  modification time (a changed corpus is searched again).

A re-run with nothing new computes nothing and reads no reference corpus; new submissions are
searched alone.
``AIDS_VERSION`` is part of every key: bump it when an aid's logic changes.

The cache is any ``MutableMapping[str, str]`` (JSON values): a ``dict`` within one process, or
``AidCache``, an SQLite file of its own, across runs (it never touches the campaign database).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .copy_paste import CopyMatch
from .near_duplicates import NearDuplicate
from .personal_info import PersonalInfoHint
from .topic_relevance import TopicEvidence

AIDS_VERSION = "2"


def digest(*parts: object) -> str:
    """A short, stable hash of ``parts`` (as JSON)."""
    payload = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def corpora_fingerprint(reference_files: Sequence[str | os.PathLike]) -> str:
    """What the copy-paste results depend on in the corpora: each file's path, size and mtime.
    A file that cannot be read is fingerprinted as missing (the search then reports it)."""
    stats = []
    for path in reference_files:
        try:
            stat = os.stat(path)
            stats.append((os.path.abspath(path), stat.st_size, stat.st_mtime_ns))
        except OSError:
            stats.append((os.path.abspath(path), None, None))
    return digest(stats)


def personal_info_key(text: str) -> str:
    return f"pi:{AIDS_VERSION}:{digest(text)}"


def topic_key(scorer_fingerprint: str, prompt_key: str, text: str) -> str:
    return f"topic:{AIDS_VERSION}:{digest(scorer_fingerprint, prompt_key, text)}"


def copy_key(corpora: str, threshold: float, normalized_text: str) -> str:
    return f"copy:{AIDS_VERSION}:{digest(corpora, threshold, normalized_text)}"


def duplicate_keys(threshold: float, texts: Sequence[str]) -> list[str]:
    """One key per submission: the threshold and a running hash of the texts up to it."""
    keys, running = [], digest(threshold)
    for text in texts:
        running = digest(running, text)
        keys.append(f"dup:{AIDS_VERSION}:{running}")
    return keys


def dump_duplicate(duplicate: NearDuplicate | None, ids: Sequence[int]) -> str:
    """The earlier submission is stored by its position, so that the key holds for any ids."""
    if duplicate is None:
        return "null"
    data = asdict(duplicate)
    data["earlier_id"] = list(ids).index(duplicate.earlier_id)
    return json.dumps(data, ensure_ascii=False)


def load_duplicate(value: str, ids: Sequence[int]) -> NearDuplicate | None:
    data = json.loads(value)
    if data is None:
        return None
    data["earlier_id"] = ids[data["earlier_id"]]
    return NearDuplicate(**data)


def dump_hints(hints: Sequence[PersonalInfoHint]) -> str:
    return json.dumps([asdict(h) for h in hints], ensure_ascii=False)


def load_hints(value: str) -> tuple[PersonalInfoHint, ...]:
    return tuple(PersonalInfoHint(**h) for h in json.loads(value))


def dump_topic(evidence: TopicEvidence) -> str:
    return json.dumps(asdict(evidence), ensure_ascii=False)


def load_topic(value: str) -> TopicEvidence:
    data = json.loads(value)
    return TopicEvidence(
        data["relevance"],
        tuple(data["words"]),
        data["rival_key"],
        data["rival_name"],
        tuple(data["rival_words"]),
    )


def dump_copy(match: CopyMatch | None) -> str:
    return json.dumps(asdict(match) if match is not None else None, ensure_ascii=False)


def load_copy(value: str) -> CopyMatch | None:
    data = json.loads(value)
    return CopyMatch(**data) if data is not None else None


class AidCache(MutableMapping[str, str]):
    """A persistent cache for ``compute_aids``: one SQLite file, one table of keys and JSON values.

    Use it as a context manager: writes are committed when it closes (or on ``flush``)::

        with AidCache("apeach-2026.aids-cache.sqlite") as cache:
            aids = compute_aids(submissions, prompts, corpora, cache=cache)

    Deleting the file only costs one slow run.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS aid_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        self._pending: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key in self._pending:
            return self._pending[key]
        row = self._db.execute("SELECT value FROM aid_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return row[0]

    def __setitem__(self, key: str, value: str) -> None:
        self._pending[key] = value

    def __delitem__(self, key: str) -> None:
        self.flush()
        if self._db.execute("DELETE FROM aid_cache WHERE key = ?", (key,)).rowcount == 0:
            raise KeyError(key)
        self._db.commit()

    def __iter__(self) -> Iterator[str]:
        self.flush()
        return iter([row[0] for row in self._db.execute("SELECT key FROM aid_cache")])

    def __len__(self) -> int:
        self.flush()
        return self._db.execute("SELECT COUNT(*) FROM aid_cache").fetchone()[0]

    def flush(self) -> None:
        """Write the pending values in one transaction."""
        if self._pending:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO aid_cache (key, value) VALUES (?, ?)",
                    list(self._pending.items()),
                )
            self._pending.clear()

    def close(self) -> None:
        self.flush()
        self._db.close()

    def __enter__(self) -> AidCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
