"""Aids computed once per submission: compute_aids with a cache (a dict, or AidCache on disk)."""

from __future__ import annotations

import os

import pytest

import apeach_ls.aids as aids_module
from apeach_ls.aids import AidCache, SubmissionText, TopicScorer, compute_aids
from apeach_ls.prompts import default_prompts

PROMPTS = {p.key: p for p in default_prompts()}


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "reference.txt"
    path.write_text(
        "채식하는 사람들은 고기 먹는 사람을 야만인 취급하면서 자기들이 더 낫다고 생각한다\n"
        "오늘 날씨가 정말 좋네요 산책하기 좋은 날\n",
        encoding="utf-8",
    )
    return path


def _submissions():
    return [
        SubmissionText(
            1,
            "채식하는 사람들은 고기 먹는 사람을 야만인 취급하면서 자기들이 더 낫다고 생각한다",
            "diets",
            7,
        ),
        SubmissionText(2, "김철수 010-1234-5678 이 사람 장애인임", "disabled", 8),
        SubmissionText(3, "전라도 사람은 뒤통수를 잘 쳐", "origin-and-residence", 9),
        SubmissionText(4, "전라도 사람은 뒤통수를 잘 친다", "origin-and-residence", 9),
        SubmissionText(5, "오늘 점심은 김치찌개 먹었다", "racism", 9),
    ]


def _boom(*args, **kwargs):
    raise AssertionError("computed again")


def test_the_same_aids_with_and_without_a_cache(corpus):
    plain = compute_aids(_submissions(), PROMPTS, [corpus])
    store: dict[str, str] = {}
    cold = compute_aids(_submissions(), PROMPTS, [corpus], cache=store)
    warm = compute_aids(_submissions(), PROMPTS, [corpus], cache=store)
    assert (
        {k: a.as_dict() for k, a in plain.items()}
        == {k: a.as_dict() for k, a in cold.items()}
        == {k: a.as_dict() for k, a in warm.items()}
    )
    assert (
        plain[1].copy_match is not None
        and plain[2].personal_info
        and plain[4].near_duplicate is not None
    )


def test_a_rerun_with_nothing_new_reads_no_corpus_and_recomputes_nothing(corpus, monkeypatch):
    store: dict[str, str] = {}
    first = compute_aids(_submissions(), PROMPTS, [corpus], cache=store)
    monkeypatch.setattr(aids_module, "find_copy_matches", _boom)
    monkeypatch.setattr(aids_module, "find_near_duplicates", _boom)
    monkeypatch.setattr(aids_module, "find_personal_info", _boom)
    monkeypatch.setattr(TopicScorer, "explain", _boom)
    again = compute_aids(_submissions(), PROMPTS, [corpus], cache=store)
    assert {k: a.summary_ko() for k, a in again.items()} == {
        k: a.summary_ko() for k, a in first.items()
    }


def test_only_new_submissions_are_searched(corpus, monkeypatch):
    store: dict[str, str] = {}
    compute_aids(_submissions(), PROMPTS, [corpus], cache=store)
    searched = []
    real = aids_module.find_copy_matches

    def recording(submissions, *args, **kwargs):
        searched.extend(submissions)
        return real(submissions, *args, **kwargs)

    monkeypatch.setattr(aids_module, "find_copy_matches", recording)
    new = SubmissionText(6, "오늘 날씨가 정말 좋네요 산책하기 좋은 날", "diets")
    found = compute_aids(_submissions() + [new], PROMPTS, [corpus], cache=store)
    assert searched == [(6, new.text)]
    assert found[6].copy_match is not None and found[6].copy_match.line_number == 2


def test_a_changed_corpus_or_threshold_is_searched_again(corpus, monkeypatch):
    store: dict[str, str] = {}
    compute_aids(_submissions(), PROMPTS, [corpus], cache=store)
    with corpus.open("a", encoding="utf-8") as handle:
        handle.write("김철수 010-1234-5678 이 사람 장애인임\n")
    os.utime(corpus, ns=(0, os.stat(corpus).st_mtime_ns + 10**9))
    assert (
        compute_aids(_submissions(), PROMPTS, [corpus], cache=store)[2].copy_match.line_number == 3
    )
    monkeypatch.setattr(aids_module, "find_copy_matches", _boom)
    with pytest.raises(AssertionError, match="computed again"):
        compute_aids(_submissions(), PROMPTS, [corpus], copy_threshold=0.9, cache=store)


def test_other_prompts_are_another_scorer(corpus):
    store: dict[str, str] = {}
    compute_aids(_submissions(), PROMPTS, cache=store)
    pets = {
        "pets": PROMPTS["diets"].__class__(
            key="pets",
            topic="반려동물을 키우는 사람에 대한 발언",
            topic_eng="Pets",
            guideline="강아지나 고양이를 키우는 사람에 대한 문장을 쓰세요.",
        )
    }
    found = compute_aids(
        [SubmissionText(1, "강아지 키우는 사람들은 민폐다", "pets")],
        {**PROMPTS, **pets},
        cache=store,
    )
    assert found[1].topic_relevance > 0.5 and "강아지" in found[1].topic_words


def test_aid_cache_keeps_results_across_runs(tmp_path, corpus, monkeypatch):
    path = tmp_path / "campaign.aids-cache.sqlite"
    with AidCache(path) as cache:
        first = compute_aids(_submissions(), PROMPTS, [corpus], cache=cache)
        assert len(cache) > 0
    monkeypatch.setattr(aids_module, "find_copy_matches", _boom)
    monkeypatch.setattr(aids_module, "find_personal_info", _boom)
    with AidCache(path) as cache:
        again = compute_aids(_submissions(), PROMPTS, [corpus], cache=cache)
    assert {k: a.as_dict() for k, a in again.items()} == {k: a.as_dict() for k, a in first.items()}


def test_aid_cache_is_a_mapping(tmp_path):
    with AidCache(tmp_path / "c.sqlite") as cache:
        cache["a"] = "1"
        assert (
            cache["a"] == "1"
            and "a" in cache
            and "b" not in cache
            and list(cache) == ["a"]
            and len(cache) == 1
        )
        del cache["a"]
        with pytest.raises(KeyError):
            cache["a"]


def test_near_duplicates_are_compared_again_only_when_a_submission_is_new(monkeypatch):
    store: dict[str, str] = {}
    first = compute_aids(_submissions(), PROMPTS, cache=store)
    monkeypatch.setattr(aids_module, "find_near_duplicates", _boom)
    assert (
        compute_aids(_submissions(), PROMPTS, cache=store)[4].near_duplicate
        == first[4].near_duplicate
    )
    with pytest.raises(AssertionError, match="computed again"):
        compute_aids(
            _submissions()
            + [SubmissionText(6, "전라도 사람은 뒤통수를 잘 친다고", "origin-and-residence")],
            PROMPTS,
            cache=store,
        )


def test_a_cached_near_duplicate_points_at_the_right_submission_when_ids_differ():
    store: dict[str, str] = {}
    compute_aids(_submissions(), PROMPTS, cache=store)
    renumbered = [
        SubmissionText(s.id + 100, s.text, s.prompt_key, s.writer_id) for s in _submissions()
    ]
    found = compute_aids(renumbered, PROMPTS, cache=store)
    assert (
        found[104].near_duplicate.earlier_id == 103
        and found[104].near_duplicate.same_writer is True
    )
