"""Copy-paste against reference corpora (real BEEP! comments), and the ``compute_aids`` entry point."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from apeach_ls.aids import (
    FLAG_COPY_PASTE,
    FLAG_NEAR_DUPLICATE,
    FLAG_OFF_TOPIC,
    FLAG_PERSONAL_INFO,
    SubmissionText,
    compute_aids,
)
from apeach_ls.aids.copy_paste import find_copy_matches
from apeach_ls.aids.shingles import normalize, shingles
from apeach_ls.errors import ConfigError, DataFileError
from apeach_ls.prompts import default_prompts

ORIGINAL = "채식하는 사람들은 고기 먹는 사람을 야만인 취급하면서 자기들이 더 낫다고 생각한다"


@pytest.fixture(scope="module")
def corpus(beep_dir):
    return beep_dir / "unlabeled_comments_5.txt"


@pytest.fixture(scope="module")
def lines(corpus):
    return corpus.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def unique_long_lines(lines):
    """Line numbers (1-based) of long lines whose text occurs once in the corpus."""
    counts = Counter(normalize(line) for line in lines)
    return [
        n
        for n, line in enumerate(lines, start=1)
        if 40 <= len(line) <= 200 and counts[normalize(line)] == 1 and len(set(line)) > 20
    ]


def _picked(unique_long_lines, count=5):
    return random.Random(11).sample(unique_long_lines, count)


def test_an_exact_copy_is_found_with_its_line(corpus, lines, unique_long_lines):
    picked = _picked(unique_long_lines)
    found = find_copy_matches([(n, lines[n - 1]) for n in picked], [corpus])
    for n in picked:
        match = found[n]
        assert (match.line_number, match.path, match.reference_text) == (
            n,
            str(corpus),
            lines[n - 1].strip(),
        )
        assert match.similarity == match.jaccard == 1.0


def test_a_line_with_one_character_changed_is_found(corpus, lines, unique_long_lines):
    picked = _picked(unique_long_lines)
    edited = {
        n: lines[n - 1][:20] + ("가" if lines[n - 1][20] != "가" else "나") + lines[n - 1][21:]
        for n in picked
    }
    found = find_copy_matches(edited.items(), [corpus])
    for n in picked:
        assert found[n].line_number == n
        assert 0.7 <= found[n].similarity < 1.0


def test_a_fragment_of_a_longer_line_is_found(corpus, lines, unique_long_lines):
    picked = _picked(unique_long_lines)
    fragments = {n: lines[n - 1][10:28] for n in picked}  # 18 characters cut out of the middle
    found = find_copy_matches(fragments.items(), [corpus])
    for n in picked:
        assert found[n].line_number == n, fragments[n]
        assert found[n].similarity == 1.0 and found[n].jaccard < 0.8


def test_an_original_sentence_is_not_found(corpus):
    others = [
        "흑인들은 자기들끼리만 뭉쳐 다니면서 다른 인종을 무시한다고 들었다",
        "지방대 나온 신입사원은 기획 업무를 맡기기엔 아직 부족해 보인다",
    ]
    assert find_copy_matches(enumerate([ORIGINAL, *others]), [corpus]) == {}


def test_short_submissions_are_not_checked(corpus):
    assert find_copy_matches([(1, "진짜 웃기네"), (2, "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ")], [corpus]) == {}


def test_results_do_not_depend_on_the_chunk_size(corpus, lines, tmp_path):
    small = tmp_path / "head.txt"
    small.write_text("\n".join(lines[:1000]) + "\n", encoding="utf-8")
    rng = random.Random(3)
    submissions = [(i, line) for i, line in enumerate(rng.sample(lines[:1000], 60))]
    submissions += [(100 + i, text[5:25]) for i, (_, text) in enumerate(submissions[:30])]
    in_small = find_copy_matches(submissions, [small])
    assert len(in_small) > 40
    for chunk_lines in (1, 7, 333):
        assert find_copy_matches(submissions, [small], chunk_lines=chunk_lines) == in_small
    in_both = find_copy_matches(submissions, [small, corpus])
    assert find_copy_matches(submissions, [small, corpus], chunk_lines=4_000) == in_both
    assert find_copy_matches(submissions, [small, corpus], chunk_lines=100_000) == in_both


def _brute_force(submissions, path, threshold=0.7, min_shingles=8):
    sets = [(sid, shingles(normalize(text))) for sid, text in submissions]
    sets = [(sid, s) for sid, s in sets if len(s) >= min_shingles]
    best = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if len(normalize(line)) < 3:
            continue
        theirs = shingles(normalize(line))
        for sid, mine in sets:
            shared = len(mine & theirs)
            score = (shared / len(mine), shared / len(mine | theirs))
            if score[0] >= threshold and (sid not in best or score > best[sid][:2]):
                best[sid] = (*score, number)
    return best


def test_same_result_as_comparing_every_line(lines, tmp_path):
    """The trigram index is exact: the best line is the one a full comparison finds."""
    small = tmp_path / "sample.txt"
    small.write_text("\n".join(lines[5000:7000]) + "\n", encoding="utf-8")
    rng = random.Random(8)
    picked = rng.sample(lines[5000:7000], 60) + rng.sample(lines[:5000], 60)
    submissions = [(i, text if i % 3 else text[3:-3]) for i, text in enumerate(picked)]
    found = find_copy_matches(submissions, [small])
    expected = _brute_force(submissions, small)
    assert len(expected) > 45
    rounded = {sid: (round(c, 9), round(j, 9), n) for sid, (c, j, n) in expected.items()}
    assert {
        sid: (round(m.similarity, 9), round(m.jaccard, 9), m.line_number)
        for sid, m in found.items()
    } == rounded


def test_later_files_lose_ties_and_lines_are_numbered_per_file(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("머리말\n" + ORIGINAL + "\n", encoding="utf-8")
    second.write_text(ORIGINAL + "\n", encoding="utf-8")
    match = find_copy_matches([(1, ORIGINAL)], [second, first])[1]
    assert (match.path, match.line_number) == (str(second), 1)
    match = find_copy_matches([(1, ORIGINAL)], [first, second])[1]
    assert (match.path, match.line_number) == (str(first), 2)


def test_reference_file_problems_name_the_file(tmp_path):
    with pytest.raises(DataFileError, match="missing.txt: reference corpus not found"):
        find_copy_matches([(1, ORIGINAL)], [tmp_path / "missing.txt"])
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9 ".encode("latin-1") * 10)
    with pytest.raises(DataFileError, match="latin1.txt: is not UTF-8 text"):
        find_copy_matches([(1, ORIGINAL)], [latin])


# compute_aids: the entry point


@pytest.fixture(scope="module")
def prompts_by_key():
    return {p.key: p for p in default_prompts()}


def test_compute_aids_flags_and_summary(corpus, lines, unique_long_lines, prompts_by_key):
    copied = lines[_picked(unique_long_lines, 1)[0] - 1]
    submissions = [
        SubmissionText(1, ORIGINAL, "diets", writer_id=7),
        SubmissionText(
            2, "김철수 과장은 고기 안 먹는 사람을 무시한다 010-1234-5678", "diets", writer_id=8
        ),
        SubmissionText(3, ORIGINAL + "!!", "diets", writer_id=9),
        SubmissionText(4, copied, "racism", writer_id=9),
        SubmissionText(5, "ooo씨는 채식주의자라서 회식 때마다 분위기를 망친다", "diets"),
    ]
    aids = compute_aids(submissions, prompts_by_key, [corpus])
    assert list(aids) == [1, 2, 3, 4, 5]
    assert aids[1].flags() == frozenset() and aids[5].flags() == frozenset()
    assert aids[2].flags() == {FLAG_PERSONAL_INFO}
    assert aids[3].flags() == {FLAG_NEAR_DUPLICATE} and aids[3].near_duplicate.earlier_id == 1
    assert aids[4].flags() == {FLAG_COPY_PASTE, FLAG_OFF_TOPIC}
    summary = aids[2].summary_ko()
    assert "⚠ 전화번호로 보이는 부분: 010-1234-5678" in summary
    assert "⚠ 사람 이름으로 보이는 부분: 김철수" in summary
    assert (
        aids[3]
        .summary_ko()
        .startswith("같은 문장이 이미 있음 (#1, 다른 작성자): 채식하는 사람들은")
    )
    assert f"참고 말뭉치와 거의 같음 ({corpus.name}:" in aids[4].summary_ko()
    assert (
        "주제 관련도 0.00 (낮음: 주제 단어 없음; '연예 기사 댓글 같은 잡담' 쪽 단어 "
        in aids[4].summary_ko()
    )
    assert (
        aids[1].summary_ko().startswith("주제 관련도 0.")
        and "(높음: 주제 단어 '채식', '고기'" in aids[1].summary_ko()
    )
    assert aids[2].as_dict()["flags"] == [FLAG_PERSONAL_INFO]


def test_compute_aids_without_references_or_submissions(prompts_by_key):
    assert compute_aids([], prompts_by_key) == {}
    aids = compute_aids([SubmissionText(1, ORIGINAL, "diets")], prompts_by_key)
    assert aids[1].copy_match is None and aids[1].topic_relevance > 0.5


def test_compute_aids_rejects_unknown_prompts_and_repeated_ids(prompts_by_key):
    with pytest.raises(ConfigError, match="submission #2 has prompt key 'pets'"):
        compute_aids(
            [SubmissionText(1, ORIGINAL, "diets"), SubmissionText(2, ORIGINAL, "pets")],
            prompts_by_key,
        )
    with pytest.raises(ValueError, match="repeated: \\[1\\]"):
        compute_aids(
            [SubmissionText(1, ORIGINAL, "diets"), SubmissionText(1, ORIGINAL, "diets")],
            prompts_by_key,
        )
