"""Benchmark the managers' aids: quality on the dev set, time per 1,000 sentences, copy-paste memory.

By default: precision, recall and flag rates of each aid on the labeled dev set
(``tests/data/aids_dev``, both splits: ``dev`` is what the aids were tuned on, ``heldout`` was only
evaluated), whether the targets of issue 15 are met, and the time of each aid per 1,000 sentences
(BEEP! comments), and a campaign's ``compute_aids`` run again with an ``AidCache``. A third split, ``fresh``, holds on-topic sentences written after the aids were
tuned (topic relevance only). With ``--copy-paste-memory``: the memory benchmark below.

Every case of the memory benchmark runs in a fresh subprocess so that its peak resident memory (``ru_maxrss``) is its
own. Copy-paste matching of 10,000 submissions runs against the BEEP! unlabeled comments
(34k lines) and against generated references of 200,000 and 2,000,000 lines: memory should
stay flat while the reference grows tenfold. Copies of 100 submissions are planted in the
generated references at known lines, and the run checks they are found there.

    python scripts/bench_aids.py [--beep-dir DIR] [--split dev|heldout|all]
    python scripts/bench_aids.py --copy-paste-memory [--beep-dir DIR] [--keep-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUBMISSIONS = 10_000
PLANTED = 100
GENERATED_SIZES = (200_000, 2_000_000)


def load_submissions(beep_dir: Path) -> list[tuple[int, str]]:
    """10,000 realistic submissions: BEEP! train and dev comments, topped up with unlabeled ones."""
    texts = []
    for name in ("train.tsv", "dev.tsv"):
        rows = (beep_dir / name).read_text(encoding="utf-8").splitlines()[1:]
        texts += [row.split("\t")[0] for row in rows]
    unlabeled = (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()
    texts += random.Random(1).sample(unlabeled, SUBMISSIONS - len(texts))
    return list(enumerate(texts[:SUBMISSIONS]))


def generate_reference(
    path: Path, lines: int, beep_dir: Path, submissions: list[tuple[int, str]]
) -> dict[int, int]:
    """Random lines of BEEP! words; returns {submission id: line number} of the planted copies."""
    words = (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").split()
    rng = random.Random(lines)
    planted_ids = rng.sample([sid for sid, text in submissions if len(text) >= 20], PLANTED)
    at = {lines * (k + 1) // (PLANTED + 1): sid for k, sid in enumerate(planted_ids)}
    text_of = dict(submissions)
    with path.open("w", encoding="utf-8") as out:
        for number in range(1, lines + 1):
            if number in at:
                out.write(f"{rng.choice(words)} {text_of[at[number]]} {rng.choice(words)}\n")
            else:
                out.write(" ".join(rng.choices(words, k=rng.randint(4, 14))) + "\n")
    return {sid: number for number, sid in at.items()}


def run_case(args: argparse.Namespace) -> dict:
    """In the child: run one case and report time and memory."""
    sys.path.insert(0, str(REPO))
    import numpy  # noqa: F401  (imported before the baseline, like the aids do)

    from apeach_ls.aids.copy_paste import find_copy_matches
    from apeach_ls.aids.near_duplicates import find_near_duplicates
    from apeach_ls.aids.shingles import normalize

    submissions = load_submissions(Path(args.beep_dir))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    if args.case == "near-duplicates":
        found = find_near_duplicates(submissions)
    else:
        found = find_copy_matches(submissions, [args.reference])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report = {
        "found": len(found),
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": before / 1024,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.planted:
        # Found at its line, or at an earlier line that holds the same text (a repeated comment).
        planted = {int(k): v for k, v in json.loads(Path(args.planted).read_text()).items()}
        text_of = dict(submissions)
        report["planted_found"] = sum(
            1
            for sid, line in planted.items()
            if sid in found
            and (
                found[sid].line_number == line
                or normalize(text_of[sid]) in normalize(found[sid].reference_text)
            )
        )
    return report


def child(
    case: str, beep_dir: Path, reference: Path | None = None, planted: Path | None = None
) -> dict:
    command = [sys.executable, __file__, "--child", case, "--beep-dir", str(beep_dir)]
    if reference:
        command += ["--reference", str(reference)]
    if planted:
        command += ["--planted", str(planted)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


TARGETS = (  # (aid, figure, comparison, bound): issue 15
    ("topic relevance", "on-topic flagged", "<=", 0.05),
    ("topic relevance", "off-topic caught", ">=", 0.80),
    ("personal info", "precision", ">=", 0.90),
    ("personal info", "placeholder flagged", "<=", 0.0),
    ("near-duplicates", "variants caught", ">=", 0.90),
    ("near-duplicates", "different flagged", "<=", 0.02),
)
TIMED_SENTENCES = 10_000
CAMPAIGN_SIZE = 3_770  # the released APEACH set


def quality(beep_dir: Path, splits: list[str]) -> None:
    sys.path.insert(0, str(REPO))
    from apeach_ls.aids.evaluation import evaluate, evaluate_topics, read_devset
    from apeach_ls.prompts import default_prompts

    prompts = {p.key: p for p in default_prompts()}
    devset = read_devset(REPO / "tests" / "data" / "aids_dev", beep_dir)
    if devset.missing:
        print(
            f"not read (chatter left out): {', '.join(devset.missing)} in {beep_dir}; set --beep-dir"
        )
    results = {
        split: evaluate(devset, None if split == "all" else split, prompts) for split in splits
    }
    for (
        split
    ) in splits:  # the other per-campaign choice: also flag sentences without a word of any topic
        chosen = [t for t in devset.topics if split == "all" or t.split == split]
        try:
            figures = evaluate_topics(chosen, prompts, {"off_topic_without_words": True})
        except TypeError:  # aids older than that setting (to bench an earlier version)
            continue
        results[split]["topic, also without words"] = figures
    print(f"| {'aid':<26} | {'figure':<28} | " + " | ".join(f"{s:<20}" for s in splits) + " |")
    print(f"|{'-' * 28}|{'-' * 30}|" + "|".join("-" * 22 for _ in splits) + "|")
    for aid in results[splits[0]]:
        names = dict.fromkeys(name for s in splits for name in results[s][aid])
        for name in names:
            cells = [str(results[s][aid].get(name, "n/a")) for s in splits]
            print(f"| {aid:<26} | {name:<28} | " + " | ".join(f"{c:<20}" for c in cells) + " |")
    print()
    for aid, name, how, bound in TARGETS:
        verdicts = []
        for split in splits:
            value = results[split][aid][name].value if name in results[split][aid] else None
            if value is None:
                continue
            met = value is not None and (value <= bound if how == "<=" else value >= bound)
            verdicts.append(f"{split} {'met' if met else 'NOT met'}")
        print(f"target {aid}: {name} {how} {bound:g}: {', '.join(verdicts)}")


def timings(beep_dir: Path) -> None:
    """Each aid over BEEP! comments (under random prompts), per 1,000 sentences, process time."""
    sys.path.insert(0, str(REPO))
    from apeach_ls.aids import SubmissionText, compute_aids
    from apeach_ls.aids.near_duplicates import find_near_duplicates
    from apeach_ls.aids.personal_info import find_personal_info
    from apeach_ls.aids.topic_relevance import TopicScorer
    from apeach_ls.prompts import default_prompts

    texts = [t for _, t in load_submissions(beep_dir)][:TIMED_SENTENCES]
    prompts = default_prompts()
    rng = random.Random(3)
    keys = [rng.choice(prompts).key for _ in texts]
    cases = {
        "personal info": lambda: [find_personal_info(t) for t in texts],
        "topic relevance": lambda: TopicScorer(prompts).relevances(texts, keys),
        "near-duplicates": lambda: find_near_duplicates(list(enumerate(texts))),
        "all (compute_aids, no corpora)": lambda: compute_aids(
            [SubmissionText(i, t, k) for i, (t, k) in enumerate(zip(texts, keys))],
            {p.key: p for p in prompts},
        ),
    }
    print(f"\ntime per 1,000 sentences ({len(texts):,} BEEP! comments, process time):")
    for name, run in cases.items():
        started = time.process_time()
        run()
        print(f"  {name:<32} {1000 * (time.process_time() - started) / len(texts) * 1000:8.1f} ms")


def reruns(beep_dir: Path) -> None:
    """``votes create`` twice on one campaign: compute_aids with a reference corpus, without a
    cache, then with a fresh AidCache file, then again with nothing new (wall time)."""
    sys.path.insert(0, str(REPO))
    from apeach_ls.aids import SubmissionText, compute_aids
    from apeach_ls.prompts import default_prompts

    try:
        from apeach_ls.aids import AidCache
    except ImportError:  # aids older than the cache
        AidCache = None

    texts = [
        row.split("\t")[0]
        for row in (beep_dir / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    prompts = default_prompts()
    rng = random.Random(4)
    submissions = [
        SubmissionText(i, t, rng.choice(prompts).key) for i, t in enumerate(texts[:CAMPAIGN_SIZE])
    ]
    corpus = beep_dir / "unlabeled_comments_5.txt"
    by_key = {p.key: p for p in prompts}
    print(
        f"\nre-running compute_aids on {len(submissions):,} submissions, reference {corpus.name} (wall time):"
    )
    started = time.perf_counter()
    compute_aids(submissions, by_key, [corpus])
    print(f"  {'no cache':<32} {time.perf_counter() - started:8.2f} s")
    if AidCache is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("AidCache, first run", "AidCache, nothing new"):
            started = time.perf_counter()
            with AidCache(Path(tmp) / "aids-cache.sqlite") as cache:
                compute_aids(submissions, by_key, [corpus], cache=cache)
            print(f"  {name:<32} {time.perf_counter() - started:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--copy-paste-memory",
        action="store_true",
        help="run the copy-paste memory benchmark instead (minutes)",
    )
    parser.add_argument(
        "--split",
        choices=("dev", "heldout", "fresh", "fresh2", "all"),
        help="one split only (default: each)",
    )
    parser.add_argument(
        "--beep-dir", default=os.environ.get("APEACH_BEEP_DIR", REPO.parent / "shared/data/beep")
    )
    parser.add_argument(
        "--keep-dir", help="write the generated references here (default: a temporary dir)"
    )
    parser.add_argument("--child", dest="case", help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--planted", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args)))
        return
    beep_dir = Path(args.beep_dir)
    if not args.copy_paste_memory:
        quality(
            beep_dir, [args.split] if args.split else ["dev", "heldout", "fresh", "fresh2", "all"]
        )
        timings(beep_dir)
        reruns(beep_dir)
        return
    rows = [("near-duplicates", "-", child("near-duplicates", beep_dir))]
    unlabeled = beep_dir / "unlabeled_comments_5.txt"
    rows.append(
        (
            "copy-paste vs BEEP! unlabeled",
            f"{sum(1 for _ in unlabeled.open(encoding='utf-8')):,}",
            child("copy-paste", beep_dir, unlabeled),
        )
    )
    with tempfile.TemporaryDirectory(dir=args.keep_dir) as tmp:
        submissions = load_submissions(beep_dir)
        for size in GENERATED_SIZES:
            reference, planted = (
                Path(tmp) / f"reference-{size}.txt",
                Path(tmp) / f"planted-{size}.json",
            )
            started = time.perf_counter()
            planted.write_text(
                json.dumps(generate_reference(reference, size, beep_dir, submissions))
            )
            print(
                f"generated {size:,} lines ({reference.stat().st_size / 2**20:.0f} MiB) "
                f"in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
            rows.append(
                (
                    f"copy-paste vs generated ({reference.stat().st_size / 2**20:.0f} MiB)",
                    f"{size:,}",
                    child("copy-paste", beep_dir, reference, planted),
                )
            )
            reference.unlink()
    print(f"{SUBMISSIONS:,} submissions; peak RSS is the whole subprocess (Python, numpy, data)\n")
    print(
        f"| {'case':<38} | {'reference lines':>15} | {'found':>6} | {'wall s':>7} | {'CPU s':>6} "
        f"| {'RSS before MiB':>14} | {'peak RSS MiB':>12} | planted found |"
    )
    print(
        f"|{'-' * 40}|{'-' * 17}|{'-' * 8}|{'-' * 9}|{'-' * 8}|{'-' * 16}|{'-' * 14}|---------------|"
    )
    for name, size, r in rows:
        planted = f"{r['planted_found']}/{PLANTED}" if "planted_found" in r else "-"
        print(
            f"| {name:<38} | {size:>15} | {r['found']:>6,} | {r['wall_s']:>7.2f} | {r['cpu_s']:>6.2f} "
            f"| {r['rss_before_mb']:>14.0f} | {r['rss_peak_mb']:>12.0f} | {planted:>13} |"
        )


if __name__ == "__main__":
    main()
