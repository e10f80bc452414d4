"""``apeach-ls overlap``: TF-IDF overlap of evaluation sets with streamed reference corpora."""

from __future__ import annotations

import csv
import itertools
import os
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from apeach_ls.cli.overlap import overlap
from apeach_ls.errors import DataFileError
from apeach_ls.overlap import VIEWS, Corpus, count_features, measure_overlap, read_sentences

REFERENCE = [
    "오늘 날씨 정말 좋다",
    "드라마 너무 재밌어요",
    "배우 연기 최고",
    "이번 회차 진짜 대박",
    "노래 가사가 좋네요",
    "다음 주가 기다려진다",
    "작가님 글 잘 쓰시네",
    "음악 방송 또 보러 가야지",
    "the weather is nice",
    "좋은 하루 보내세요",
    "댓글 보고 웃었다",
    "주인공 너무 멋있다",
]

# A crowd-writing stand-in: template sentences on everyday topics, not crawled text.
SUBJECTS = [
    "우리 동네 사람들은",
    "요즘 대학생들은",
    "회사 동료들은",
    "그 정치인은",
    "이웃집 아저씨는",
    "외국인 노동자들은",
    "동네 노인들은",
    "젊은 엄마들은",
    "택시 기사님들은",
    "게임 유저들은",
]
PREDICATES = [
    "정말 부지런하게 일한다",
    "너무 시끄럽게 떠든다",
    "항상 규칙을 잘 지킨다",
    "세금을 제대로 안 낸다",
    "서로 잘 도와준다",
    "말을 함부로 한다",
    "생각보다 친절하다",
    "아무 생각 없이 산다",
    "늘 남 탓만 한다",
    "새로운 기술을 빨리 배운다",
]
OPENERS = ["솔직히", "내가 보기에", "뉴스를 보면"]
GENERATED = [f"{o} {s} {p}" for o, s, p in itertools.product(OPENERS, SUBJECTS, PREDICATES)]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measures(result, view):
    return asdict(getattr(result, view))


def test_identical_sets_are_fully_similar(tmp_path):
    reference = write_lines(tmp_path / "ref.txt", REFERENCE)
    [result] = measure_overlap([Corpus("same", reference)], [Corpus("ref", reference)])
    assert (result.eval_sentences, result.reference_sentences) == (len(REFERENCE), len(REFERENCE))
    for view in VIEWS:
        assert measures(result, view) == pytest.approx(
            {"centroid_cosine": 1.0, "mean_max_similarity": 1.0, "coverage": 1.0}
        )


def test_disjoint_vocabularies_share_nothing(tmp_path):
    reference = write_lines(tmp_path / "ref.txt", REFERENCE[:8])
    latin = write_lines(
        tmp_path / "latin.txt", ["completely different words here", "nothing shared at all"]
    )
    [result] = measure_overlap([Corpus("latin", latin)], [Corpus("ref", reference)])
    for view in VIEWS:
        assert measures(result, view) == pytest.approx(
            {"centroid_cosine": 0.0, "mean_max_similarity": 0.0, "coverage": 0.0}, abs=1e-12
        )


def test_a_set_copied_from_the_reference_has_mean_max_one(tmp_path):
    reference = write_lines(tmp_path / "ref.txt", REFERENCE)
    copied = write_lines(tmp_path / "copied.txt", REFERENCE[2:5])
    partial = write_lines(
        tmp_path / "partial.txt", ["드라마 너무 재밌어요 ㅋㅋ", "처음 보는 문장입니다"]
    )
    copy, part = measure_overlap(
        [Corpus("copied", copied), Corpus("partial", partial)], [Corpus("ref", reference)]
    )
    for view in VIEWS:
        assert getattr(copy, view).mean_max_similarity == pytest.approx(1.0)
        assert getattr(copy, view).centroid_cosine < 1.0
        assert 0 < getattr(part, view).mean_max_similarity < 1
        assert 0 < getattr(part, view).coverage < 1


def test_results_do_not_depend_on_the_chunk_size(tmp_path, beep_dir):
    comments = read_sentences(beep_dir / "unlabeled_comments_5.txt")
    reference = write_lines(tmp_path / "ref.txt", [next(comments) for _ in range(1_000)])
    evaluations = [
        Corpus("dev", beep_dir / "dev.tsv"),
        Corpus("generated", write_lines(tmp_path / "g.txt", GENERATED)),
    ]
    small = measure_overlap(evaluations, [Corpus("ref", reference)], chunk_size=7)
    large = measure_overlap(evaluations, [Corpus("ref", reference)], chunk_size=10_000)
    assert [(r.evaluation, r.eval_sentences, r.reference_sentences) for r in small] == [
        ("dev", 471, 1_000),
        ("generated", 300, 1_000),
    ]
    for a, b in zip(small, large):
        for view in VIEWS:
            assert measures(a, view) == pytest.approx(measures(b, view), rel=1e-9, abs=1e-12)


def test_progress_counts_each_reference_line_twice(tmp_path):
    reference = write_lines(tmp_path / "ref.txt", REFERENCE)
    steps: list[int] = []
    measure_overlap(
        [Corpus("e", reference)],
        [Corpus("r", reference)],
        chunk_size=2,
        block_size=5,
        progress=steps.append,
    )
    assert steps == [5, 5, 2, 5, 5, 2]  # a block at a time


def test_hashed_features_count_words_and_char_ngrams_within_words():
    sentences = ["배우 연기 최고 최고", "A  b\tCd", "x", "드라마, 너무 재밌어요!!"]
    counts = count_features(sentences, n_features=2**61)  # wide enough for no collisions
    for i, sentence in enumerate(sentences):
        words = Counter(sentence.lower().split())
        grams = Counter(
            f" {w} "[k : k + n]
            for w in sentence.lower().split()
            for n in (2, 3, 4)
            for k in range(len(w) + 3 - n)
        )
        assert sorted(counts["word"][i].data) == sorted(words.values())
        assert sorted(counts["char"][i].data) == sorted(grams.values())
    again = count_features(["최고 배우"], n_features=2**20)["word"]
    assert set(again.indices) <= set(count_features(sentences, n_features=2**20)["word"][0].indices)


def test_reads_text_files_and_the_text_column_of_csv_and_tsv(tmp_path, beep_dir):
    csv_path = tmp_path / "apeach.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["id", "text", "class"], [1, "첫 문장, 쉼표", 0], [2, " ", 1], [3, "둘째", 1]]
        )
    assert list(read_sentences(csv_path)) == ["첫 문장, 쉼표", "둘째"]
    assert len(list(read_sentences(beep_dir / "dev.tsv"))) == 471
    assert list(read_sentences(write_lines(tmp_path / "a.txt", ["하나", "", "  둘 "]))) == [
        "하나",
        "둘",
    ]


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("missing.txt", None, "file not found"),
        ("empty.txt", "\n \n", "no sentences: the file is empty"),
        ("header-only.csv", "id,text\n", "no sentences: the file is empty"),
        (
            "no-column.tsv",
            "id\tsentence\n1\t안녕\n",
            "row 1: no text column: expected 'text' or 'comments'",
        ),
    ],
)
def test_bad_files_are_named_in_the_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError, match=message) as error:
        measure_overlap(
            [Corpus("e", write_lines(tmp_path / "ok.txt", ["문장"]))], [Corpus("r", path)]
        )
    assert str(error.value).startswith(str(path))


@pytest.mark.parametrize("path", ["/dev/zero", "{tmp}"])
def test_a_device_or_a_directory_is_not_taken_for_a_missing_file(tmp_path, path):
    path = Path(path.format(tmp=tmp_path))
    with pytest.raises(DataFileError, match="not a regular file"):
        measure_overlap(
            [Corpus("e", write_lines(tmp_path / "ok.txt", ["문장"]))], [Corpus("r", path)]
        )


def test_beep_dev_is_closer_to_news_comments_than_a_generated_set(tmp_path, beep_dir):
    """The check from the issue: same-domain crawled comments share more with the reference."""
    generated = write_lines(tmp_path / "generated.txt", GENERATED)
    dev, gen = measure_overlap(
        [Corpus("beep-dev", beep_dir / "dev.tsv"), Corpus("generated", generated)],
        [Corpus("comments", beep_dir / "unlabeled_comments_5.txt")],
    )
    assert (dev.eval_sentences, gen.eval_sentences, dev.reference_sentences) == (471, 300, 33_893)
    for view in VIEWS:
        assert getattr(dev, view).mean_max_similarity > getattr(gen, view).mean_max_similarity
        assert getattr(dev, view).centroid_cosine > getattr(gen, view).centroid_cosine


def test_cli_prints_a_table_and_writes_csv_and_plot(tmp_path):
    reference = write_lines(tmp_path / "ref.txt", REFERENCE)
    generated = write_lines(tmp_path / "generated.txt", GENERATED[:20])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        overlap,
        [
            "--eval",
            f"copied={reference}",
            "--eval",
            str(generated),
            "--reference",
            f"ref={reference}",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()[:3]
    assert header.split()[:4] == ["evaluation", "reference", "sentences", "word"]
    assert rows[0].split()[:6] == ["copied", "ref", "12", "1.000", "1.000", "1.000"]
    assert rows[1].split()[:3] == ["generated", "ref", "20"]
    with (out / "overlap.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [row["evaluation"] for row in table] == ["copied", "generated"]
    assert float(table[0]["char_mean_max_similarity"]) == pytest.approx(1.0)
    assert (out / "overlap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_names_a_bad_file_in_one_line(tmp_path):
    reference = write_lines(tmp_path / "ref.txt", REFERENCE)
    missing = tmp_path / "nope.tsv"
    result = CliRunner().invoke(
        overlap,
        ["--eval", f"e={missing}", "--reference", f"r={reference}", "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {missing}: file not found"
    assert not (tmp_path / "out").exists()


def test_cli_rejects_a_name_used_twice(tmp_path):
    reference = write_lines(tmp_path / "ref.txt", REFERENCE)
    result = CliRunner().invoke(
        overlap,
        ["--eval", f"a={reference}", "--eval", f"a={reference}", "--reference", str(reference)],
    )
    assert result.exit_code == 2
    assert "the name 'a' is used twice" in result.output


def test_cli_help_has_an_example():
    result = CliRunner().invoke(overlap, ["--help"])
    assert result.exit_code == 0 and "Example" in result.output


def overlap_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "apeach_ls.cli", "overlap", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_dask_cluster_gives_the_same_bytes_as_one_process(tmp_path, beep_dir):
    """Two local workers, a running cluster's scheduler, and one process: byte-identical CSVs."""
    from distributed import LocalCluster

    comments = read_sentences(beep_dir / "unlabeled_comments_5.txt")
    reference = write_lines(tmp_path / "ref.txt", [next(comments) for _ in range(2_500)])
    common = [
        "--eval",
        f"dev={beep_dir / 'dev.tsv'}",
        "--eval",
        str(write_lines(tmp_path / "g.txt", GENERATED)),
    ]
    common += ["--reference", f"comments={reference}", "--block-size", "300", "--chunk-size", "70"]
    outputs = {}
    saved = dict(os.environ)  # the nanny leaves its workers' OMP_NUM_THREADS=1 ... in ours
    with LocalCluster(
        n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        for name, engine in [
            ("one", ["--workers", "1"]),
            ("local", []),  # the default: a local cluster of 2 workers
            ("cluster", ["--scheduler", cluster.scheduler_address]),
        ]:
            done = overlap_cli(*common, *engine, "--out", str(tmp_path / name))
            assert done.returncode == 0, done.stderr
            outputs[name] = done.stdout
    os.environ.clear()
    os.environ.update(saved)
    assert "(in this process)" in outputs["one"]
    assert "(on a local Dask cluster, 2 workers)" in outputs["local"]
    assert f"(on the Dask cluster at {cluster.scheduler_address}, 1 workers)" in outputs["cluster"]
    one = (tmp_path / "one" / "overlap.csv").read_bytes()
    assert b"dev,comments,471,2500," in one
    for name in ("local", "cluster"):
        assert (tmp_path / name / "overlap.csv").read_bytes() == one
        assert outputs[name].split("\n\nwrote")[0] == outputs["one"].split("\n\nwrote")[0]


def test_the_dask_engine_keeps_few_blocks_in_flight():
    """Memory per worker is bounded: the reference is sent a few blocks at a time, and the
    results come back in reading order."""
    from apeach_ls.overlap_dask import DaskEngine

    read = []

    def blocks():
        for i in range(40):
            read.append(i)
            yield [str(i)] * (i + 1)

    with DaskEngine(workers=2) as engine:
        ahead = []
        sizes = []
        for result in engine.map_blocks(_block_size, blocks(), unused={"x": 1}):
            sizes.append(result.sentences)
            ahead.append(len(read) - len(sizes))
    assert sizes == list(range(1, 41))
    assert max(ahead) <= 2 * 2
    assert "OMP_NUM_THREADS" not in os.environ  # the workers' settings stay theirs


def test_local_workers_run_without_dask_s_malloc_trim_threshold():
    """Dask starts workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's dynamic
    mmap threshold (every large array faulted in afresh: twice the CPU of one process);
    the local cluster's workers run without it and keep Dask's other settings."""
    from apeach_ls.overlap_dask import DaskEngine

    with DaskEngine(workers=1) as engine:
        [environ] = engine.client.run(lambda: dict(os.environ)).values()
    assert "MALLOC_TRIM_THRESHOLD_" not in environ
    assert environ["OMP_NUM_THREADS"] == "1"


def _block_size(block, unused):
    from apeach_ls.overlap import BlockResult

    return BlockResult(len(block), {})


def test_without_dask_the_default_runs_in_one_process_and_workers_2_says_what_to_install(
    tmp_path, monkeypatch
):
    import apeach_ls.cli.overlap as cli_overlap

    monkeypatch.setattr(cli_overlap, "dask_available", lambda: False)
    reference = write_lines(tmp_path / "ref.txt", REFERENCE)
    args = ["--eval", str(reference), "--reference", str(reference), "--block-size", "5"]
    result = CliRunner().invoke(overlap, [*args, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert (
        "(in this process: Dask distributed is not installed (pip install 'apeach-ls[distributed]'))"
        in result.output
    )
    result = CliRunner().invoke(overlap, [*args, "--workers", "2", "--out", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: --workers 2 needs Dask distributed: pip install 'apeach-ls[distributed]'"
    )
