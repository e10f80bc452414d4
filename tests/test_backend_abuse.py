"""The shared event log and /metrics under forged, flooded or stuck input: bounded storage,
no endless retraining, no request held by a locked file, bounded label values."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from verdicts import TEST_SECRET

from apeach_ls.classifier.loading import load_classifier
from apeach_ls.classifier.ngram import save_ngram
from apeach_ls.classifier.registry import ModelRegistry
from apeach_ls.errors import ConfigError
from apeach_ls.ml_backend import create_app, create_retrainer
from apeach_ls.ml_backend.events import EVENTS_FILE, SubmissionLog
from apeach_ls.ml_backend.settings import BackendSettings
from apeach_ls.processes import free_port

CLI = str(Path(sys.executable).parent / "apeach-ls")


@pytest.fixture
def registry(tmp_path, default_model_dir):
    model = load_classifier(str(default_model_dir))
    registry = ModelRegistry(tmp_path / "registry")
    registry.publish(model.version, lambda d: save_ngram(model, d), reason="initial")
    return registry


def backend(registry, **auth):
    settings = BackendSettings(model_spec=str(registry.root), verdict_secret=TEST_SECRET, **auth)
    return create_app(settings).test_client()


def test_repeated_start_training_stores_one_request_until_the_retrainer_takes_it(registry):
    client = backend(registry)
    for _ in range(50):
        answer = client.post("/webhook", json={"action": "START_TRAINING"})
        assert answer.status_code == 200 and answer.json["status"] == "training"
    events = SubmissionLog(registry.root / EVENTS_FILE)
    pending = events.pending()
    assert pending.requests == ("START_TRAINING",)  # one round, not fifty
    events.consume(pending)
    client.post("/webhook", json={"action": "START_TRAINING"})
    client.post("/webhook", json={"action": "START_TRAINING"})
    assert events.pending().requests == ("START_TRAINING",)  # a request during a round: one more
    with sqlite3.connect(events.path) as db:
        assert db.execute("SELECT COUNT(*) FROM training_requests").fetchone()[0] == 2


def test_a_deletion_event_is_one_transaction_however_many_ids(registry, monkeypatch):
    client = backend(registry)
    events = client.application.extensions["apeach_submissions"]
    writes = []
    original = events._transaction

    def counted(write=True):
        writes.append(write)
        return original() if write else original(write)

    monkeypatch.setattr(events, "_transaction", counted)
    ids = list(range(1000, 1500))
    answer = client.post(
        "/webhook", json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": i} for i in ids]}
    )
    assert answer.status_code == 200 and answer.json["deleted"] == ids
    assert writes.count(True) == 1
    monkeypatch.undo()
    assert 1000 not in events and len(events) == 0


def test_a_locked_event_log_answers_webhooks_503_and_health_and_verdicts_go_on(registry):
    client = backend(registry)
    holder = sqlite3.connect(registry.root / EVENTS_FILE, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        health = client.get("/health")
        assert health.status_code == 200 and health.json["status"] == "UP"
        assert "new_annotations" in health.json["training"]
        assert client.get("/metrics").status_code == 200
        answer = client.post("/webhook", json={"action": "START_TRAINING"})
        assert answer.status_code == 503 and answer.headers["Retry-After"]
        assert "event log" in answer.json["error"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post("/webhook", json={"action": "START_TRAINING"}).status_code == 200


def test_a_damaged_event_log_is_one_clear_error_naming_the_file(registry):
    path = Path(registry.root / EVENTS_FILE)
    path.write_bytes(b"not a database, just garbage " * 200)
    with pytest.raises(ConfigError) as refused:
        backend(registry)
    assert str(path) in str(refused.value) and "move a damaged one aside" in str(refused.value)


def test_arbitrary_methods_add_no_label_values_to_metrics(registry):
    auth = {"basic_auth_user": "ls", "basic_auth_password": "s3cret-password"}
    client = backend(registry, **auth)
    for i in range(30):  # unauthenticated, on a known route and an unknown one
        assert client.open("/predict", method=f"X{i}").status_code in (401, 405)
        client.open(f"/nowhere-{i}", method=f"Y{i}")
    header = "Basic " + base64.b64encode(b"ls:s3cret-password").decode()
    text = client.get("/metrics", headers={"Authorization": header}).get_data(as_text=True)
    methods = {
        line.split('method="')[1].split('"')[0]
        for line in text.splitlines()
        if line.startswith("apeach_ml_requests_total{")
    }
    assert methods <= {"GET", "POST", "other"} and "other" in methods
    assert "nowhere" not in text and "s3cret" not in text


def test_a_flood_of_training_requests_costs_one_round_per_gap_and_loses_none(
    registry, tmp_path, beep_dir
):
    settings = BackendSettings(
        model_spec=str(registry.root),
        verdict_secret=TEST_SECRET,
        holdout_data=str(beep_dir / "dev.tsv"),
        base_train_data=str(beep_dir / "train.tsv"),
    )
    retrainer = create_retrainer(settings)
    retrainer.min_gap = 3600.0
    client = backend(registry)
    client.post("/webhook", json={"action": "START_TRAINING"})
    assert retrainer.poll_once() is not None  # the first request: a round at once
    for _ in range(20):
        client.post("/webhook", json={"action": "START_TRAINING"})
    assert retrainer.poll_once() is None and retrainer.resting()  # within the gap: none
    assert sum(retrainer.outcomes.values()) == 1
    assert retrainer.events.pending().requests == ("START_TRAINING",)  # waiting, not lost
    retrainer.min_gap = 0.0
    assert retrainer.poll_once().reason == "START_TRAINING"
    assert retrainer.poll_once() is None and sum(retrainer.outcomes.values()) == 2


@pytest.mark.parametrize("what", ["an empty registry", "no such folder"])
def test_a_backend_started_before_any_model_is_published_says_so_in_one_line(tmp_path, what):
    registry = tmp_path / "registry"
    if what == "an empty registry":
        (registry / "versions").mkdir(parents=True)
    env = {
        **os.environ,
        "MODEL_DIR": str(registry),
        "APEACH_VERDICT_SECRET": TEST_SECRET,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    env.pop("APEACH_LS_MODEL", None)
    done = subprocess.run(
        [CLI, "backend", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Worker failed to boot" not in done.stderr
    if what == "an empty registry":
        assert f"apeach-ls models publish MODEL_DIR --registry {registry}" in done.stderr
    else:
        assert f"no model directory {registry}" in done.stderr


def test_a_registry_backend_without_basic_auth_warns_that_webhooks_are_open(registry, caplog):
    with caplog.at_level("WARNING", logger="apeach_ls.ml_backend"):
        backend(registry)
    assert any("no Basic auth" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level("WARNING", logger="apeach_ls.ml_backend"):
        client = backend(registry, basic_auth_user="ls", basic_auth_password="s3cret-password")
    assert not any("no Basic auth" in r.getMessage() for r in caplog.records)
    assert client.post("/webhook", json={"action": "START_TRAINING"}).status_code == 401
