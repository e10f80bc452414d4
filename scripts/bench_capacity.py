"""Capacity at writer pace: how many writers one core of the ML backend serves with p99 < 1 s.

Writers are simulated open-loop: each sends one sentence every ``--pace`` seconds on average
(Poisson arrivals, 20 s by default), whatever the server answers, so N writers are a Poisson
stream of N / pace requests a second. The sentences are real BEEP! comments (train, dev and
test), so their lengths are real ones. A verdict's latency runs from the moment the writer
pressed Enter (its scheduled arrival) to the backend's answer (Label Studio's interactive
``/predict``), so a late send counts against the server, never for it.

Scaled time: a trial simulates arrivals at the real rate for ``--window`` seconds only (30 by
default), which is all that a p99 at a steady rate needs; the search doubles N until p99 reaches
``--target-ms`` (or a request fails), then bisects to within ``--precision``.

One core: the backend (one gunicorn worker, 40 threads, torch on one thread) is pinned to the
last CPU with taskset, this load generator to the first; writers per core is then the N found.
Model kinds: the n-gram model (the built-in default), and a BERT-base-shaped checkpoint (random
weights, WordPiece vocabulary from BEEP!, ``scripts/bench_backend.py``'s ``build_bert``) in
float32, int8 (``APEACH_ML_QUANTIZE=int8``) and on ONNX Runtime int8 (``onnx:`` model spec).

Usage: python scripts/bench_capacity.py [--window 30] [--pace 20] [--kinds ngram,bert-fp32,...]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import math
import os
import queue
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_backend import build_bert, interactive_body  # noqa: E402

from apeach_ls.embedded import SHIPPED_MODEL_DIR, ml_backend_process  # noqa: E402
from apeach_ls.processes import ManagedProcess, free_port  # noqa: E402

SENDERS = 128  # open loop: enough senders that arrivals never wait for a free one
KINDS = {
    # kind: (model spec, APEACH_ML_QUANTIZE, first N tried)
    "ngram": ("{ngram}", "off", 500),
    "bert-fp32": ("{bert}", "off", 20),
    "bert-int8": ("{bert}", "int8", 20),
    "bert-onnx-int8": ("onnx:{bert}", "int8", 20),
}


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def beep_comments(beep_dir: Path) -> list[str]:
    comments = []
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        path = beep_dir / name
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                comments += [row["comments"] for row in csv.DictReader(handle, delimiter="\t")]
    return [c for c in comments if c.strip()]


@dataclass
class Trial:
    writers: int
    latencies: np.ndarray  # seconds, answered requests
    errors: int
    late: float  # p99 of how late a request was sent after its arrival (s): the generator's lag
    rate: float  # requests per second offered

    def p(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if len(self.latencies) else math.inf

    def ok(self, target_ms: float, quantile: float) -> bool:
        return self.errors == 0 and self.p(quantile) < target_ms


def trial(
    url: str, bodies: list[bytes], writers: int, pace: float, window: float, seed: int
) -> Trial:
    """N writers for ``window`` seconds: Poisson arrivals at N / pace a second, sent on time."""
    rng = np.random.default_rng(seed)
    rate = writers / pace
    gaps = rng.exponential(1 / rate, int(rate * window * 1.5) + 10)
    arrivals = np.cumsum(gaps)
    arrivals = arrivals[arrivals < window]
    picks = rng.integers(len(bodies), size=len(arrivals))
    work: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
    latencies, lateness, errors = [], [], [0]
    lock = threading.Lock()
    host, port = url.split("/")[2].split(":")

    def sender() -> None:
        # a connection per sentence, as a writer's is: minutes apart, a kept-alive one would
        # have been closed by the backend's idle timeout long before
        while (item := work.get()) is not None:
            due, body = item
            sent = time.perf_counter()
            conn = http.client.HTTPConnection(host, int(port), timeout=120)
            try:
                conn.request(
                    "POST", "/predict", body=body, headers={"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                ok = response.status == 200 and b'"results"' in response.read()
            except (OSError, http.client.HTTPException):
                ok = False
            finally:
                conn.close()
            done = time.perf_counter()
            with lock:
                if ok:
                    latencies.append(done - due)
                    lateness.append(sent - due)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    for at, pick in zip(arrivals, picks):
        delay = start + at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        work.put((start + at, bodies[pick]))
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join(timeout=120)
    late = float(np.percentile(lateness, 99)) if lateness else 0.0
    return Trial(writers, np.array(latencies), errors[0], late, rate)


def warm_up(url: str, body: bytes) -> None:
    host, port = url.split("/")[2].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=900)
    try:
        conn.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
        conn.getresponse().read()
    finally:
        conn.close()


def search(
    url: str,
    bodies: list[bytes],
    first: int,
    args: argparse.Namespace,
) -> tuple[Trial | None, list[Trial]]:
    """The largest N (within ``args.precision``) whose trial meets the target, and every trial."""
    trials: list[Trial] = []

    def run(n: int) -> Trial:
        t = trial(url, bodies, n, args.pace, args.window, seed=len(trials))
        trials.append(t)
        log(
            f"  {n:>6} writers ({t.rate:7.1f} req/s): p50 {t.p(50):7.1f} ms, p99 {t.p(99):8.1f} ms, "
            f"errors {t.errors}, sender lag p99 {t.late * 1000:.0f} ms"
        )
        time.sleep(2)  # let a backlog drain before the next trial
        return t

    good: Trial | None = None
    bad: Trial | None = None
    n = first
    while good is None or bad is None:  # double from a success, halve from a failure
        t = run(n)
        if t.ok(args.target_ms, args.quantile):
            good, n = t, n * 2
        else:
            bad, n = t, n // 2
        if (good and bad) or n < 1:
            break
    lo = good.writers if good else 0
    hi = bad.writers if bad else lo * 2
    while good and hi > lo * (1 + args.precision) and hi - lo > 1:
        mid = (lo + hi) // 2
        t = run(mid)
        if t.ok(args.target_ms, args.quantile):
            good, lo = t, mid
        else:
            hi = mid
    return good, trials


def server(spec: str, quantize: str, tmp: Path, name: str, core: int) -> tuple[ManagedProcess, str]:
    port = free_port()
    process = ml_backend_process(
        tmp / name,
        port,
        spec,
        workers=1,
        threads=40,
        extra_env={
            "APEACH_ML_QUANTIZE": quantize,
            "APEACH_ML_TORCH_THREADS": "1",
            "WEB_CONCURRENCY": "1",
            "APEACH_VERDICT_SECRET": "capacity-bench-secret-" + "x" * 16,
        },
    )
    process.argv = ["taskset", "-c", str(core), *process.argv]
    return process, f"http://127.0.0.1:{port}/predict"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--beep-dir",
        type=Path,
        default=Path(os.environ.get("APEACH_BEEP_DIR", REPO.parent / "shared/data/beep")),
    )
    parser.add_argument(
        "--pace", type=float, default=20.0, help="seconds between a writer's sentences"
    )
    parser.add_argument("--window", type=float, default=30.0, help="seconds of arrivals per trial")
    parser.add_argument("--target-ms", type=float, default=1000.0)
    parser.add_argument("--quantile", type=float, default=99.0)
    parser.add_argument("--precision", type=float, default=0.1, help="relative width of the answer")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        help="serve this BERT-base-shaped checkpoint directory instead of building one",
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"of {', '.join(KINDS)}")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")

    comments = beep_comments(args.beep_dir)
    lengths = np.array([len(c) for c in comments])
    log(
        f"{len(comments):,} BEEP! comments: length median {np.median(lengths):.0f}, "
        f"p90 {np.percentile(lengths, 90):.0f}, max {lengths.max()} characters"
    )
    bodies = [interactive_body(c) for c in comments]
    cores = sorted(os.sched_getaffinity(0))
    server_core, client_core = cores[-1], cores[0]
    if len(cores) > 1:
        os.sched_setaffinity(0, {client_core})
    rows = []
    with tempfile.TemporaryDirectory(prefix="apeach-capacity-") as tmp_name:
        tmp = Path(tmp_name)
        bert = args.checkpoint or tmp / "bert-base-random"
        if any(k.startswith("bert") for k in kinds) and not args.checkpoint:
            log("building a BERT-base-shaped checkpoint with random weights")
            build_bert(bert, comments)
        for kind in kinds:
            spec_template, quantize, first = KINDS[kind]
            spec = spec_template.format(ngram=SHIPPED_MODEL_DIR, bert=bert)
            log(f"{kind}: serving {spec} (APEACH_ML_QUANTIZE={quantize}) on CPU {server_core}")
            process, url = server(spec, quantize, tmp, kind, server_core)
            try:
                process.start()
                process.wait_healthy(300)
                warm_up(url, bodies[0])  # loads (and for ONNX exports) the model
                warm = trial(url, bodies, 5, 1.0, 5.0, seed=99)
                if warm.errors:
                    raise SystemExit(f"{kind}: the backend failed; see {process.log_path}")
                good, trials = search(url, bodies, first, args)
            finally:
                process.stop()
            rows.append((kind, good, trials))
    print(
        f"\nwriters per core at p{args.quantile:g} < {args.target_ms:g} ms (one sentence every "
        f"{args.pace:g} s per writer, Poisson; {args.window:g} s of arrivals per trial; backend "
        f"pinned to one CPU, torch on one thread)\n"
    )
    print(
        f"{'model kind':<16}{'writers/core':>13}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'trials':>8}"
    )
    for kind, good, trials in rows:
        if good is None:
            print(
                f"{kind:<16}{'< ' + str(min(t.writers for t in trials)):>13}{'-':>8}{'-':>9}{'-':>9}{len(trials):>8}"
            )
            continue
        print(
            f"{kind:<16}{good.writers:>13,}{good.rate:>8.1f}{good.p(50):>9.1f}{good.p(99):>9.1f}"
            f"{len(trials):>8}"
        )
    found = {kind: good.writers for kind, good, _ in rows if good}
    if "bert-int8" in found and "bert-onnx-int8" in found:
        ratio = found["bert-onnx-int8"] / found["bert-int8"]
        print(
            f"\nONNX Runtime int8 over torch int8: {ratio:.2f}x the writers "
            f"({'>=' if ratio >= 1.5 else '<'} 1.5x)"
        )
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end)")


if __name__ == "__main__":
    main()
