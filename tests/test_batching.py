"""Micro-batching: concurrent requests share a forward pass; a lone request never waits."""

from __future__ import annotations

import threading
import time

import pytest
from verdicts import TEST_SECRET

from apeach_ls import label_config
from apeach_ls.labels import Verdict
from apeach_ls.ml_backend import create_app
from apeach_ls.ml_backend.batching import BatcherDown, MicroBatcher, Overloaded
from apeach_ls.ml_backend.settings import BackendSettings


class SlowModel:
    """Takes ``delay`` seconds per forward pass whatever the batch size, like a GPU-less BERT."""

    version = "slow-v1"
    prefers_batching = True

    def __init__(self, delay=0.05):
        self.delay, self.batch_sizes, self.entered = delay, [], 0
        self.gate = threading.Event()
        self.gate.set()

    def classify(self, texts):
        self.entered += 1
        self.gate.wait()
        self.batch_sizes.append(len(texts))
        time.sleep(self.delay)
        return [Verdict("hate" if "싫" in t else "not_hate", 0.5 + len(t) / 1000) for t in texts]


def test_a_lone_request_is_answered_without_a_collection_window(monkeypatch):
    import apeach_ls.ml_backend.batching as batching

    # Any collection window would now last 20 s: a lone request answered well under that never
    # waited for one, however loaded the machine (no tight wall-clock bound).
    monkeypatch.setattr(batching, "REGROUP_FRACTION", 1e6)
    monkeypatch.setattr(batching, "REGROUP_MAX", 20.0)
    model = SlowModel(delay=0.01)
    batcher = MicroBatcher(model)
    batcher.classify(["warm up"])
    started = time.perf_counter()
    assert batcher.classify(["혼자 온 문장"])[0].label == "not_hate"
    assert time.perf_counter() - started < 10.0
    assert model.batch_sizes == [1, 1]


def test_concurrent_requests_share_forward_passes_and_get_their_own_answers():
    model = SlowModel(delay=0.05)
    batcher = MicroBatcher(model, max_batch=32)
    texts = [f"문장 {i} " + ("싫어" if i % 3 == 0 else "좋아") + "!" * i for i in range(40)]
    answers: dict[int, Verdict] = {}

    def client(i):
        answers[i] = batcher.classify([texts[i]])[0]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == {
        i: model_answer for i, model_answer in enumerate(SlowModel(0).classify(texts))
    }
    assert sum(model.batch_sizes) == 40
    assert len(model.batch_sizes) < 40 and max(model.batch_sizes) > 1
    assert max(model.batch_sizes) <= 32


def test_after_a_busy_batch_its_callers_next_requests_regroup_instead_of_one_going_alone(
    monkeypatch,
):
    import apeach_ls.ml_backend.batching as batching

    # Wait up to a whole pass of 1 s: callers arriving 30 ms apart regroup even when a loaded
    # machine delays a thread's start by several hundred milliseconds.
    monkeypatch.setattr(batching, "REGROUP_FRACTION", 1.0)
    monkeypatch.setattr(batching, "REGROUP_MAX", 2.0)
    model = SlowModel(delay=1.0)
    batcher = MicroBatcher(model, max_batch=32)

    def call_together(texts, stagger):
        threads = [threading.Thread(target=batcher.classify, args=([t],)) for t in texts]
        for t in threads:
            t.start()
            time.sleep(stagger)
        for t in threads:
            t.join()

    model.gate.clear()  # the first caller's pass waits at the gate while three more queue up
    first = threading.Thread(target=batcher.classify, args=(["a"],))
    first.start()
    while not model.entered:
        time.sleep(0.001)
    waiting = [threading.Thread(target=batcher.classify, args=([t],)) for t in "bcd"]
    for t in waiting:
        t.start()
    while batcher._queue.qsize() < 3:
        time.sleep(0.001)
    model.gate.set()
    for t in [first, *waiting]:
        t.join()
    assert model.batch_sizes == [1, 3]
    call_together(["e", "f", "g"], 0.03)  # arriving 30 ms apart, as answered callers do
    assert model.batch_sizes == [1, 3, 3]  # without regrouping: [1, 3, 1, 2]
    batcher.classify(["h"])  # after a batch of three, alone: waits at most a pass, then goes
    started = time.perf_counter()
    batcher.classify(["i"])  # after a batch of one: no wait at all
    assert time.perf_counter() - started < 1.0 + 0.9  # one pass, not a pass and a wait
    assert model.batch_sizes == [1, 3, 3, 1, 1]


def test_health_counts_this_workers_passes_and_sentences():
    model = SlowModel(delay=0.0)
    client = create_app(BackendSettings(verdict_secret=TEST_SECRET), model).test_client()
    assert client.get("/health").json["batch_passes"] == 0
    batcher = client.application.extensions["apeach_verdicts"].classifier
    batcher.classify(["하나", "둘"])
    batcher.classify(["셋"])
    health = client.get("/health").json
    assert (health["batch_passes"], health["batched_sentences"]) == (
        2,
        3,
    ) and model.batch_sizes == [2, 1]


def test_a_request_larger_than_a_batch_is_not_split_across_answers():
    model = SlowModel(delay=0.0)
    batcher = MicroBatcher(model, max_batch=4)
    # each sentence has its own verdict (the score grows with the length), so any mix-up shows
    texts = [f"t{i}" + ("싫어" if i % 3 == 0 else "") + "!" * i for i in range(10)]
    assert batcher.classify(texts) == SlowModel(delay=0.0).classify(texts)
    assert model.batch_sizes == [10]  # one pass of the whole request, over max_batch

    # behind a busy pass, a small request and a large one queue up: the small one fills the next
    # batch, and the large one goes whole in the pass after it, not cut to fill the small one's
    model.gate.clear()
    first = threading.Thread(target=batcher.classify, args=(["a"],))
    first.start()
    while model.entered < 2:
        time.sleep(0.001)
    answers: dict[str, list[Verdict]] = {}
    small, large = ["b", "cc", "ddd"], texts[::-1]
    queued = [
        threading.Thread(target=lambda: answers.update(small=batcher.classify(small))),
        threading.Thread(target=lambda: answers.update(large=batcher.classify(large))),
    ]
    for t in queued:
        t.start()
        while batcher._queue.qsize() < queued.index(t) + 1:
            time.sleep(0.001)
    model.gate.set()
    for t in [first, *queued]:
        t.join()
    assert model.batch_sizes == [10, 1, 3, 10]
    assert answers["small"] == SlowModel(delay=0.0).classify(small)
    assert answers["large"] == SlowModel(delay=0.0).classify(large)


def test_full_queue_is_refused_and_the_app_answers_503_with_retry_after():
    model = SlowModel(delay=0.0)
    model.gate.clear()  # the model hangs: requests pile up
    batcher = MicroBatcher(model, max_queue=2)
    threads = [
        threading.Thread(target=lambda: batcher.classify(["x"]), daemon=True) for _ in range(3)
    ]
    for t in threads:
        t.start()
        time.sleep(0.05)
    with pytest.raises(Overloaded):
        batcher.classify(["one too many"])

    app = create_app(BackendSettings(verdict_secret=TEST_SECRET), batcher)
    body = {
        "tasks": [{"id": 1, "data": {}}],
        "project": "1.1",
        "label_config": label_config.load("generation"),
        "params": {
            "context": {
                "result": [{"from_name": "text", "type": "textarea", "value": {"text": ["x"]}}]
            }
        },
    }
    r = app.test_client().post("/predict", json=body)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1" and "busy" in r.json["error"]
    model.gate.set()
    for t in threads:
        t.join(timeout=5)


def test_a_failing_batch_fails_its_callers_but_not_the_thread():
    class Flaky(SlowModel):
        def classify(self, texts):
            if "boom" in texts:
                raise RuntimeError("boom")
            return super().classify(texts)

    batcher = MicroBatcher(Flaky(delay=0))
    with pytest.raises(RuntimeError):
        batcher.classify(["boom"])
    assert batcher.classify(["fine"])[0].label == "not_hate"
    assert batcher.alive


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_batcher_is_reported_by_health_and_fails_fast():
    batcher = MicroBatcher(SlowModel(delay=0))
    batcher.classify(["start"])
    batcher._queue.put(None)  # a corrupt job kills the thread (AttributeError on None.texts)
    batcher._thread.join(timeout=5)
    assert not batcher.alive and "batching thread died" in batcher.death
    with pytest.raises(BatcherDown):
        batcher.classify(["after death"])
    client = create_app(BackendSettings(verdict_secret=TEST_SECRET), batcher).test_client()
    r = client.get("/health")
    assert r.status_code == 503 and r.json["status"] == "DOWN"


def test_auto_batching_wraps_only_models_that_ask_for_it():
    slow = (
        create_app(BackendSettings(verdict_secret=TEST_SECRET), SlowModel())
        .test_client()
        .get("/health")
        .json
    )
    assert slow["batching"] is True and slow["model_class"] == "SlowModel"

    class Fast:
        version = "fast"

        def classify(self, texts):
            return [Verdict("not_hate", 0.6) for _ in texts]

    assert (
        "batching"
        not in create_app(BackendSettings(verdict_secret=TEST_SECRET), Fast())
        .test_client()
        .get("/health")
        .json
    )
    forced = (
        create_app(BackendSettings(verdict_secret=TEST_SECRET, batching="on"), Fast())
        .test_client()
        .get("/health")
        .json
    )
    assert forced["batching"] is True
