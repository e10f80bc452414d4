"""A transformers checkpoint as the pseudo-classifier, on a tiny BERT built here (no download)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tiny_bert import BEEP_LABELS, SENTENCES, build_tiny_bert
from verdicts import TEST_SECRET

from apeach_ls.classifier import load_classifier
from apeach_ls.classifier.checkpoint import CheckpointClassifier, length_groups, resolve_label_map
from apeach_ls.errors import ConfigError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-beep-bert"), BEEP_LABELS)


def test_loads_lazily(tiny):
    model = load_classifier(str(tiny))
    assert isinstance(model, CheckpointClassifier) and not model.loaded
    assert model.version.startswith(f"checkpoint-{tiny.name}-")  # a local dir needs no load for it
    assert not model.loaded
    model.classify(["좋은 하루"])
    assert model.loaded


def test_loading_the_spec_imports_neither_torch_nor_transformers(tiny):
    code = (
        "import sys; from apeach_ls.classifier import load_classifier; "
        f"m = load_classifier({str(tiny)!r}); m.version; "
        "print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_verdict_score_is_the_summed_probability_of_its_labels(tiny):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    verdicts = load_classifier(str(tiny)).classify(SENTENCES)
    tokenizer, reference = (
        AutoTokenizer.from_pretrained(tiny),
        AutoModelForSequenceClassification.from_pretrained(tiny),
    )
    for text, verdict in zip(SENTENCES, verdicts):
        with torch.no_grad():
            p = torch.softmax(
                reference(**tokenizer(text, return_tensors="pt")).logits[0], -1
            ).tolist()
        p_hate = p[1] + p[2]  # offensive + hate
        assert verdict.label == ("hate" if p_hate >= 0.5 else "not_hate")
        assert verdict.score == pytest.approx(max(p_hate, 1 - p_hate), abs=1e-5)
        assert 0.5 <= verdict.score <= 1.0
    assert {v.label for v in verdicts} == {"hate", "not_hate"}  # the random tiny model says both


def test_a_padded_batch_equals_one_by_one(tiny):
    model = CheckpointClassifier(str(tiny), batch_size=4)
    texts = SENTENCES + ["싫어", "", "좋은 하루 되세요 " * 10]
    batched = model.classify(texts)
    single = [model.classify([t])[0] for t in texts]
    assert [v.label for v in batched] == [v.label for v in single]
    assert [v.score for v in batched] == pytest.approx([v.score for v in single], abs=1e-5)
    assert model.classify([]) == []


@pytest.mark.parametrize(
    "lengths, batch_size, groups",
    [
        ([5, 3, 4], 32, [[1, 2, 0]]),  # similar lengths: one group, shortest first
        (
            [12, 10, 99, 11, 40],
            32,
            [[1, 3, 0], [4], [2]],
        ),  # a long sentence does not pad the short ones
        ([10] * 5, 2, [[0, 1], [2, 3], [4]]),
        ([22, 10, 18, 14], 32, [[1, 3, 2, 0]]),  # some padding is cheaper than another pass
        ([], 8, []),
    ],
)
def test_length_groups(lengths, batch_size, groups):
    assert length_groups(lengths, batch_size) == groups


def test_length_groups_weigh_a_pass_against_padding():
    lengths = [10, 11, 12, 40, 99]
    assert length_groups(lengths, 32, pass_cost=10_000) == [[0, 1, 2, 3, 4]]  # passes dear: one
    assert length_groups(lengths, 32, pass_cost=0) == [
        [0],
        [1],
        [2],
        [3],
        [4],
    ]  # passes free: no padding
    groups = length_groups([7, 3, 9, 3, 50, 1, 8], 3)
    assert sorted(i for g in groups for i in g) == list(range(7)) and max(map(len, groups)) <= 3


def test_other_labels_need_a_label_map(tmp_path):
    directory = build_tiny_bert(tmp_path / "two", {0: "LABEL_0", 1: "LABEL_1"})
    with pytest.raises(ConfigError, match="labels are LABEL_0, LABEL_1: pass a label map"):
        load_classifier(str(directory)).classify(["좋은 하루"])
    mapped = load_classifier(f"{directory}#LABEL_0=not_hate,LABEL_1=hate")
    assert mapped.classify(["좋은 하루"])[0].label in ("hate", "not_hate")
    assert mapped.version != load_classifier(str(directory)).version


def test_hf_prefix_and_a_checkpoint_that_cannot_load(tmp_path):
    pytest.importorskip("transformers")
    model = load_classifier(f"hf:{tmp_path / 'missing'}")
    assert isinstance(model, CheckpointClassifier) and model.source == str(tmp_path / "missing")
    with pytest.raises(ConfigError, match="cannot load the checkpoint"):
        model.classify(["x"])


def test_missing_transformers_becomes_a_config_error(tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ConfigError, match=r"install apeach-ls\[checkpoint\]"):
        CheckpointClassifier(str(tiny)).classify(["x"])


@pytest.mark.parametrize(
    "names, label_map, expected",
    [
        (["not_hate", "hate"], None, {"not_hate": "not_hate", "hate": "hate"}),
        (
            ["none", "offensive", "hate"],
            None,
            {"none": "not_hate", "offensive": "hate", "hate": "hate"},
        ),
        (["neg", "pos"], {"neg": "not_hate", "pos": "hate"}, {"neg": "not_hate", "pos": "hate"}),
    ],
)
def test_resolve_label_map(names, label_map, expected):
    assert resolve_label_map(names, label_map) == expected


@pytest.mark.parametrize(
    "label_map, message",
    [
        (None, "the checkpoint's labels are neg, pos: pass a label map"),
        ({"neg": "not_hate"}, "unmapped model labels: pos"),
        ({"neg": "not_hate", "pos": "hate", "neutral": "hate"}, "not labels of the model: neutral"),
        (
            {"neg": "not_hate", "pos": "offensive"},
            "targets must be hate or not_hate: pos=offensive",
        ),
        (
            {"neg": "hate", "pos": "hate"},
            "map at least one model label to hate and one to not_hate",
        ),
    ],
)
def test_bad_label_maps(label_map, message):
    with pytest.raises(ConfigError, match=message):
        resolve_label_map(["neg", "pos"], label_map)


def test_int8_quantized_model_loads_gives_verdicts_and_its_own_version(tiny):
    plain, quantized = (
        CheckpointClassifier(str(tiny)),
        CheckpointClassifier(str(tiny), quantize=True),
    )
    assert quantized.version == plain.version + "-int8" and not quantized.loaded
    verdicts = quantized.classify(SENTENCES)
    assert len(verdicts) == len(SENTENCES)
    assert all(v.label in ("hate", "not_hate") and 0.5 <= v.score <= 1.0 for v in verdicts)
    import torch

    linear_types = {type(m) for m in quantized._model.modules() if "Linear" in type(m).__name__}
    assert (
        torch.nn.Linear not in linear_types and linear_types
    )  # every Linear replaced by an int8 one
    scores = [v.score if v.label == "hate" else 1 - v.score for v in verdicts]
    reference = [v.score if v.label == "hate" else 1 - v.score for v in plain.classify(SENTENCES)]
    assert scores == pytest.approx(
        reference, abs=0.1
    )  # int8 weights: close to, not equal to, float
    assert quantized.int8() is quantized and plain.int8().version == quantized.version


def test_the_backend_serves_a_checkpoint_int8_when_told(tiny):
    from apeach_ls.ml_backend import create_app
    from apeach_ls.ml_backend.settings import BackendSettings

    settings = BackendSettings.from_env(
        {"APEACH_ML_QUANTIZE": "int8", "APEACH_VERDICT_SECRET": TEST_SECRET}
    )
    assert settings.quantize == "int8" and BackendSettings.from_env({}).quantize == "off"
    app = create_app(settings, CheckpointClassifier(str(tiny)))
    assert app.extensions["apeach_verdicts"].model_version.endswith("-int8")
    with pytest.raises(
        ConfigError, match="APEACH_ML_QUANTIZE must be one of off, int8, got 'int4'"
    ):
        BackendSettings.from_env({"APEACH_ML_QUANTIZE": "int4"})
