"""Running `apeach-ls up` as a user runs it, and looking at what it started from outside."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any Label Studio or apeach-ls setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "APEACH_"))}
    env.update(extra)
    return env


class UpRun:
    """One `apeach-ls up`; every run is remembered so a fixture can stop what a failed test left."""

    started: list[UpRun] = []

    def __init__(self, args, env, cwd=None):
        UpRun.started.append(self)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "apeach_ls.cli", "up", *args],
            env=env,
            text=True,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.output.append(line)
            if text in line:
                return "".join(self.output)
        self.stop()
        raise AssertionError(f"{text!r} not seen; output:\n{''.join(self.output)}")

    def stop(self, signum=signal.SIGINT):
        if self.process.poll() is None:
            self.process.send_signal(signum)
            self.process.wait(timeout=60)
        return (
            self.wait_for("stopped.", timeout=5)
            if self.process.returncode == 0
            else "".join(self.output)
        )


def line_value(output, prefix):
    return next(line for line in output.splitlines() if line.startswith(prefix))


def listening(port: int) -> list[tuple[str, int]]:
    """(address, socket inode) of every TCP socket listening on ``port`` (from /proc/net)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                if width == 8:
                    ip = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    ip = "::" if set(address) == {"0"} else address
                found.append((ip, int(fields[9])))
    return found


def listener_pids(port: int) -> set[int]:
    """The processes holding a socket that listens on ``port``."""
    inodes = {f"socket:[{inode}]" for _, inode in listening(port)}
    pids = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                pids.add(int(proc.name))
        except OSError:
            continue
    return pids


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def ask_verdict(
    ls_url: str, api_key: str, ml_id: int, task_id: int, text: str, intent: str = "hate"
) -> dict:
    """What the writer's browser does on Enter: Label Studio asks the backend for a verdict.
    Returns the backend's result items (intent and text included, verdict added)."""
    result = [
        {
            "value": {"choices": [intent]},
            "id": "w1",
            "from_name": "intent",
            "to_name": "prompt",
            "type": "choices",
            "origin": "manual",
        },
        {
            "value": {"text": [text]},
            "id": "w2",
            "from_name": "text",
            "to_name": "prompt",
            "type": "textarea",
            "origin": "manual",
        },
    ]
    response = requests.post(
        f"{ls_url}/api/ml/{ml_id}/interactive-annotating",
        headers={"Authorization": f"Token {api_key}"},
        json={"task": task_id, "context": {"result": result}},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["data"]


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")
