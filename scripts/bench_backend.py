"""The pseudo-classifier at writer speed: the bare model against ``/predict`` under gunicorn.

Two models side by side: (a) the default n-gram model, trained here on BEEP! train, and
(b) a BERT-base-shaped checkpoint (12 layers, 768 wide, 12 heads, random weights, a WordPiece
vocabulary learned from BEEP!), saved to a temporary directory. Sentences are BEEP! comments
cut or joined to lengths like writers' answers (log-normal, median 27 characters, at most 280).

Measured: the bare model's latency per sentence; ``/predict`` with Label Studio's interactive
body from one client (and its overhead over the bare model); 1, 8 and 32 concurrent clients
with micro-batching on and off; one non-interactive ``/predict`` of 1,000 tasks; and the
checkpoint int8-quantized against float32 (bare latency, label agreement); and, for float32, the
compute floor of a 32-client round (the least time its sentences can take in the linear layers at
this machine's measured GEMM rate). Every server is one gunicorn worker with 40 threads on
127.0.0.1, stopped at the end. Each phase is bounded by a
request count and a time; progress goes to stderr, the table and the targets to stdout.

Usage: python scripts/bench_backend.py [--quick] [--beep-dir DIR] [--torch-threads N] [--int8]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from apeach_ls import label_config  # noqa: E402
from apeach_ls.embedded import ml_backend_process  # noqa: E402
from apeach_ls.processes import ManagedProcess, free_port  # noqa: E402

CONFIG = label_config.load("generation")
JSON = {"Content-Type": "application/json"}
CLIENTS = (1, 8, 32)


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def sentences(comments: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """``n`` sentences of BEEP! text with log-normal lengths (median 27, 5..280 characters)."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(np.round(27 * np.exp(rng.normal(0, 0.75, n))), 5, 280).astype(int)
    out = []
    for length in lengths:
        text = ""
        while len(text) < length:
            text = (text + " " + comments[rng.integers(len(comments))]).strip()
        out.append(text[:length].strip())
    return out


def text_item(text: str) -> dict[str, Any]:
    return {
        "value": {"text": [text]},
        "id": "hR9iGu9IwN",
        "from_name": "text",
        "to_name": "prompt",
        "type": "textarea",
        "origin": "manual",
    }


def interactive_body(text: str) -> bytes:
    """What Label Studio sends while a writer types (as tests/test_ml_backend.py ``interactive``)."""
    return json.dumps(
        {
            "tasks": [{"id": 2, "annotations": [], "data": {"topic": "인종", "guideline": "..."}}],
            "project": "2.1795410492",
            "label_config": CONFIG,
            "params": {"login": None, "password": None, "context": {"result": [text_item(text)]}},
        },
        ensure_ascii=False,
    ).encode()


def retrieve_body(texts: Sequence[str]) -> bytes:
    """ "Retrieve predictions" for tasks each with one annotation holding a sentence."""
    tasks = [
        {"id": i, "data": {}, "annotations": [{"result": [text_item(t)]}]}
        for i, t in enumerate(texts)
    ]
    return json.dumps(
        {"tasks": tasks, "project": "2.1", "label_config": CONFIG}, ensure_ascii=False
    ).encode()


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    wall: float = 0.0

    def p(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def bare(
    classify: Callable[[list[str]], Any], texts: Sequence[str], limit: int, seconds: float
) -> Run:
    run, deadline = Run(), time.monotonic() + seconds
    for text in itertools.islice(itertools.cycle(texts), limit):
        started = time.perf_counter()
        classify([text])
        run.latencies.append(time.perf_counter() - started)
        if time.monotonic() > deadline:
            break
    return run


class Raw:
    """The lightest keep-alive HTTP client (http.client): isolates the server's own cost."""

    def __init__(self, url: str):
        self.host, self.port = url.split("/")[2].split(":")
        self.conn = http.client.HTTPConnection(self.host, int(self.port), timeout=120)

    def post(self, body: bytes) -> bool:
        self.conn.request("POST", "/predict", body=body, headers=JSON)
        response = self.conn.getresponse()
        content = response.read()
        if (response.getheader("Connection") or "").lower() == "close":
            self.conn.close()
        return response.status == 200 and b'"results"' in content

    def close(self) -> None:
        self.conn.close()


class Session:
    """requests.Session, as Label Studio calls the backend."""

    def __init__(self, url: str):
        self.url, self.session = url, requests.Session()

    def post(self, body: bytes) -> bool:
        r = self.session.post(self.url, data=body, headers=JSON, timeout=120)
        return r.status_code == 200 and b'"results"' in r.content

    def close(self) -> None:
        self.session.close()


def load(
    url: str,
    bodies: Sequence[bytes],
    clients: int,
    limit: int,
    seconds: float,
    kind: type[Raw] | type[Session] = Session,
) -> Run:
    """``clients`` threads, each with its own connection, posting until ``limit`` requests or ``seconds``."""
    run, lock, counter = Run(), threading.Lock(), itertools.count()
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = kind(url)
        try:
            while time.monotonic() < deadline and (n := next(counter)) < limit:
                started = time.perf_counter()
                try:
                    ok = connection.post(bodies[n % len(bodies)])
                except (OSError, http.client.HTTPException, requests.RequestException):
                    ok = False
                    connection.close()
                    connection = kind(url)
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        run.latencies.append(elapsed)
                    else:
                        run.errors += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.wall = time.perf_counter() - started
    return run


def build_bert(directory: Path, comments: Sequence[str]) -> Path:
    """A BERT-base-shaped classifier with random weights and a WordPiece vocabulary from ``comments``."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(
        comments, trainers.WordPieceTrainer(vocab_size=30000, special_tokens=specials)
    )
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )
    id2label = {0: "not_hate", 1: "hate"}
    config = transformers.BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )  # defaults: BERT-base
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config).eval()
    # A random head of the default scale gives every sentence p(hate) ~ 0.5 and one label, which
    # would make the int8 agreement trivial: widen it and centre it on BEEP!, so verdicts spread.
    with torch.inference_mode():
        model.classifier.weight.normal_(0.0, 0.3)
        model.classifier.bias.zero_()
        sample = tokenizer(
            list(comments[:256]), padding=True, truncation=True, max_length=128, return_tensors="pt"
        )
        logits = model(**sample).logits
        model.classifier.bias.copy_(-logits.mean(0))
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def int8_comparison(
    fp32: Any, fp32_bare: Run, texts: Sequence[str], budget: tuple[int, float]
) -> dict[str, Any]:
    """``fp32`` (a loaded float32 CheckpointClassifier, whose bare latency is ``fp32_bare``) and
    its int8 twin: latency per sentence, and how often their labels agree over ``texts``."""
    int8 = fp32.int8()
    out: dict[str, Any] = {"fp32": fp32_bare}
    int8.classify(list(texts[:4]))
    log("int8 comparison: int8, bare, one sentence at a time")
    out["int8"] = bare(int8.classify, texts, *budget)
    for name, model in (("fp32", fp32), ("int8", int8)):
        log(f"int8 comparison: {name}, {len(texts)} sentences batched")
        out[f"{name}-verdicts"] = model.classify(list(texts))

    def p_hate(v: Any) -> float:
        return v.score if v.label == "hate" else 1.0 - v.score

    pairs = list(zip(out["fp32-verdicts"], out["int8-verdicts"]))
    out["agreement"] = sum(a.label == b.label for a, b in pairs) / len(pairs)
    out["hate-share"] = sum(a.label == "hate" for a, _ in pairs) / len(pairs)
    out["mean-diff"] = float(np.mean([abs(p_hate(a) - p_hate(b)) for a, b in pairs]))
    return out


def compute_floor(directory: Path, texts: Sequence[str], clients: int) -> dict[str, float]:
    """The least time one closed-loop round of ``clients`` sentences can take on this machine.

    However well requests are batched, every sentence's tokens go through the encoder's linear
    layers (2 x (4h^2 + 2hI) FLOPs per token and layer; attention and padding only add), and
    nothing multiplies matrices faster than this machine's float32 GEMM, measured here at the
    shape of those layers. With ``clients`` clients each waiting for its answer before it sends
    again, every client waits at least this long per request, so p99 cannot be lower.
    """
    import torch
    import transformers

    config = transformers.AutoConfig.from_pretrained(directory)
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    tokens = float(
        np.mean(
            [
                len(ids)
                for ids in tokenizer(list(texts), truncation=True, max_length=256)["input_ids"]
            ]
        )
    )
    h, inner = config.hidden_size, config.intermediate_size
    flops_per_token = 2.0 * config.num_hidden_layers * (4 * h * h + 2 * h * inner)
    rows = int(round(clients * tokens))
    a, w = torch.randn(rows, h), torch.randn(h, inner)
    best = float("inf")
    with torch.inference_mode():
        a @ w
        for _ in range(10):
            started = time.perf_counter()
            for _ in range(5):
                a @ w
            best = min(best, (time.perf_counter() - started) / 5)
    gflops = 2.0 * rows * h * inner / best / 1e9
    return {
        "tokens": tokens,
        "mflops": flops_per_token / 1e6,
        "gflops": gflops,
        "ms": clients * tokens * flops_per_token / (gflops * 1e9) * 1e3,
    }


@dataclass(frozen=True)
class Budget:
    """Most requests and seconds per phase: bare model, one client, each concurrency level."""

    bare: tuple[int, float]
    single: tuple[int, float]
    concurrent: tuple[int, float]

    def scaled(self, factor: float) -> Budget:
        return Budget(*((n, s * factor) for n, s in (self.bare, self.single, self.concurrent)))


NGRAM_BUDGET = Budget(bare=(5000, 5), single=(3000, 6), concurrent=(20000, 6))
BERT_BUDGET = Budget(
    bare=(200, 12), single=(200, 12), concurrent=(2000, 25)
)  # a 32-client cycle takes ~2 s


def measure(
    spec: str,
    model: Any,
    budget: Budget,
    texts: list[str],
    tasks: int,
    tmp: Path,
    env: dict[str, str],
) -> dict[str, Any]:
    """Every phase for one model. Both servers (batching on, off) run side by side, so the
    phases that compare them alternate under the same background load; both are always stopped."""
    name = type(model).__name__
    model.classify(texts[:4])  # load + warm up
    log(f"{name}: bare model, one sentence at a time")
    results: dict[str, Any] = {"bare": bare(model.classify, texts, *budget.bare)}
    bodies = [interactive_body(t) for t in texts]
    default = "on" if getattr(model, "prefers_batching", False) else "off"
    servers: dict[str, tuple[ManagedProcess, str]] = {}
    try:
        for mode in ("on", "off"):
            log(f"{name}: starting gunicorn (batching {mode})")
            port = free_port()
            process = ml_backend_process(
                tmp / f"{name}-{mode}",
                port,
                spec,
                workers=1,
                threads=40,
                extra_env={"APEACH_ML_BATCHING": mode, "WEB_CONCURRENCY": "1", **env},
            ).start()
            servers[mode] = process, f"http://127.0.0.1:{port}/predict"
            process.wait_healthy(120)
            load(servers[mode][1], bodies, 1, 3, 120)  # the first request loads a checkpoint
        url = servers[default][1]
        log(f"{name}: /predict, one client (batching {default})")
        results["single"] = load(url, bodies, 1, *budget.single)
        results["single-raw"] = load(url, bodies, 1, *budget.single, kind=Raw)
        log(f"{name}: /predict with {tasks:,} tasks")
        started = time.perf_counter()
        r = requests.post(url, data=retrieve_body(texts[:tasks]), headers=JSON, timeout=900)
        ok = r.status_code == 200 and len(r.json()["results"]) == tasks
        results["retrieve"] = (time.perf_counter() - started, ok, tasks)
        for clients in CLIENTS:
            for mode in ("on", "off"):
                log(f"{name}: {clients} concurrent clients, batching {mode}")
                results[f"{mode}-{clients}"] = load(
                    servers[mode][1],
                    bodies,
                    clients,
                    *(budget.single if clients == 1 else budget.concurrent),
                )
    finally:
        for process, _ in servers.values():
            process.stop()
    results["default"] = default
    return results


def table(columns: dict[str, dict[str, Any]]) -> str:
    def cell(label: str, fn: Callable[[dict[str, Any]], str]) -> str:
        return f"{label:<40}" + "".join(f"{fn(r):<42}" for r in columns.values())

    def ms(run: Run) -> str:
        return f"{run.p(50):.2f} / {run.p(99):.2f}"

    def overhead(key: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: (
            f"+{r[key].p(50) - r['bare'].p(50):.2f} ms ({r[key].p(50) / r['bare'].p(50):.2f}x bare)"
        )

    rule = "-" * (40 + 42 * len(columns))
    lines = [
        cell("", lambda r: r["title"]),
        rule,
        cell("bare model p50 / p99 (ms)", lambda r: ms(r["bare"])),
        cell(
            "/predict 1 client p50 / p99 (ms)",
            lambda r: f"{ms(r['single'])}  (batching {r['default']})",
        ),
        cell("  overhead at p50", overhead("single")),
        cell("  same, http.client p50 / p99 (ms)", lambda r: ms(r["single-raw"])),
        cell("  overhead at p50, http.client", overhead("single-raw")),
        rule,
        cell("clients, micro-batching", lambda r: "req/s   p50 / p99 ms          errors"),
    ]
    for mode in ("off", "on"):
        for clients in CLIENTS:
            lines.append(
                cell(
                    f"{clients:>2} clients, batching {mode}",
                    lambda r, k=f"{mode}-{clients}": (
                        f"{r[k].rate:<7.1f} {ms(r[k]):<21} {r[k].errors}"
                    ),
                )
            )
    lines += [
        rule,
        cell(
            "non-interactive /predict (s)",
            lambda r: (
                f"{r['retrieve'][0]:.2f} for {r['retrieve'][2]:,} tasks"
                + ("" if r["retrieve"][1] else "  (FAILED)")
            ),
        ),
        rule,
    ]
    return "\n".join(lines)


def targets(
    ngram: dict[str, Any], bert: dict[str, Any], floor: dict[str, float] | None
) -> list[str]:
    def verdict(ok: bool) -> str:
        return "MET    " if ok else "NOT MET"

    raw, full = (ngram[k].p(50) - ngram["bare"].p(50) for k in ("single-raw", "single"))
    on, off, single = bert["on-32"], bert["off-32"], bert["single"]
    runs = [r for res in (ngram, bert) for r in res.values() if isinstance(r, Run)]
    errors = sum(r.errors for r in runs) + sum(not res["retrieve"][1] for res in (ngram, bert))
    lines = [
        f"{verdict(raw <= 2.0)} n-gram server overhead at p50 <= 2 ms: {raw:.2f} ms "
        f"(http.client; {full:.2f} ms with requests.Session, whose own cost is in it)",
        f"{verdict(on.rate >= 2 * off.rate)} checkpoint, 32 clients: batching >= 2x throughput: "
        f"{on.rate:.1f} vs {off.rate:.1f} req/s ({on.rate / max(off.rate, 1e-9):.2f}x)",
        f"{verdict(on.p(99) <= 3 * single.p(99))} checkpoint, 32 clients batched: p99 <= 3x one client's: "
        f"{on.p(99):.0f} vs 3 x {single.p(99):.0f} ms (closed loop: p99 >= 32 / throughput = "
        f"{32000 / max(on.rate, 1e-9):.0f} ms)",
        f"{verdict(errors == 0)} zero errors: {errors}",
    ]
    if floor is not None:
        bound = 3 * single.p(99)
        lines.insert(
            3,
            f"        compute floor of one 32-client round: 32 x {floor['tokens']:.1f} tokens x "
            f"{floor['mflops']:.0f} MFLOP (linear layers only) at this machine's {floor['gflops']:.0f} "
            f"GFLOP/s float32 GEMM = {floor['ms']:.0f} ms "
            + (
                f"> 3 x {single.p(99):.0f} ms: no batching can meet this target here"
                if floor["ms"] > bound
                else f"<= 3 x {single.p(99):.0f} ms: reachable in principle"
            ),
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--beep-dir",
        type=Path,
        default=Path(os.environ.get("APEACH_BEEP_DIR", REPO.parent / "shared/data/beep")),
    )
    parser.add_argument("--quick", action="store_true", help="shorter phases (about a third)")
    parser.add_argument(
        "--torch-threads", type=int, help="torch threads, bench and server (default: cores)"
    )
    parser.add_argument("--int8", action="store_true", help="serve the checkpoint int8-quantized")
    args = parser.parse_args()
    import torch

    from apeach_ls.classifier import load_classifier
    from apeach_ls.classifier.checkpoint import CheckpointClassifier
    from apeach_ls.classifier.data import read_labeled
    from apeach_ls.classifier.training import train_and_save

    comments = [ex.text for ex in read_labeled(args.beep_dir / "train.tsv")]
    texts = sentences(comments, 1000)
    log(
        f"{len(texts)} sentences, median {np.median([len(t) for t in texts]):.0f} characters, "
        f"longest {max(len(t) for t in texts)}"
    )
    factor = 0.35 if args.quick else 1.0
    env = {"APEACH_ML_QUANTIZE": "int8" if args.int8 else "off"}
    torch.set_num_threads(
        args.torch_threads or os.cpu_count() or 1
    )  # what the server does with 1 worker
    if args.torch_threads:
        env["APEACH_ML_TORCH_THREADS"] = str(args.torch_threads)
    with tempfile.TemporaryDirectory(prefix="apeach-bench-") as tmp_name:
        tmp = Path(tmp_name)
        log("training the n-gram model on BEEP! train")
        train_and_save(args.beep_dir / "train.tsv", tmp / "ngram")
        ngram = measure(
            str(tmp / "ngram"),
            load_classifier(str(tmp / "ngram")),
            NGRAM_BUDGET.scaled(factor),
            texts,
            1000,
            tmp,
            env,
        )
        log("building a BERT-base-shaped checkpoint with random weights")
        build_bert(tmp / "bert-base-random", comments)
        bert_model = CheckpointClassifier(str(tmp / "bert-base-random"), quantize=args.int8)
        bert = measure(
            str(tmp / "bert-base-random"),
            bert_model,
            BERT_BUDGET.scaled(factor),
            texts,
            200 if args.quick else 1000,
            tmp,
            env,
        )
        floor = None if args.int8 else compute_floor(tmp / "bert-base-random", texts, 32)
        fp32 = bert_model if not args.int8 else CheckpointClassifier(str(tmp / "bert-base-random"))
        fp32_bare = (
            bert["bare"]
            if not args.int8
            else bare(fp32.classify, texts, *BERT_BUDGET.scaled(factor).bare)
        )
        quantization = int8_comparison(
            fp32, fp32_bare, texts[: 200 if args.quick else 500], BERT_BUDGET.scaled(factor).bare
        )
    ngram["title"] = "n-gram (default)"
    bert["title"] = f"checkpoint: BERT-base shape{', int8' if args.int8 else ''}"
    threads = args.torch_threads or os.cpu_count()
    print(table({"ngram": ngram, "bert": bert}))
    print("\n".join(targets(ngram, bert, floor)))
    q = quantization
    print(
        f"int8 dynamic quantization, checkpoint, bare: p50 / p99 {q['int8'].p(50):.1f} / {q['int8'].p(99):.1f} ms "
        f"vs float32 {q['fp32'].p(50):.1f} / {q['fp32'].p(99):.1f} ms ({q['fp32'].p(50) / q['int8'].p(50):.2f}x at p50); "
        f"labels agree with float32 on {q['agreement']:.1%} of {len(q['fp32-verdicts'])} sentences "
        f"(float32 says hate for {q['hate-share']:.0%}); mean |p(hate) difference| {q['mean-diff']:.4f}"
    )
    print(
        f"(torch threads {threads}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end)"
    )


if __name__ == "__main__":
    main()
