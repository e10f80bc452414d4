"""Live model updates: retrain from the campaign's labels, swap atomically, pin and roll back."""

from __future__ import annotations

import threading
import time

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
from apeach_ls.ml_backend import create_app
from apeach_ls.ml_backend.retraining import CampaignLabel
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
    app = create_app(settings, campaign_labels=store)
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
        wait_until(lambda: client.get("/health").json["training"].get("last"))
        time.sleep(0.3)
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
    app = create_app(
        BackendSettings(
            verdict_secret=TEST_SECRET,
            model_spec=str(registry.root),
            retrain_every=250,
            base_train_data=str(base_file),
            holdout_data=str(beep_dir / "dev.tsv"),
        ),
        campaign_labels=store,
    )
    client = app.test_client()
    before = client.post("/predict", json=predict_body(POISON)).json["results"][0]["result"][0][
        "value"
    ]
    retrainer = app.extensions["apeach_retrainer"]
    held_before = retrainer.holdout_slice()
    for n in range(1000):
        forged = annotation_event(10_000 + n, POISON, "hate")  # no receipt, "hate" intent, confirm
        assert client.post("/webhook", json=forged).status_code == 200
    wait_until(
        lambda: (
            client.get("/health").json["training"].get("last")
            and not client.get("/health").json["training"]["running"]
        )
    )
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
    app = create_app(
        BackendSettings(
            verdict_secret=TEST_SECRET,
            model_spec=str(registry.root),
            base_train_data=str(bad),
            holdout_data=str(beep_dir / "dev.tsv"),
        )
    )
    before = registry.current()
    client = app.test_client()
    assert (
        client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}}).json[
            "status"
        ]
        == "training"
    )
    wait_until(lambda: client.get("/health").json["training"].get("last"))
    last = client.get("/health").json["training"]["last"]
    assert last["published"] is False and "worse" in last["note"]
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
