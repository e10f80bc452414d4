"""/metrics: Prometheus's text format, what the backend did, summed over its gunicorn workers."""

from __future__ import annotations

import base64
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from verdicts import TEST_SECRET

from apeach_ls import label_config
from apeach_ls.classifier.data import read_labeled
from apeach_ls.classifier.loading import load_classifier
from apeach_ls.classifier.ngram import save_ngram, train_ngram
from apeach_ls.classifier.registry import ModelRegistry
from apeach_ls.labels import Verdict
from apeach_ls.ml_backend import create_app, create_retrainer
from apeach_ls.ml_backend.batching import MicroBatcher
from apeach_ls.ml_backend.settings import BackendSettings

CONFIG = label_config.load("generation")
SENTENCES = [
    "여자는 운전을 못해",
    "오늘 점심 맛있었다",
    "저 지역 사람들은 다 사기꾼이야",
    "채식하는 사람 존중해요",
]


def interactive(text, task_id=1):
    return {
        "tasks": [{"id": task_id, "data": {}}],
        "project": "1.1",
        "label_config": CONFIG,
        "params": {
            "context": {
                "result": [{"from_name": "text", "type": "textarea", "value": {"text": [text]}}]
            }
        },
    }


def batch(texts):
    tasks = [
        {
            "id": i + 1,
            "data": {},
            "annotations": [
                {"result": [{"from_name": "text", "type": "textarea", "value": {"text": [t]}}]}
            ],
        }
        for i, t in enumerate(texts)
    ]
    return {"tasks": tasks, "project": "1.1", "label_config": CONFIG}


def samples(text):
    """{(sample name, sorted labels): value} from a /metrics body."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def total(found, name, **labels):
    return sum(
        value
        for (sample, sample_labels), value in found.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


def test_metrics_count_requests_latency_verdicts_batches_and_the_model(default_model_dir):
    app = create_app(BackendSettings(verdict_secret=TEST_SECRET, model_spec=str(default_model_dir)))
    client = app.test_client()
    model = load_classifier(str(default_model_dir))
    for text in SENTENCES[:3]:
        assert client.post("/predict", json=interactive(text)).status_code == 200
    assert client.post("/predict", json=batch(SENTENCES)).status_code == 200
    assert client.post("/predict", json={"tasks": "nope"}).status_code == 400
    assert client.get("/no-such-route").status_code == 404
    assert client.get("/health").status_code == 200

    r = client.get("/metrics")
    assert r.status_code == 200 and r.content_type.startswith("text/plain")
    found = samples(r.get_data(as_text=True))
    assert total(found, "apeach_ml_requests_total", route="/predict", status="200") == 4
    assert total(found, "apeach_ml_requests_total", route="/predict", status="400") == 1
    assert total(found, "apeach_ml_requests_total", route="(no route)", status="404") == 1
    assert total(found, "apeach_ml_request_seconds_count", route="/predict") == 5
    assert total(found, "apeach_ml_request_seconds_count", route="/health") == 1
    expected = [v.label for v in model.classify(SENTENCES[:3])] + [
        v.label for v in model.classify(SENTENCES)
    ]
    for label in ("hate", "not_hate"):
        assert total(found, "apeach_ml_verdicts_total", label=label) == expected.count(label)
    assert total(found, "apeach_ml_batch_size_count") == 4  # 3 single passes and one of 4
    assert total(found, "apeach_ml_batch_size_sum") == 3 + len(SENTENCES)
    assert total(found, "apeach_ml_batch_size_bucket", le="1.0") == 3
    assert found[("apeach_ml_model_info", (("version", model.version),))] == 1
    assert total(found, "apeach_ml_requests_in_flight") == 1  # this scrape
    assert total(found, "apeach_ml_batch_queue_depth") == 0


def test_metrics_need_the_backends_basic_auth(default_model_dir):
    """/metrics shows traffic, the share of hate verdicts and the model version: it is
    protected like every other route (Prometheus scrapes with basic_auth)."""
    app = create_app(
        BackendSettings(
            verdict_secret=TEST_SECRET,
            model_spec=str(default_model_dir),
            basic_auth_user="prom",
            basic_auth_password="scrape-pw",
        )
    )
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "apeach_ml" not in refused.get_data(as_text=True)
    auth = {"Authorization": "Basic " + base64.b64encode(b"prom:scrape-pw").decode()}
    found = samples(client.get("/metrics", headers=auth).get_data(as_text=True))
    assert total(found, "apeach_ml_requests_total", route="/metrics", status="401") == 1


def test_the_model_version_and_the_retrainers_outcomes(tmp_path, beep_dir):
    train = read_labeled(beep_dir / "train.tsv")
    registry = ModelRegistry(tmp_path / "registry")
    first, second = train_ngram(train[:150]), train_ngram(train[:600])
    registry.publish(first.version, lambda d: save_ngram(first, d), reason="initial")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "text,label\n"
        + "".join(f"문장 {i},{'hate' if i % 2 else 'not_hate'}\n" for i in range(40)),
        encoding="utf-8",
    )
    settings = BackendSettings(
        verdict_secret=TEST_SECRET,
        model_spec=str(registry.root),
        base_train_data=str(bad),
        holdout_data=str(beep_dir / "dev.tsv"),
    )
    app = create_app(settings)
    app.extensions["apeach_watcher"].interval = 0
    client = app.test_client()
    client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
    create_retrainer(settings).poll_once()  # the candidate is worse: kept
    registry.publish(second.version, lambda d: save_ngram(second, d), reason="test")
    client.get("/health")  # the watcher swaps
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert found[("apeach_ml_model_info", (("version", first.version),))] == 0
    assert found[("apeach_ml_model_info", (("version", second.version),))] == 1
    rounds = {
        o: total(found, "apeach_ml_retraining_rounds_total", outcome=o)
        for o in ("published", "kept", "failed")
    }
    assert rounds == {"published": 0, "kept": 1, "failed": 0}
    assert total(found, "apeach_ml_annotations_waiting") == 0


class Gate:
    version = "gate-v1"

    def __init__(self):
        self.open = threading.Event()

    def classify(self, texts):
        self.open.wait(30)
        return [Verdict("hate", 0.9) for _ in texts]


def test_the_batchers_queue_depth_is_reported():
    depths = []
    gate = Gate()
    batcher = MicroBatcher(gate, max_batch=1, on_queue=depths.append)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher.classify, [f"s{i}"]) for i in range(4)]
        while len(depths) < 4:
            threading.Event().wait(0.01)
        gate.open.set()
        assert all(len(f.result(timeout=30)) == 1 for f in futures)
    batcher.close()
    assert max(depths) >= 2 and depths[-1] == 0


def verdicts_per_worker(directory: Path) -> dict[str, float]:
    """Each worker's own count of verdicts, read from its file in the metrics directory."""
    from prometheus_client.mmap_dict import MmapedDict

    per_worker: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            if '"apeach_ml_verdicts_total"' in key and value:
                per_worker[path.name] = per_worker.get(path.name, 0) + value
    return per_worker


@pytest.mark.integration
def test_two_gunicorn_workers_add_up(tmp_path, default_model_dir):
    """Verdicts answered by two workers: every scrape, whichever worker answers it, counts all."""
    from apeach_ls.embedded import ml_backend_process
    from apeach_ls.processes import free_port

    port = free_port()
    process = ml_backend_process(
        tmp_path, port, str(default_model_dir), workers=2, threads=4
    ).start()
    try:
        process.wait_healthy(90)
        url = f"http://127.0.0.1:{port}"
        log = Path(process.log_path).read_text(encoding="utf-8")
        directory = Path(re.search(r"metrics of this run's workers: (\S+)", log).group(1))

        def ask(i):  # a new connection each time, so both workers accept some
            return requests.post(
                f"{url}/predict", json=interactive(SENTENCES[i % 4], i + 1), timeout=30
            )

        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # the kernel may hand a burst to one worker: go on until both have answered some
            while len(verdicts_per_worker(directory)) < 2 and sent < 2000:
                assert [r.status_code for r in pool.map(ask, range(sent, sent + 20))] == [200] * 20
                sent += 20
        per_worker = verdicts_per_worker(directory)
        assert len(per_worker) == 2 and sum(per_worker.values()) == sent, per_worker
        for _ in range(8):
            found = samples(requests.get(f"{url}/metrics", timeout=10).text)
            assert total(found, "apeach_ml_requests_total", route="/predict") == sent
            assert total(found, "apeach_ml_verdicts_total") == sent
            assert total(found, "apeach_ml_batch_size_count") == sent
            assert total(found, "apeach_ml_requests_in_flight") == 1  # this scrape
            assert len([k for k in found if k[0] == "apeach_ml_model_info"]) == 1
    finally:
        process.stop()
    assert not directory.exists()  # the run's metrics directory goes with it
