"""Live model updates: retrain from the campaign's labels, swap atomically, pin and roll back.

The retrainer is its own object here (its own process in production, `apeach-ls backend
--retrainer`); it meets the backends only through the registry's shared storage."""

from __future__ import annotations

import multiprocessing
import threading
import time
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from verdicts import TEST_SECRET

from apeach_ls import label_config
from apeach_ls.classifier.data import read_labeled
from apeach_ls.classifier.loading import load_classifier, load_version
from apeach_ls.classifier.ngram import save_ngram, train_ngram
from apeach_ls.classifier.registry import ModelRegistry
from apeach_ls.cli import cli
from apeach_ls.errors import ConfigError
from apeach_ls.ml_backend import create_app, create_retrainer
from apeach_ls.ml_backend.events import SubmissionLog
from apeach_ls.ml_backend.retraining import CampaignLabel, RetrainerLock
from apeach_ls.ml_backend.settings import BackendSettings

CONFIG = label_config.load("generation")
SENTENCES = [
    "여자는 운전을 못해",
    "오늘 점심 맛있었다",
    "저 지역 사람들은 다 사기꾼이야",
    "채식하는 사람 존중해요",
    "장애인은 집에나 있어라",
    "키 작은 남자는 루저",
    "우리 팀 과장님 최고",
    "외국인 노동자들 다 나가라",
]


@pytest.fixture(scope="module")
def beep(beep_dir):
    return read_labeled(beep_dir / "train.tsv"), read_labeled(beep_dir / "dev.tsv")


@pytest.fixture
def registry(tmp_path, beep):
    train, _ = beep
    weak = train_ngram(train[:150])  # a weak first model, so that retraining has room to improve
    registry = ModelRegistry(tmp_path / "registry")
    registry.publish(weak.version, lambda d: save_ngram(weak, d), reason="initial")
    return registry


@pytest.fixture
def base_file(tmp_path, beep_dir):
    lines = (beep_dir / "train.tsv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "base.tsv"
    path.write_text("\n".join(lines[:2500]) + "\n", encoding="utf-8")
    return path


def annotation_event(
    annotation_id, text, label, action="ANNOTATION_CREATED", updated_at="2026-11-23T10:00:00"
):
    flip = label == "not_hate"  # the writer flipped a 'hate' verdict, or confirmed one
    return {
        "action": action,
        "project": {"id": 1, "label_config": CONFIG},
        "annotation": {
            "id": annotation_id,
            "updated_at": updated_at,
            "result": [
                {"from_name": "intent", "type": "choices", "value": {"choices": [label]}},
                {"from_name": "text", "type": "textarea", "value": {"text": [text]}},
                {
                    "from_name": "verdict",
                    "type": "choices",
                    "value": {"choices": ["hate"]},
                    "score": 0.7,
                },
                {
                    "from_name": "agreement",
                    "type": "choices",
                    "value": {"choices": ["flip" if flip else "confirm"]},
                },
            ],
        },
    }


def predict_body(text):
    return {
        "tasks": [{"id": 1, "data": {}}],
        "project": "1.1",
        "label_config": CONFIG,
        "params": {
            "context": {
                "result": [{"from_name": "text", "type": "textarea", "value": {"text": [text]}}]
            }
        },
    }


def wait_until(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@contextmanager
def retrainer_running(settings, store=None):
    """The campaign's retrainer polling in a thread, as `apeach-ls backend --retrainer` does."""
    retrainer = create_retrainer(settings, campaign_labels=store)
    stop = threading.Event()
    thread = threading.Thread(target=retrainer.run, args=(stop, 0.05))
    thread.start()
    try:
        yield retrainer
    finally:
        stop.set()
        thread.join()


class CampaignStore:
    """Stands in for Label Studio's verified labels (the integration test reads the real one)."""

    def __init__(self):
        self.labels: list[CampaignLabel] = []

    def __call__(self):
        return list(self.labels)


def test_retraining_swaps_in_a_better_model_while_predict_is_hammered(
    registry, base_file, beep_dir
):
    settings = BackendSettings(
        verdict_secret=TEST_SECRET,
        model_spec=str(registry.root),
        retrain_every=6,
        base_train_data=str(base_file),
        holdout_data=str(beep_dir / "dev.tsv"),
    )
    store = CampaignStore()
    store.labels = [
        CampaignLabel(n, SENTENCES[n], "hate" if n % 2 else "not_hate") for n in range(1, 7)
    ]
    app = create_app(settings)
    client = app.test_client()
    first_version = client.post("/setup", json={"project": "1.1", "schema": CONFIG}).json[
        "model_version"
    ]
    answers, failures, stop = [], [], threading.Event()

    def hammer(worker):
        local = app.test_client()
        i = 0
        while not stop.is_set():
            text = SENTENCES[(worker + i) % len(SENTENCES)]
            r = local.post("/predict", json=predict_body(text))
            if r.status_code != 200:
                failures.append((r.status_code, r.get_data(as_text=True)))
            else:
                prediction = r.json["results"][0]
                answers.append(
                    (
                        text,
                        prediction["model_version"],
                        r.json["model_version"],
                        prediction["result"][0]["value"]["choices"][0],
                        prediction["score"],
                    )
                )
            i += 1

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        # before the retrainer runs: the events wait for it on the shared storage
        # the same event twice, and an UPDATED that arrives before its CREATED, count once
        client.post("/webhook", json=annotation_event(1, SENTENCES[0], "hate"))
        client.post("/webhook", json=annotation_event(1, SENTENCES[0], "hate"))
        client.post(
            "/webhook",
            json=annotation_event(
                2, SENTENCES[1], "not_hate", "ANNOTATION_UPDATED", "2026-11-23T10:05:00"
            ),
        )
        client.post("/webhook", json=annotation_event(2, SENTENCES[1], "not_hate"))
        assert client.get("/health").json["training"]["new_annotations"] == 2
        for n in range(3, 7):
            client.post("/webhook", json=annotation_event(n, SENTENCES[n], "hate"))
        assert client.get("/health").json["training"]["new_annotations"] == 6
        with retrainer_running(settings, store):
            wait_until(lambda: client.get("/health").json["training"].get("last"))
        time.sleep(1.3)  # the watcher looks at the registry at most once a second
    finally:
        stop.set()
        for t in threads:
            t.join()

    last = client.get("/health").json["training"]["last"]
    assert last["published"] is True, last
    assert last["f1_candidate"] >= last["f1_served"]
    assert (
        last["examples"] == 2500 - 1 + 5
    )  # base rows + campaign labels not held out (id 5 is held out)
    assert last["held_out"] == 471 + 1
    new_version = registry.current()
    assert new_version != first_version and new_version == last["candidate"]
    assert (
        client.post("/setup", json={"project": "1.1", "schema": CONFIG}).json["model_version"]
        == new_version
    )

    assert failures == []
    versions = {a[1] for a in answers}
    assert versions == {first_version, new_version}, "the hammering should span the swap"
    models = {v: load_classifier(str(registry.path_of(v))) for v in versions}
    for text, version, outer_version, label, score in answers:
        assert version == outer_version
        verdict = models[version].classify([text])[0]
        assert (label, score) == (verdict.label, round(verdict.score, 4)), (
            "an answer mixed two models"
        )


POISON = "오늘 날씨가 정말 좋네요"


def test_forged_webhook_events_are_a_trigger_never_training_data(registry, base_file, beep_dir):
    """1,000 forged ANNOTATION_CREATED posts claiming a harmless sentence is hate: the backend
    retrains (they are a trigger), but from the campaign's verified labels only."""
    store = CampaignStore()
    store.labels = [
        CampaignLabel(n, SENTENCES[n], "hate" if n % 2 else "not_hate") for n in range(1, 7)
    ]
    settings = BackendSettings(
        verdict_secret=TEST_SECRET,
        model_spec=str(registry.root),
        retrain_every=250,
        base_train_data=str(base_file),
        holdout_data=str(beep_dir / "dev.tsv"),
    )
    app = create_app(settings)
    client = app.test_client()
    before = client.post("/predict", json=predict_body(POISON)).json["results"][0]["result"][0][
        "value"
    ]
    retrainer = create_retrainer(settings, campaign_labels=store)
    held_before = retrainer.holdout_slice()
    for n in range(1000):
        forged = annotation_event(10_000 + n, POISON, "hate")  # no receipt, "hate" intent, confirm
        assert client.post("/webhook", json=forged).status_code == 200
    assert retrainer.poll_once() is not None  # the events did trigger a round ...
    assert retrainer.poll_once() is None  # ... one: they were consumed
    last = client.get("/health").json["training"]["last"]
    assert last["examples"] == 2500 - 1 + 5, "webhook bodies must never become training examples"
    assert retrainer.holdout_slice() == held_before and POISON not in {
        ex.text for ex in held_before
    }
    app.extensions["apeach_watcher"].check(force=True)
    after = client.post("/predict", json=predict_body(POISON)).json["results"][0]["result"][0][
        "value"
    ]
    assert after == before == {"choices": ["not_hate"]}


def test_a_worse_candidate_is_not_published(registry, tmp_path, beep_dir):
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
    before = registry.current()
    client = app.test_client()
    assert (
        client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}}).json[
            "status"
        ]
        == "training"
    )
    create_retrainer(settings).poll_once()
    training = client.get("/health").json["training"]
    assert training["last"]["published"] is False and "worse" in training["last"]["note"]
    assert training["outcomes"] == {"published": 0, "kept": 1, "failed": 0}
    assert registry.current() == before


def test_pin_and_rollback_reach_a_running_backend(registry, beep, tmp_path):
    train, _ = beep
    first = registry.current()
    app = create_app(BackendSettings(verdict_secret=TEST_SECRET, model_spec=str(registry.root)))
    client = app.test_client()
    app.extensions["apeach_watcher"].interval = 0  # check on every request in this test
    better = train_ngram(train[:1500])
    saved = save_ngram(better, tmp_path / "better")
    runner = CliRunner()
    env = {"APEACH_LS_REGISTRY": str(registry.root)}
    assert runner.invoke(cli, ["models", "publish", str(saved)], env=env).exit_code == 0
    assert (
        client.post("/predict", json=predict_body("안녕")).json["model_version"] == better.version
    )
    out = runner.invoke(cli, ["models", "rollback"], env=env).output
    assert f"rolled back to {first}" in out
    assert client.post("/predict", json=predict_body("안녕")).json["model_version"] == first
    listing = runner.invoke(cli, ["models", "list"], env=env).output
    assert f"{first}  (current, pinned)" in listing and better.version in listing
    # pinned: a newer publish is stored but not served
    newest = train_ngram(train[:800])
    registry.publish(newest.version, lambda d: save_ngram(newest, d), reason="test")
    assert client.post("/predict", json=predict_body("안녕")).json["model_version"] == first
    result = runner.invoke(cli, ["models", "pin", "no-such-version"], env=env)
    assert result.exit_code == 1 and "model version 'no-such-version' is not in" in result.output


def test_the_watcher_serves_the_version_it_read_and_only_for_authenticated_requests(
    registry, beep, monkeypatch
):
    import base64

    train, _ = beep
    app = create_app(
        BackendSettings(
            verdict_secret=TEST_SECRET,
            model_spec=str(registry.root),
            basic_auth_user="ls",
            basic_auth_password="pw",
        )
    )
    watcher, client = app.extensions["apeach_watcher"], app.test_client()
    watcher.interval = 0
    auth = {"Authorization": "Basic " + base64.b64encode(b"ls:pw").decode()}
    assert watcher.version == registry.current()
    second, third, fourth = (train_ngram(train[:n]) for n in (300, 600, 900))
    for model in (second, third):
        registry.publish(model.version, lambda d, m=model: save_ngram(m, d), reason="test")
    # a publish lands between the watcher's read of `current` (second) and its load: it serves what it read
    reads = iter([second.version])
    with monkeypatch.context() as patch:
        patch.setattr(watcher.registry, "current", lambda: next(reads, third.version))
        assert client.get("/health", headers=auth).json["model_version"] == second.version
        assert watcher.version == second.version
        assert client.get("/health", headers=auth).json["model_version"] == third.version
    registry.publish(fourth.version, lambda d: save_ngram(fourth, d), reason="test")
    assert (
        client.get("/health").status_code == 401 and watcher.version == third.version
    )  # no credentials: no swap
    assert client.get("/health", headers=auth).json["model_version"] == fourth.version


def test_an_empty_registry_names_the_command_that_publishes_to_it(
    tmp_path, beep, default_model_dir
):
    registry = ModelRegistry(tmp_path / "registry")
    with pytest.raises(ConfigError) as refused:
        load_version(registry, registry.current())
    fix = str(refused.value).split("publish one with: ")[1]
    assert fix == f"apeach-ls models publish MODEL_DIR --registry {registry.root}"
    args = fix.replace("MODEL_DIR", str(default_model_dir)).split()[1:]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert load_version(registry, registry.current()).classify(["좋은 하루"])[0].label == "not_hate"


def test_two_backends_count_each_annotation_once_and_both_serve_what_the_retrainer_publishes(
    registry, base_file, beep_dir
):
    settings = BackendSettings(
        verdict_secret=TEST_SECRET,
        model_spec=str(registry.root),
        retrain_every=3,
        base_train_data=str(base_file),
        holdout_data=str(beep_dir / "dev.tsv"),
    )
    first = registry.current()
    one, two = create_app(settings).test_client(), create_app(settings).test_client()
    # Label Studio delivers the same event to whichever replica; it counts once per campaign
    assert (
        one.post("/webhook", json=annotation_event(1, SENTENCES[0], "hate")).json["status"] == "ok"
    )
    assert two.post("/webhook", json=annotation_event(1, SENTENCES[0], "hate")).json["status"] == (
        "duplicate"
    )
    two.post("/webhook", json=annotation_event(2, SENTENCES[1], "not_hate"))
    assert one.get("/health").json["training"]["new_annotations"] == 2
    retrainer = create_retrainer(settings)
    assert retrainer.poll_once() is None  # 2 < every
    one.post("/webhook", json=annotation_event(3, SENTENCES[2], "hate"))
    result = retrainer.poll_once()
    assert result is not None and result.published and result.reason == "3 new annotations"
    time.sleep(1.1)  # each backend looks at `current` at most once a second
    for backend in (one, two):
        served = backend.post("/predict", json=predict_body("안녕")).json["model_version"]
        assert served == registry.current() == result.candidate != first
        assert backend.get("/health").json["training"]["new_annotations"] == 0
    # START_TRAINING reaching either backend is one request for the one retrainer
    two.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
    assert one.get("/health").json["training"]["requests_waiting"] == 1
    assert retrainer.poll_once().reason == "START_TRAINING"
    assert retrainer.poll_once() is None


def test_one_retrainer_per_registry(registry):
    with RetrainerLock(registry):
        with pytest.raises(ConfigError, match="another retrainer .* already runs for the registry"):
            with RetrainerLock(registry):
                pass
    with RetrainerLock(registry):  # released when the first one ended
        pass


def test_the_retrainer_needs_a_registry(tmp_path, default_model_dir):
    settings = BackendSettings(verdict_secret=TEST_SECRET, model_spec=str(default_model_dir))
    with pytest.raises(ConfigError, match="the retrainer needs APEACH_LS_MODEL .* registry"):
        create_retrainer(settings)


def _record_all(path, ids, outcomes):
    log = SubmissionLog(path)
    outcomes.extend([log.record(i, None) for i in ids])


def test_the_shared_log_counts_an_annotation_once_across_processes(tmp_path):
    """Four processes record the same 300 ids at once: each id is new exactly once."""
    path = tmp_path / "events.sqlite"
    SubmissionLog(path)
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        outcomes = manager.list()
        workers = [
            context.Process(target=_record_all, args=(path, list(range(300)), outcomes))
            for _ in range(4)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        outcomes = list(outcomes)
    assert [w.exitcode for w in workers] == [0] * 4
    assert outcomes.count("new") == 300 and len(outcomes) == 1200
    log = SubmissionLog(path)
    assert len(log) == 300 and log.pending().new_annotations == 300
    log.delete(7)
    assert 7 not in log and log.record(7, None) == "stale"


def test_a_request_never_waits_for_a_model_being_loaded(registry, beep, monkeypatch):
    """One request loads the new version; the others are answered by the old one meanwhile."""
    import apeach_ls.ml_backend.retraining as retraining

    train, _ = beep
    app = create_app(BackendSettings(verdict_secret=TEST_SECRET, model_spec=str(registry.root)))
    watcher = app.extensions["apeach_watcher"]
    watcher.interval = 0
    old = registry.current()
    newer = train_ngram(train[:700])
    registry.publish(newer.version, lambda d: save_ngram(newer, d), reason="test")
    loading, release = threading.Event(), threading.Event()
    real_load = retraining.load_version

    def slow_load(registry, version):
        loading.set()
        release.wait(30)
        return real_load(registry, version)

    monkeypatch.setattr(retraining, "load_version", slow_load)
    first = app.test_client()
    answers = []
    swapping = threading.Thread(
        target=lambda: answers.append(first.post("/predict", json=predict_body("안녕")))
    )
    swapping.start()
    assert loading.wait(30)
    started = time.monotonic()
    meanwhile = app.test_client().post("/predict", json=predict_body("안녕"))
    assert meanwhile.status_code == 200 and meanwhile.json["model_version"] == old
    assert time.monotonic() - started < 5  # it did not wait for the load (which waits 30 s)
    release.set()
    swapping.join()
    assert answers[0].status_code == 200
    assert (
        app.test_client().post("/predict", json=predict_body("안녕")).json["model_version"]
        == newer.version
    )
