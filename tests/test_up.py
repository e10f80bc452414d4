"""`apeach-ls up`: the embedded default, run as a user runs it, twice on the same data."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from apeach_ls.labelstudio.campaign import find_project
from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.processes import free_port, port_in_use

pytestmark = pytest.mark.integration


class UpRun:
    def __init__(self, args, env):
        self.process = subprocess.Popen([sys.executable, "-m", "apeach_ls.cli", *args], env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text, timeout=240):
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

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=60)
        return self.wait_for("stopped.", timeout=5) if self.process.returncode == 0 else "".join(self.output)


def line_value(output, prefix):
    return next(line for line in output.splitlines() if line.startswith(prefix))


def test_up_twice_on_the_same_data_then_ctrl_c_stops_both(tmp_path, default_model_dir):
    port, ml_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "APEACH_"))}
    env["APEACH_LS_MODEL"] = str(default_model_dir)
    args = ["up", "--data-dir", str(tmp_path / "data"), "--port", str(port), "--ml-port", str(ml_port),
            "--per-topic", "1", "--campaign", "demo"]

    first = UpRun(args, env)
    out = first.wait_for("ready.")
    assert "generation project: created" in out and "prompts: 10 added, 0 already there" in out
    login = line_value(out, "login: ")
    api_key = line_value(out, "API key (LABEL_STUDIO_API_KEY): ").split(": ", 1)[1].strip()
    client = connect(LabelStudioSettings(url=f"http://127.0.0.1:{port}", api_key=api_key))
    project = find_project(client, "demo", "generation")
    assert len(list(client.tasks.list(project=project.id, fields="task_only"))) == 10
    [ml] = client.ml.list(project=project.id)
    assert ml.url == f"http://127.0.0.1:{ml_port}" and ml.is_interactive
    assert requests.get(f"http://127.0.0.1:{ml_port}/health", timeout=5).json()["status"] == "UP"
    assert (tmp_path / "data" / "credentials.json").stat().st_mode & 0o777 == 0o600
    logs = (tmp_path / "data" / "logs" / "label-studio.log").read_text() + \
        (tmp_path / "data" / "logs" / "ml-backend.log").read_text()
    assert api_key not in logs
    assert "stopped." in first.stop()
    assert first.process.returncode == 0
    assert not port_in_use(port) and not port_in_use(ml_port)

    second = UpRun(args, env)
    out = second.wait_for("ready.")
    assert "nothing changed" in out and "prompts: 0 added, 10 already there" in out
    assert line_value(out, "login: ").split()[1] == login.split()[1]
    assert "password:" not in out  # shown once, when generated
    assert len(list(client.tasks.list(project=project.id, fields="task_only"))) == 10
    second.stop()
    assert not port_in_use(port) and not port_in_use(ml_port)


def test_up_honours_the_admin_credentials_from_the_environment(tmp_path, default_model_dir):
    port, ml_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "APEACH_"))}
    env.update(APEACH_LS_MODEL=str(default_model_dir), LABEL_STUDIO_USERNAME="owner@example.com",
               LABEL_STUDIO_PASSWORD="owner-pass-123", LABEL_STUDIO_API_KEY="ab" * 20)
    run = UpRun(["up", "--data-dir", str(tmp_path / "data"), "--port", str(port), "--ml-port", str(ml_port),
                 "--per-topic", "1"], env)
    try:
        out = run.wait_for("ready.")
        assert "owner-pass-123" not in out and "ab" * 20 not in out
        client = connect(LabelStudioSettings(url=f"http://127.0.0.1:{port}", api_key="ab" * 20))
        assert client.users.whoami().email == "owner@example.com"
    finally:
        run.stop()


def test_up_refuses_a_busy_port(tmp_path, label_studio):
    busy = int(label_studio.url.rsplit(":", 1)[1])
    result = subprocess.run([sys.executable, "-m", "apeach_ls.cli", "up", "--data-dir", str(tmp_path),
                             "--port", str(busy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"port {busy} (--port) is already in use" in result.stderr
