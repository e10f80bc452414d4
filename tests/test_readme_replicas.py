"""The README's "Replicas, the retrainer and metrics" commands, run verbatim in bash: two
backends and the retrainer on one registry, then /metrics and the registry's listing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests
from readme import bash_blocks, section
from up_run import clean_env

from apeach_ls.classifier.loading import load_classifier
from apeach_ls.processes import port_in_use

pytestmark = pytest.mark.integration

SECTION = "### Replicas, the retrainer and metrics"
PORTS = (9090, 9091)  # as the README writes them


def test_the_replicas_section_runs_as_written(tmp_path, default_model_dir):
    blocks = bash_blocks(section(SECTION))
    assert len(blocks) == 2
    for port in PORTS:
        assert not port_in_use(port), f"port {port} is taken; the README's commands need it"
    shutil.copytree(default_model_dir, tmp_path / "apeach-ls-data" / "models" / "default")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apeach-ls").write_text(f'#!/bin/sh\nexec {sys.executable} -m apeach_ls.cli "$@"\n')
    (bin_dir / "apeach-ls").chmod(0o755)
    secret = tmp_path / "verdict-secret"
    secret.write_text("r" * 40 + "\n", encoding="utf-8")
    env = clean_env(
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        APEACH_VERDICT_SECRET_FILE=str(secret),
        PYTHONPATH=os.environ.get("PYTHONPATH", ""),
    )
    log = tmp_path / "servers.log"
    with open(log, "wb") as out:
        servers = subprocess.Popen(
            ["bash", "-c", "set -euo pipefail\n" + blocks[0] + "\nwait"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        for port in PORTS:
            while True:
                assert servers.poll() is None, log.read_text()
                try:
                    if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        exports = [line for line in blocks[0].splitlines() if line.startswith("export ")]
        done = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + "\n".join(exports) + "\n" + blocks[1]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        version = load_classifier(str(default_model_dir)).version
        assert f'apeach_ml_model_info{{version="{version}"}} 1.0' in done.stdout
        assert f"{version}  (current)" in done.stdout
        assert "retrainer: following" in log.read_text()
        assert (tmp_path / "apeach-ls-data" / "registry" / "retrainer.lock").exists()
    finally:
        os.killpg(servers.pid, signal.SIGTERM)
        try:
            servers.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(servers.pid, signal.SIGKILL)
            servers.wait()
    deadline = time.monotonic() + 30  # gunicorn finishes its requests, then lets go
    while any(port_in_use(port) for port in PORTS) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not any(port_in_use(port) for port in PORTS)
