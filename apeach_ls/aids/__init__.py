"""Automatic aids for managers' vote tasks: hints, never decisions.

After writers write, managers vote to drop sentences that were copied from the web, name a
specific private person, or miss the prompt's topic. ``compute_aids`` pre-computes, for every
submission of a campaign, what deserves a look: personal information, an earlier near-
duplicate in the campaign, a likely copy from the configured reference corpora, and a
topic-relevance score. Pure logic: no Label Studio here.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace

from ..errors import ConfigError
from ..prompts import Prompt
from . import cache as _cache
from .cache import AIDS_VERSION, AidCache
from .copy_paste import CHUNK_LINES, COPY_THRESHOLD, CopyMatch, find_copy_matches
from .models import (
    ALL_FLAGS,
    FLAG_COPY_PASTE,
    FLAG_NEAR_DUPLICATE,
    FLAG_OFF_TOPIC,
    FLAG_PERSONAL_INFO,
    Aids,
    SubmissionText,
)
from .near_duplicates import DUPLICATE_THRESHOLD, NearDuplicate, find_near_duplicates
from .personal_info import PersonalInfoHint, find_personal_info
from .shingles import normalize
from .topic_relevance import OFF_TOPIC_BELOW, TOPIC_KEYWORDS, TopicEvidence, TopicScorer

__all__ = [
    "AIDS_VERSION",
    "ALL_FLAGS",
    "FLAG_COPY_PASTE",
    "FLAG_NEAR_DUPLICATE",
    "FLAG_OFF_TOPIC",
    "FLAG_PERSONAL_INFO",
    "AidCache",
    "Aids",
    "CopyMatch",
    "NearDuplicate",
    "PersonalInfoHint",
    "SubmissionText",
    "TopicEvidence",
    "TopicScorer",
    "compute_aids",
    "find_copy_matches",
    "find_near_duplicates",
    "find_personal_info",
]


def compute_aids(
    submissions: Sequence[SubmissionText],
    prompts_by_key: Mapping[str, Prompt],
    reference_files: Sequence[str | os.PathLike] = (),
    *,
    duplicate_threshold: float = DUPLICATE_THRESHOLD,
    copy_threshold: float = COPY_THRESHOLD,
    off_topic_below: float = OFF_TOPIC_BELOW,
    off_topic_without_words: bool = False,
    topic_keywords: Mapping[str, Sequence[str]] = TOPIC_KEYWORDS,
    chunk_lines: int = CHUNK_LINES,
    cache: MutableMapping[str, str] | None = None,
) -> dict[int, Aids]:
    """The aids of every submission, by submission id.

    ``submissions`` are the campaign's, in the order they were written (near-duplicates
    point at the earlier one, and say whether it is by the same writer when both writers
    are known). ``reference_files`` are text files, one text per line,
    streamed once. Raises ``ConfigError`` when a submission's prompt is not in
    ``prompts_by_key`` and ``DataFileError`` when a reference file cannot be read.

    ``off_topic_below``: topic relevance under which a sentence is flagged off-topic, when it has
    words of another topic (or of chatter) and too few of its own; a sentence with no word of
    any topic is flagged too only with ``off_topic_without_words`` (else its hint says "모름").

    ``cache`` (see ``apeach_ls.aids.cache``): where results already computed for the same text
    and settings are found and new ones are put; pass an ``AidCache`` to keep them across runs,
    so that a re-run reads no reference corpus unless a submission is new or a corpus changed.
    """
    repeated = [sid for sid, count in Counter(s.id for s in submissions).items() if count > 1]
    if repeated:
        raise ValueError(f"submission ids must be unique; repeated: {sorted(repeated)[:10]}")
    unknown = sorted({s.prompt_key for s in submissions} - set(prompts_by_key))
    if unknown:
        first = next(s for s in submissions if s.prompt_key == unknown[0])
        raise ConfigError(
            f"submission #{first.id} has prompt key {unknown[0]!r}, which is not one of the "
            f"campaign's prompts ({', '.join(sorted(prompts_by_key)) or 'none'}); "
            "pass the prompts the campaign was created with"
        )
    store: MutableMapping[str, str] = cache if cache is not None else {}
    duplicates = _with_writers(_duplicates(submissions, duplicate_threshold, store), submissions)
    copies = (
        _copies(submissions, reference_files, copy_threshold, chunk_lines, store)
        if reference_files
        else {}
    )
    evidence: list[TopicEvidence] = []
    if submissions:
        scorer = TopicScorer(list(prompts_by_key.values()), keywords=topic_keywords)
        evidence = _topics(scorer, submissions, store)
    return {
        s.id: Aids(
            submission_id=s.id,
            personal_info=_personal_info(s.text, store),
            near_duplicate=duplicates.get(s.id),
            copy_match=copies.get(s.id),
            topic_relevance=topic.relevance,
            off_topic_below=off_topic_below,
            topic_words=topic.words,
            rival_topic=topic.rival_name,
            rival_words=topic.rival_words,
            off_topic_without_words=off_topic_without_words,
        )
        for s, topic in zip(submissions, evidence)
    }


def _duplicates(
    submissions: Sequence[SubmissionText], threshold: float, store: MutableMapping[str, str]
) -> dict[int, NearDuplicate]:
    """Near-duplicates, compared again unless every submission's result is in the store."""
    ids = [s.id for s in submissions]
    keys = _cache.duplicate_keys(threshold, [s.text for s in submissions])
    if not all(key in store for key in keys):
        found = find_near_duplicates([(s.id, s.text) for s in submissions], threshold)
        for key, submission_id in zip(keys, ids):
            store[key] = _cache.dump_duplicate(found.get(submission_id), ids)
    loaded = {
        submission_id: _cache.load_duplicate(store[key], ids)
        for key, submission_id in zip(keys, ids)
    }
    return {
        submission_id: duplicate
        for submission_id, duplicate in loaded.items()
        if duplicate is not None
    }


def _personal_info(text: str, store: MutableMapping[str, str]) -> tuple[PersonalInfoHint, ...]:
    key = _cache.personal_info_key(text)
    if key in store:
        return _cache.load_hints(store[key])
    hints = tuple(find_personal_info(text))
    store[key] = _cache.dump_hints(hints)
    return hints


def _topics(
    scorer: TopicScorer, submissions: Sequence[SubmissionText], store: MutableMapping[str, str]
) -> list[TopicEvidence]:
    keys = [_cache.topic_key(scorer.fingerprint, s.prompt_key, s.text) for s in submissions]
    missing = [i for i, key in enumerate(keys) if key not in store]
    computed = scorer.explain_many(
        [submissions[i].text for i in missing], [submissions[i].prompt_key for i in missing]
    )
    for i, evidence in zip(missing, computed):
        store[keys[i]] = _cache.dump_topic(evidence)
    return [_cache.load_topic(store[key]) for key in keys]


def _copies(
    submissions: Sequence[SubmissionText],
    reference_files: Sequence[str | os.PathLike],
    threshold: float,
    chunk_lines: int,
    store: MutableMapping[str, str],
) -> dict[int, CopyMatch]:
    """Copy matches; only submissions whose (normalized text, corpora, threshold) is not in the
    store are searched, and none at all when every one is."""
    corpora = _cache.corpora_fingerprint(reference_files)
    keys = {s.id: _cache.copy_key(corpora, threshold, normalize(s.text)) for s in submissions}
    todo = {}
    for s in submissions:
        if keys[s.id] not in store:
            todo.setdefault(keys[s.id], (s.id, s.text))
    if todo:
        found = find_copy_matches(
            list(todo.values()), reference_files, threshold, chunk_lines=chunk_lines
        )
        for key, (submission_id, _) in todo.items():
            store[key] = _cache.dump_copy(found.get(submission_id))
    matches = {s.id: _cache.load_copy(store[keys[s.id]]) for s in submissions}
    return {submission_id: match for submission_id, match in matches.items() if match is not None}


def _with_writers(
    duplicates: Mapping[int, NearDuplicate], submissions: Sequence[SubmissionText]
) -> dict[int, NearDuplicate]:
    """Each near-duplicate with ``same_writer`` set when both submissions' writers are known."""
    writers = {s.id: s.writer_id for s in submissions}
    found = {}
    for submission_id, duplicate in duplicates.items():
        mine, theirs = writers[submission_id], writers[duplicate.earlier_id]
        known = mine is not None and theirs is not None
        found[submission_id] = (
            replace(duplicate, same_writer=mine == theirs) if known else duplicate
        )
    return found
