"""A checkpoint model under gunicorn with several workers: micro-batching in each worker,
concurrent interactive calls all answered, health reports batching."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from tiny_bert import BEEP_LABELS, build_tiny_bert

from apeach_ls import label_config

pytestmark = pytest.mark.integration


def test_two_workers_batch_concurrent_requests(tmp_path):
    pytest.importorskip("transformers")
    model_dir = build_tiny_bert(tmp_path / "tiny", BEEP_LABELS)
    from apeach_ls.embedded import ml_backend_process
    from apeach_ls.processes import free_port

    port = free_port()
    process = ml_backend_process(
        tmp_path,
        port,
        str(model_dir),
        workers=2,
        threads=16,
        extra_env={"APEACH_ML_BATCHING": "on"},
    ).start()
    try:
        process.wait_healthy(120)
        url = f"http://127.0.0.1:{port}"
        health = requests.get(f"{url}/health", timeout=10).json()
        assert health["batching"] is True and health["model_class"] == "CheckpointClassifier"
        config = label_config.load("generation")

        def ask(i):
            body = {
                "tasks": [{"id": i, "data": {}}],
                "project": "1.1",
                "label_config": config,
                "params": {
                    "context": {
                        "result": [
                            {
                                "from_name": "text",
                                "type": "textarea",
                                "value": {"text": [f"문장 {i} " + "가나다" * (i % 7)]},
                            }
                        ]
                    }
                },
            }
            return requests.post(f"{url}/predict", json=body, timeout=60)

        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(ask, range(64)))
        assert [r.status_code for r in responses] == [200] * 64
        for r in responses:
            verdict = r.json()["results"][0]["result"][0]
            assert (
                verdict["value"]["choices"][0] in ("hate", "not_hate")
                and 0.5 <= verdict["score"] <= 1
            )
        # the same sentence gets the same verdict whichever worker and batch answered it
        again = ask(5).json()["results"][0]["result"][0]
        assert again == responses[5].json()["results"][0]["result"][0]
    finally:
        process.stop()
