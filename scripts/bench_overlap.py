"""Time and peak memory of ``apeach-ls overlap`` on a small and a very large reference corpus,
in one process and on a local Dask cluster of 2 workers.

Each case runs in a fresh Python process, which reports its wall and CPU time, its peak resident set
size (``ru_maxrss``) and its resident size before the run (after the imports); on Dask, also each
worker's peak and its resident size before the run. With ``--tracemalloc`` it also reports
tracemalloc's peak of traced allocations in the driving process (slower).

The evaluation set is the first 4,000 BEEP! train comments. Case (a) uses BEEP!'s 34k-line
unlabeled comments as the reference; cases (b) and (c) a generated 2,000,000-line reference of
random Korean-looking words (written to a temporary file), to show memory does not grow with it,
in one process (b) and on 2 Dask workers (c): the speed-up is (b)'s wall time over (c)'s, and
both give the same figures. CPU seconds (the driving process's plus the workers') are the fairer
figure when other work shares the machine; each row ends with the load average after it.

Usage: python scripts/bench_overlap.py [--lines 2000000] [--eval-size 4000] [--workers 2] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BEEP_DIR = Path(os.environ.get("APEACH_BEEP_DIR", REPO.parent / "shared" / "data" / "beep"))


def syllables(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random Hangul syllables, biased to common initials and vowels, a final consonant 30% of the time."""
    initial = rng.choice([0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18], size)
    medial = rng.choice([0, 1, 4, 6, 8, 12, 13, 17, 18, 20], size)
    final = np.where(rng.random(size) < 0.3, rng.choice([1, 4, 8, 16, 17, 21], size), 0)
    return 0xAC00 + (initial * 21 + medial) * 28 + final


def write_generated_reference(path: Path, lines: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 5, 40_000)
    codes = syllables(rng, int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    vocabulary = ["".join(map(chr, codes[a:b])) for a, b in zip(starts[:-1], starts[1:])]
    block = 100_000
    with path.open("w", encoding="utf-8") as out:
        for done in range(0, lines, block):
            n = min(block, lines - done)
            words = np.minimum(rng.zipf(1.3, n * 14) - 1, len(vocabulary) - 1).reshape(n, 14)
            counts = rng.integers(4, 15, n)
            out.write(
                "".join(
                    " ".join(vocabulary[w] for w in row[:k]) + "\n" for row, k in zip(words, counts)
                )
            )


def write_evaluation_set(path: Path, size: int) -> None:
    with (BEEP_DIR / "train.tsv").open(encoding="utf-8", newline="") as handle:
        comments = [row["comments"] for row in csv.DictReader(handle, delimiter="\t")][:size]
    path.write_text("\n".join(comments) + "\n", encoding="utf-8")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(reference: str, evaluation: str, trace: bool, workers: int) -> None:
    """Runs in the fresh process: measure one case and print a JSON line."""
    from contextlib import ExitStack

    from apeach_ls.overlap import Corpus, InProcess, measure_overlap
    from apeach_ls.overlap_dask import DaskEngine, peak_rss_kb

    with ExitStack() as stack:
        engine = stack.enter_context(DaskEngine(workers)) if workers > 1 else InProcess()
        worker_before = engine.client.run(peak_rss_kb) if workers > 1 else {}
        worker_cpu = engine.client.run(cpu_seconds) if workers > 1 else {}
        before = resource.getrusage(resource.RUSAGE_SELF)
        if trace:
            import tracemalloc

            tracemalloc.start()
        start = time.perf_counter()
        [result] = measure_overlap(
            [Corpus("eval", Path(evaluation))],
            [Corpus("reference", Path(reference))],
            engine=engine,
        )
        seconds = time.perf_counter() - start
        worker_peaks = engine.peaks() if workers > 1 else {}
        if workers > 1:
            worker_cpu = {k: v - worker_cpu[k] for k, v in engine.client.run(cpu_seconds).items()}
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "maxrss_kb": after.ru_maxrss,
                "baseline_kb": before.ru_maxrss,
                "traced_peak": traced,
                "worker_before_kb": list(worker_before.values()),
                "worker_peak_kb": list(worker_peaks.values()),
                "worker_cpu_seconds": list(worker_cpu.values()),
                "row": result.as_row(),
            }
        )
    )


def run_case(reference: Path, evaluation: Path, trace: bool, workers: int) -> dict:
    command = [sys.executable, __file__, "--child", str(reference), str(evaluation)]
    command += ["--workers", str(workers)]
    if trace:
        command.append("--tracemalloc")
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lines", type=int, default=2_000_000, help="lines of the generated reference"
    )
    parser.add_argument(
        "--eval-size", type=int, default=4_000, help="sentences in the evaluation set"
    )
    parser.add_argument("--workers", type=int, default=2, help="Dask workers of case (c)")
    parser.add_argument("--tracemalloc", action="store_true", help="also report tracemalloc's peak")
    parser.add_argument("--child", nargs=2, metavar=("REFERENCE", "EVAL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child, trace=args.tracemalloc, workers=args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        evaluation, generated = Path(tmp) / "eval.txt", Path(tmp) / "generated.txt"
        write_evaluation_set(evaluation, args.eval_size)
        start = time.perf_counter()
        write_generated_reference(generated, args.lines)
        print(
            f"generated {args.lines:,} lines ({generated.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        cases = [
            ("(a) BEEP! unlabeled", BEEP_DIR / "unlabeled_comments_5.txt", 1),
            ("(b) generated", generated, 1),
            (f"(c) generated, {args.workers} w", generated, args.workers),
        ]
        header = (
            f"{'case':<25}{'ref lines':>11}{'eval':>7}{'wall s':>8}{'CPU s':>7}{'worker CPU s':>14}{'peak RSS MiB':>14}"
            f"{'RSS before MiB':>16}{'traced peak MiB':>17}{'worker peak MiB':>17}"
            f"{'worker before MiB':>19}{'word mean-max':>15}{'char mean-max':>15}{'load':>6}"
        )
        print(
            f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True
        )
        rows, walls, cpus, figures = [], [], [], []
        for label, reference, workers in cases:
            m = run_case(reference, evaluation, args.tracemalloc, workers)
            traced = f"{m['traced_peak'] / 2**20:.0f}" if m["traced_peak"] is not None else "-"
            peaks = "/".join(f"{kb / 1024:.0f}" for kb in m["worker_peak_kb"]) or "-"
            worker_cpu = "/".join(f"{cpu:.0f}" for cpu in m["worker_cpu_seconds"]) or "-"
            befores = "/".join(f"{kb / 1024:.0f}" for kb in m["worker_before_kb"]) or "-"
            row = m["row"]
            walls.append(m["seconds"])
            cpus.append(m["cpu_seconds"] + sum(m["worker_cpu_seconds"]))
            figures.append(row)
            worker_cpus = m["worker_cpu_seconds"]
            rows.append(
                f"{label:<25}{row['reference_sentences']:>11,}{row['eval_sentences']:>7,}"
                f"{m['seconds']:>8.0f}{m['cpu_seconds']:>7.0f}{worker_cpu:>14}{m['maxrss_kb'] / 1024:>14.0f}{m['baseline_kb'] / 1024:>16.0f}"
                f"{traced:>17}{peaks:>17}{befores:>19}"
                f"{row['word_mean_max_similarity']:>15.3f}{row['char_mean_max_similarity']:>15.3f}"
                f"{os.getloadavg()[0]:>6.1f}"
            )
            print(rows[-1], flush=True)
        print("\n" + header + "\n" + "\n".join(rows))
        print(
            f"\nspeed-up with {args.workers} Dask workers over one process: {walls[1] / walls[2]:.2f}x; "
            f"same figures: {figures[1] == figures[2]}; load average after: {os.getloadavg()[0]:.1f}"
        )
        print(
            f"CPU seconds (the fairer figure on a loaded machine): one process {cpus[1]:.0f}, "
            f"{args.workers} Dask workers and the driving process {cpus[2]:.0f} "
            f"({cpus[2] / cpus[1]:.2f}x); each worker's CPU s over its wall time: "
            + "/".join(f"{cpu / walls[2]:.2f}" for cpu in worker_cpus)
        )


if __name__ == "__main__":
    main()
