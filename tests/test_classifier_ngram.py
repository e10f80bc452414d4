"""The default n-gram pseudo-classifier: quality on BEEP! dev, speed, safe save/load."""

from __future__ import annotations

import json
import time
import zipfile

import numpy as np
import pytest
from beep import beep_path

from apeach_ls.classifier import PseudoClassifier, load_classifier
from apeach_ls.classifier.data import read_labeled
from apeach_ls.classifier.metrics import score
from apeach_ls.classifier.ngram import NgramClassifier, load_ngram, save_ngram, train_ngram
from apeach_ls.errors import ConfigError


@pytest.fixture(scope="module")
def beep():
    path = beep_path()
    return read_labeled(path / "train.tsv"), read_labeled(path / "dev.tsv")


@pytest.fixture(scope="module")
def model(beep) -> NgramClassifier:
    return train_ngram(beep[0])


@pytest.fixture(scope="module")
def saved(model, tmp_path_factory):
    return save_ngram(model, tmp_path_factory.mktemp("ngram") / "model")


@pytest.fixture(scope="module")
def small(beep) -> NgramClassifier:
    return train_ngram(beep[0][:400])


def test_macro_f1_on_beep_dev_is_at_least_0_78(model, beep):
    dev = beep[1]
    verdicts = model.classify([ex.text for ex in dev])
    scores = score([ex.label for ex in dev], [v.label for v in verdicts])
    assert scores.macro_f1 >= 0.78, scores


def test_is_a_pseudo_classifier_with_valid_verdicts(model):
    assert isinstance(model, PseudoClassifier)
    assert model.version.startswith("ngram-") and len(model.version) == len("ngram-") + 10
    assert model.classify([]) == []
    verdicts = model.classify(["진짜 꺼져라 쓰레기", "좋은 하루 되세요", ""])
    assert all(v.label in ("hate", "not_hate") and 0.5 <= v.score <= 1.0 for v in verdicts)


def test_predicts_well_under_a_millisecond_per_sentence(model, beep):
    texts = [ex.text for ex in beep[1]]
    started = time.perf_counter()
    model.classify(texts)
    assert (time.perf_counter() - started) / len(texts) < 0.001


def test_own_prediction_path_matches_scikit_learn(small, beep):
    from sklearn.linear_model import LogisticRegression

    train = beep[0][:400]
    vectorizer = small.params.vectorizer()
    features = vectorizer.fit_transform([ex.text for ex in train])
    reference = LogisticRegression(
        C=small.params.c, class_weight="balanced", max_iter=small.params.max_iter
    )
    reference.fit(features, [ex.label == "hate" for ex in train])
    texts = [ex.text for ex in beep[1]] + ["", "처음 보는 글자 뷁"]
    expected = reference.predict_proba(vectorizer.transform(texts))[:, 1]
    assert [small.hate_probability(t) for t in texts] == pytest.approx(expected.tolist(), abs=1e-9)


def test_round_trip_gives_identical_verdicts_and_version(model, saved, beep):
    loaded = load_classifier(str(saved))
    assert isinstance(loaded, NgramClassifier)
    texts = [ex.text for ex in beep[1]]
    assert loaded.version == model.version
    assert loaded.classify(texts) == model.classify(texts)
    meta = json.loads((saved / "model.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "ngram" and meta["version"] == model.version


def test_saved_directory_holds_no_pickle(saved):
    assert sorted(p.name for p in saved.iterdir()) == [
        "model.json",
        "vocabulary.json",
        "weights.npz",
    ]
    with zipfile.ZipFile(saved / "weights.npz") as archive:
        for member in archive.namelist():
            assert member.endswith(".npy")
            with archive.open(member) as f:
                version = np.lib.format.read_magic(f)
                _, _, dtype = np.lib.format._read_array_header(f, version)
                assert not dtype.hasobject, member
    with np.load(saved / "weights.npz", allow_pickle=False) as weights:
        assert sorted(weights.files) == ["coef", "idf", "intercept"]


def test_version_changes_with_the_weights(small, model):
    assert small.version != model.version
    nudged = NgramClassifier(
        small.params, small.terms, small.idf, small.coef + 1e-6, small.intercept
    )
    assert nudged.version != small.version


def test_training_is_deterministic(small, beep):
    assert train_ngram(beep[0][:400]).version == small.version


def test_needs_both_labels(beep):
    with pytest.raises(ValueError, match="both labels"):
        train_ngram([ex for ex in beep[0][:100] if ex.label == "hate"])


def test_refuses_to_overwrite_a_model_unless_asked(small, tmp_path):
    save_ngram(small, tmp_path / "m")
    with pytest.raises(ConfigError, match="already exists and is not empty"):
        save_ngram(small, tmp_path / "m")
    save_ngram(small, tmp_path / "m", replace=True)
    assert load_ngram(tmp_path / "m").version == small.version


def _edit_json(name, change):
    def edit(directory):
        meta = json.loads((directory / name).read_text(encoding="utf-8"))
        (directory / name).write_text(json.dumps(change(meta)), encoding="utf-8")

    return edit


def _replace_weights(**arrays):
    def edit(directory):
        with np.load(directory / "weights.npz") as weights:
            merged = {k: weights[k] for k in weights.files} | arrays
        np.savez(directory / "weights.npz", **merged)

    return edit


CORRUPTIONS = {
    "no model.json": (
        lambda d: (d / "model.json").unlink(),
        "has no model.json: not a saved model",
    ),
    "model.json not JSON": (
        lambda d: (d / "model.json").write_text("{oops"),
        "model.json is unreadable",
    ),
    "foreign kind": (
        _edit_json("model.json", lambda m: m | {"kind": "bert"}),
        "holds a model of kind 'bert'",
    ),
    "future format": (
        _edit_json("model.json", lambda m: m | {"format": 99}),
        "model format 99 is not supported",
    ),
    "unknown param": (
        _edit_json("model.json", lambda m: m | {"params": {"boost": 1}}),
        "unexpected keyword",
    ),
    "no weights": (lambda d: (d / "weights.npz").unlink(), "No such file"),
    "truncated weights": (
        lambda d: (d / "weights.npz").write_bytes((d / "weights.npz").read_bytes()[:100]),
        "cannot load the n-gram model",
    ),
    "edited weights": (_replace_weights(intercept=np.array([3.0])), "do not match the checksum"),
    "pickled weights": (
        _replace_weights(coef=np.array([{"x": 1}], dtype=object)),
        "allow_pickle=False",
    ),
    "missing array": (lambda d: np.savez(d / "weights.npz", idf=np.ones(3)), "missing"),
    "vocabulary edited": (
        _edit_json("vocabulary.json", lambda terms: terms[::-1]),
        "do not match the checksum",
    ),
    "vocabulary not strings": (
        _edit_json("vocabulary.json", lambda terms: [1, 2]),
        "not a list of strings",
    ),
}


@pytest.mark.parametrize("corrupt, message", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupted_directory_raises_config_error(small, tmp_path, corrupt, message):
    directory = save_ngram(small, tmp_path / "model")
    corrupt(directory)
    with pytest.raises(ConfigError, match=message) as caught:
        load_ngram(directory)
    assert str(directory) in str(caught.value) and "\n" not in str(caught.value)


def test_split_holdout_is_stratified_and_seeded(beep):
    from apeach_ls.classifier.training import split_holdout

    examples = beep[0][:1000]
    training, held = split_holdout(examples, 0.1, seed=3)
    assert len(training) + len(held) == 1000 and len(held) == 100
    hate_share = sum(ex.label == "hate" for ex in examples) / 1000
    assert sum(ex.label == "hate" for ex in held) / 100 == pytest.approx(hate_share, abs=0.01)
    assert split_holdout(examples, 0.1, seed=3) == (training, held)
    assert split_holdout(examples, 0.1, seed=4) != (training, held)


def test_train_and_save_from_a_file(tmp_path):
    from apeach_ls.classifier.training import train_and_save

    data = tmp_path / "ours.csv"
    data.write_text(
        "text,label\n" + "꺼져 쓰레기야,hate\n좋은 하루,not_hate\n" * 5, encoding="utf-8"
    )
    version = train_and_save(data, tmp_path / "model")
    assert load_ngram(tmp_path / "model").version == version
    assert json.loads((tmp_path / "model" / "model.json").read_text())["info"] == {
        "trained_on": "ours.csv",
        "examples": 10,
    }
