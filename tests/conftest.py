"""Shared fixtures: BEEP! data, a trained default model, one real Label Studio per test run,
the ML backend under gunicorn, and a fresh campaign (its own projects) per test."""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The secret the backends started by the tests sign verdicts with and the CLI checks them
# with (a test's own env can still remove or replace it).
from verdicts import TEST_SECRET  # noqa: E402

os.environ["APEACH_VERDICT_SECRET"] = TEST_SECRET

# Fixtures shared from helper modules (tests/ is on sys.path): a real PostgreSQL server and the
# ledger URL on both backends.
pytest_plugins = ["pg"]


@pytest.fixture(scope="session")
def beep_dir() -> Path:
    from beep import beep_path

    return beep_path()


@pytest.fixture(scope="session")
def default_model_dir(tmp_path_factory, beep_dir) -> Path:
    """The default n-gram pseudo-classifier trained on BEEP! train, once per run."""
    from apeach_ls.classifier.training import train_and_save

    model_dir = tmp_path_factory.mktemp("model") / "default"
    train_and_save(beep_dir / "train.tsv", model_dir)
    return model_dir


@dataclass
class LabelStudioServer:
    url: str
    api_key: str
    username: str
    password: str
    data_dir: Path

    def client(self):
        from apeach_ls.labelstudio.connection import LabelStudioSettings, connect

        return connect(LabelStudioSettings(url=self.url, api_key=self.api_key))


def start_label_studio(tmp_path_factory, guard: bool):
    pytest.importorskip("label_studio")
    from apeach_ls.embedded import LS_START_TIMEOUT, AdminLogin, label_studio_process
    from apeach_ls.processes import free_port

    data_dir = tmp_path_factory.mktemp("label-studio")
    login = AdminLogin(
        username="admin@example.com",
        password=secrets.token_urlsafe(12),
        api_key=secrets.token_hex(20),
    )
    port = free_port()
    process = label_studio_process(data_dir, port, login, guard=guard).start()
    try:
        process.wait_healthy(LS_START_TIMEOUT)
        yield LabelStudioServer(
            f"http://127.0.0.1:{port}", login.api_key, login.username, login.password, data_dir
        )
    finally:
        process.stop()


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory) -> LabelStudioServer:
    """A real Label Studio (SQLite) on a free loopback port, shared by the whole run. It runs
    without apeach-ls's guard, as a team's own Label Studio may: the receipts and the tally
    must hold on their own."""
    yield from start_label_studio(tmp_path_factory, guard=False)


@pytest.fixture(scope="module")
def guarded_label_studio(tmp_path_factory) -> LabelStudioServer:
    """A Label Studio with apeach-ls's guard, as `apeach-ls up` runs it (for the guard's tests)."""
    yield from start_label_studio(tmp_path_factory, guard=True)


@dataclass
class BackendServer:
    url: str
    auth: tuple[str, str] | None
    log_path: Path


def start_backend(tmp_path: Path, model_dir: Path, auth: tuple[str, str] | None = None):
    from apeach_ls.embedded import ml_backend_process
    from apeach_ls.processes import free_port

    secret_file = tmp_path / "verdict-secret"  # the backend signs verdicts with it (issue 11)
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    env = {"APEACH_VERDICT_SECRET_FILE": str(secret_file)}
    if auth:
        env.update({"APEACH_ML_BASIC_AUTH_USER": auth[0], "APEACH_ML_BASIC_AUTH_PASSWORD": auth[1]})
    port = free_port()
    process = ml_backend_process(tmp_path, port, str(model_dir), threads=8, extra_env=env).start()
    process.wait_healthy(60, auth=auth)
    return process, BackendServer(f"http://127.0.0.1:{port}", auth, process.log_path)


@pytest.fixture(scope="session")
def ml_backend(tmp_path_factory, default_model_dir) -> BackendServer:
    """The ML backend under gunicorn, serving the default model, shared by the run."""
    process, server = start_backend(tmp_path_factory.mktemp("ml-backend"), default_model_dir)
    try:
        yield server
    finally:
        process.stop()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialing out, and this machine's
# closed network refuses it (see the env docs).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright, one per test run."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian chromium is not installed (apt-get install chromium); .ci/run installs it"
        )
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def campaign() -> str:
    """A fresh campaign name: each test gets its own projects in the shared Label Studio."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def stop_up_runs():
    """Stop every `apeach-ls up` a test started, also when it failed half-way (tests/up_run.py)."""
    yield
    import sys

    up_run = sys.modules.get("up_run")
    if up_run is not None:
        while up_run.UpRun.started:
            run = up_run.UpRun.started.pop()
            if run.process.poll() is None:
                run.process.terminate()
                run.process.wait(timeout=60)
