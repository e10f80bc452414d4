"""Two backends (one with two gunicorn workers) and one retrainer process on one model registry,
against a real Label Studio: a version the retrainer publishes is served by every backend,
and a client hammering both during the swap sees no failed request."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from apeach_ls import label_config
from apeach_ls.classifier.data import read_labeled
from apeach_ls.classifier.ngram import save_ngram, train_ngram
from apeach_ls.classifier.registry import ModelRegistry

pytestmark = pytest.mark.integration

CLI = "/work/main/.venv/bin/apeach-ls"
CONFIG = label_config.load("generation")
SENTENCES = [
    "여자는 운전을 못해",
    "오늘 점심 맛있었다",
    "채식하는 사람 존중해요",
    "외국인 다 나가라",
]


def predict_body(i: int) -> dict:
    text = SENTENCES[i % len(SENTENCES)]
    return {
        "tasks": [{"id": i + 1, "data": {}}],
        "project": "1.1",
        "label_config": CONFIG,
        "params": {
            "context": {
                "result": [{"from_name": "text", "type": "textarea", "value": {"text": [text]}}]
            }
        },
    }


def test_two_backends_serve_what_the_one_retrainer_publishes_with_no_failed_request(
    label_studio, tmp_path, beep_dir
):
    from apeach_ls.embedded import ml_backend_process
    from apeach_ls.processes import free_port

    train = read_labeled(beep_dir / "train.tsv")
    weak = train_ngram(train[:150])
    registry = ModelRegistry(tmp_path / "registry")
    registry.publish(weak.version, lambda d: save_ngram(weak, d), reason="initial")
    base = tmp_path / "base.tsv"
    lines = (beep_dir / "train.tsv").read_text(encoding="utf-8").splitlines()
    base.write_text("\n".join(lines[:2000]) + "\n", encoding="utf-8")

    backends = []
    for name, workers in (("a", 2), ("b", 1)):
        port = free_port()
        process = ml_backend_process(
            tmp_path / name, port, str(registry.root), workers=workers, threads=4
        ).start()
        backends.append((process, f"http://127.0.0.1:{port}"))
    retrainer_log = tmp_path / "retrainer.log"
    retrainer_env = {
        **{k: v for k, v in os.environ.items() if k != "APEACH_LS_MODEL"},
        "MODEL_DIR": str(registry.root),  # label-studio-ml-backend's name for it
        "APEACH_ML_BASE_TRAIN_DATA": str(base),
        "APEACH_ML_HOLDOUT_DATA": str(beep_dir / "dev.tsv"),
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
    }
    with open(retrainer_log, "wb") as log:
        retrainer = subprocess.Popen(
            [CLI, "backend", "--retrainer"],
            env=retrainer_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    failures: list[str] = []
    answers: list[tuple[str, float, str]] = []  # backend, time asked, model version
    stop = threading.Event()
    try:
        for process, _ in backends:
            process.wait_healthy(90)
        urls = [url for _, url in backends]

        def hammer(worker: int) -> None:
            session, i = requests.Session(), worker
            while not stop.is_set():
                url = urls[i % 2]
                asked = time.monotonic()
                try:
                    r = session.post(f"{url}/predict", json=predict_body(i), timeout=30)
                    if r.status_code != 200:
                        failures.append(f"{url}: {r.status_code} {r.text[:200]}")
                    else:
                        answers.append((url, asked, r.json()["model_version"]))
                except requests.RequestException as exc:
                    failures.append(f"{url}: {type(exc).__name__}: {exc}")
                i += 1

        threads = [threading.Thread(target=hammer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        # Label Studio's "Start training" reaches one backend; the retrainer acts on it
        answer = requests.post(
            f"{urls[1]}/webhook",
            json={"action": "START_TRAINING", "project": {"id": 1}},
            timeout=30,
        )
        assert answer.json()["status"] == "training", answer.text
        deadline = time.monotonic() + 180
        while registry.current() == weak.version and time.monotonic() < deadline:
            assert retrainer.poll() is None, retrainer_log.read_text()
            time.sleep(0.2)
        new_version = registry.current()
        assert new_version != weak.version, retrainer_log.read_text()
        published_at = time.monotonic()
        time.sleep(3.0)  # every worker looks at the registry at least once a second
        stop.set()
        for t in threads:
            t.join()

        assert failures == []
        for url in urls:
            versions = [v for u, _, v in answers if u == url]
            assert {weak.version, new_version} == set(versions), url  # the hammering spans the swap
            late = [v for u, asked, v in answers if u == url and asked > published_at + 1.5]
            assert late and set(late) == {new_version}, url  # every worker swapped
        training = requests.get(f"{urls[0]}/health", timeout=10).json()["training"]
        assert training["outcomes"] == {"published": 1, "kept": 0, "failed": 0}, training
        assert training["last"]["reason"] == "START_TRAINING" and "last_error" not in training
        assert "START_TRAINING" in registry.history()[-1].reason

        # one retrainer per campaign: a second one refuses to start
        second = subprocess.run(
            [CLI, "backend", "--retrainer"],
            env=retrainer_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1 and "another retrainer" in second.stderr, second.stderr
    finally:
        stop.set()
        if retrainer.poll() is None:
            os.killpg(retrainer.pid, signal.SIGTERM)
            try:
                retrainer.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(retrainer.pid, signal.SIGKILL)
                retrainer.wait()
        for process, _ in backends:
            process.stop()
    assert retrainer.returncode == 0, retrainer_log.read_text()  # SIGTERM stops it cleanly
    assert "retrainer: stopped" in retrainer_log.read_text()
