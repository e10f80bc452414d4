"""Issue 13's two targets, measured side by side in one run (not run in CI).

1. Slow clients. Two backends on 127.0.0.1 serving the same app and n-gram model, 1 worker and
   4 threads each (as ``apeach-ls up`` starts it): *before*, gunicorn's gthread worker (the
   previous ``apeach-ls backend``); *after*, :class:`apeach_ls.ml_backend.serving.BufferingWorker` with
   its default deadlines (APEACH_ML_IDLE_TIMEOUT 10 s, APEACH_ML_BODY_TIMEOUT 30 s). For each:
   ``/health`` and an interactive ``/predict`` latency with 0 and with 64 slow connections open
   (a third send headers and one body byte then go silent, a third half a header block, a third
   trickle a body at 1 byte / 2 s; requests time out at 5 s), then how long the server keeps
   each kind of slow connection (watched for 45 s more after the latency runs).
2. Label-config parsing. CPU time to parse the probe's config (one smartonly TextArea and N
   hate/not_hate Choices) with the previous parser (its source read from git, commit
   32ee321) and the current one (the best of 3 runs), for growing N; and the time to refuse the 1.1 MB config
   under the default size limit (APEACH_ML_MAX_CONFIG_CHARS, 100,000).

Usage: python scripts/bench_hardening.py [--beep-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from apeach_ls import label_config  # noqa: E402
from apeach_ls.errors import ConfigError  # noqa: E402
from apeach_ls.generation_config import parse_generation_config  # noqa: E402
from apeach_ls.ml_backend.serving import gunicorn_argv  # noqa: E402
from apeach_ls.processes import ManagedProcess, free_port  # noqa: E402

BEFORE_COMMIT = "32ee321"
SLOW = 64
REQUEST_TIMEOUT = 5.0
WATCH = 45.0
SECRET = "bench-verdict-secret-0123456789abcdef"


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# -- 1. slow clients ------------------------------------------------------------------------


def start(name: str, argv: list[str], model: Path, tmp: Path) -> tuple[ManagedProcess, str, int]:
    port = free_port()
    argv = [a.replace("PORT", str(port)) for a in argv]
    env = {
        **os.environ,
        "APEACH_LS_MODEL": str(model),
        "APEACH_VERDICT_SECRET": SECRET,
        "PYTHONPATH": str(REPO),
        "APEACH_ML_LOG_LEVEL": "warning",
    }
    process = ManagedProcess(
        name, argv, env, tmp / f"{name}.log", f"http://127.0.0.1:{port}/health"
    ).start()
    process.wait_healthy(60)
    return process, f"http://127.0.0.1:{port}", port


def open_slow(
    port: int, count: int
) -> tuple[list[tuple[str, socket.socket, float]], threading.Event]:
    head = (
        f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        "Content-Length: {n}\r\n\r\n"
    )
    conns = []
    for i in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        kind = ("silent body", "half header", "trickle")[i % 3]
        if kind == "silent body":
            sock.sendall(head.format(n=100).encode() + b"{")
        elif kind == "half header":
            sock.sendall(f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Ty".encode())
        else:
            sock.sendall(head.format(n=1000).encode())
        conns.append((kind, sock, time.monotonic()))
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(2.0):
            for kind, sock, _ in conns:
                if kind == "trickle":
                    try:
                        sock.send(b" ")
                    except OSError:
                        pass

    threading.Thread(target=trickle, daemon=True).start()
    return conns, stop


def latency(call: Callable[[], requests.Response], n: int) -> str:
    times, failures = [], 0
    for _ in range(n):
        started = time.perf_counter()
        try:
            ok = call().status_code == 200
        except requests.RequestException:
            ok = False
        took = time.perf_counter() - started
        if ok:
            times.append(took)
        else:
            failures += 1
    if not times:
        return f"all {n} timed out (> {REQUEST_TIMEOUT:.0f} s)"
    text = f"median {statistics.median(times) * 1000:7.1f} ms, max {max(times) * 1000:7.1f} ms"
    return text + (f", {failures}/{n} timed out" if failures else "")


def lifetimes(conns: list[tuple[str, socket.socket, float]], watch: float) -> dict[str, str]:
    """How long the server kept each kind of connection (the longest of the kind)."""
    deadline = time.monotonic() + watch
    closed: dict[int, float] = {}
    for sock in (s for _, s, _ in conns):
        sock.setblocking(False)
    while len(closed) < len(conns) and time.monotonic() < deadline:
        for i, (_, sock, _) in enumerate(conns):
            if i in closed:
                continue
            try:
                if sock.recv(4096) == b"":
                    closed[i] = time.monotonic()
            except BlockingIOError:
                pass
            except OSError:
                closed[i] = time.monotonic()
        time.sleep(0.1)
    out = {}
    for kind in ("silent body", "half header", "trickle"):
        ages = [
            closed[i] - opened if i in closed else None
            for i, (k, _, opened) in enumerate(conns)
            if k == kind
        ]
        if any(a is None for a in ages):
            oldest = time.monotonic() - min(opened for k, _, opened in conns if k == kind)
            out[kind] = (
                f"{sum(a is None for a in ages)}/{len(ages)} still open after {oldest:.0f} s"
            )
        else:
            out[kind] = f"all {len(ages)} closed, the last after {max(ages):.1f} s"
    return out


def bench_slow_clients(model: Path, tmp: Path) -> list[str]:
    body = {
        "tasks": [{"id": 2, "annotations": [], "data": {}}],
        "project": "2.1",
        "label_config": label_config.load("generation"),
        "params": {
            "context": {
                "result": [
                    {
                        "from_name": "text",
                        "type": "textarea",
                        "value": {"text": ["이 사람들 정말 싫어 꺼져"]},
                    }
                ]
            }
        },
    }
    servers = {
        "before (gthread)": [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            "127.0.0.1:PORT",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "120",
            "apeach_ls.ml_backend.wsgi:app",
        ],
        "after (BufferingWorker)": gunicorn_argv("127.0.0.1", 0, 1, 4, timeout=120),
    }
    servers["after (BufferingWorker)"][servers["after (BufferingWorker)"].index("127.0.0.1:0")] = (
        "127.0.0.1:PORT"
    )
    lines = [f"## 1. slow clients: 1 worker x 4 threads, {SLOW} slow connections, 127.0.0.1", ""]
    for name, argv in servers.items():
        log(f"{name}: starting")
        process, url, port = start(name.split()[0], argv, model, tmp)
        try:

            def health(url: str = url) -> requests.Response:
                return requests.get(f"{url}/health", timeout=REQUEST_TIMEOUT)

            def predict(url: str = url) -> requests.Response:
                return requests.post(f"{url}/predict", json=body, timeout=REQUEST_TIMEOUT)

            lines.append(f"{name}")
            lines.append(f"  0 slow   /health  {latency(health, 20)}")
            lines.append(f"  0 slow   /predict {latency(predict, 20)}")
            log(f"{name}: opening {SLOW} slow connections")
            conns, stop = open_slow(port, SLOW)
            time.sleep(0.5)
            lines.append(f"  {SLOW} slow  /health  {latency(health, 3)}")
            lines.append(f"  {SLOW} slow  /predict {latency(predict, 3)}")
            log(f"{name}: watching the slow connections for up to {WATCH:.0f} s")
            for kind, text in lifetimes(conns, WATCH).items():
                lines.append(f"  kept: {kind:<12} {text}")
            stop.set()
            for _, sock, _ in conns:
                sock.close()
        finally:
            process.stop()
        lines.append("")
    return lines


# -- 2. label-config parsing ----------------------------------------------------------------


def big_config(n: int) -> str:
    choices = "".join(
        f'<Choices name="c{i}" toName="t"><Choice value="hate"/><Choice value="not_hate"/></Choices>'
        for i in range(n)
    )
    return f'<View><Text name="t" value="$t"/><TextArea name="x" toName="t" smartonly="true"/>{choices}</View>'


def previous_parser() -> Callable[[str], object] | None:
    """``parse_generation_config`` as it was at BEFORE_COMMIT (from git), or None without git."""
    try:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{BEFORE_COMMIT}:apeach_ls/generation_config.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("apeach_ls._generation_config_before")
    module.__package__ = "apeach_ls"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{BEFORE_COMMIT}:generation_config.py", "exec"), module.__dict__)  # noqa: S102
    return module.parse_generation_config


def cpu(call: Callable[[], object]) -> float:
    started = time.process_time()
    try:
        call()
    except ConfigError:
        pass
    return time.process_time() - started


def bench_parsing() -> list[str]:
    before = previous_parser()
    lines = [
        "## 2. label-config parsing: CPU seconds for one smartonly TextArea + N hate/not_hate Choices",
        "",
        f"{'N Choices':>10} {'size':>9} {'before':>9} {'after':>9}",
    ]
    for n in (1_500, 3_000, 6_000, 12_000, 24_000):
        config = big_config(n)
        log(f"parsing {n} Choices")
        old = (
            f"{cpu(lambda config=config: before(config)):8.3f}s"
            if before and n <= 12_000
            else "    (skip)"
        )
        new = min(
            cpu(lambda config=config: parse_generation_config(config, max_chars=len(config)))
            for _ in range(3)
        )
        lines.append(f"{n:>10,} {len(config) / 1e6:7.2f}MB {old:>9} {new:8.3f}s")
    config = big_config(12_000)
    refuse = min(cpu(lambda: parse_generation_config(config)) for _ in range(5))
    lines += [
        "",
        f"refusing the {len(config) / 1e6:.1f} MB config under the default limit (100,000 characters): "
        f"{refuse * 1e6:.0f} µs of CPU (ConfigTooLarge; /predict, /setup, /webhook answer 413)",
    ]
    if before is None:
        lines.append(
            f"(before: git show {BEFORE_COMMIT} failed, so the previous parser was not measured)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beep-dir", type=Path, default=REPO.parent / "shared" / "data" / "beep")
    args = parser.parse_args()
    from apeach_ls.classifier.training import train_and_save

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log("training the n-gram model on BEEP! train")
        train_and_save(args.beep_dir / "train.tsv", tmp / "model")
        lines = bench_slow_clients(tmp / "model", tmp) + bench_parsing()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
