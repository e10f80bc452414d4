"""A checkpoint run by ONNX Runtime (``onnx:`` model spec): the same verdicts as torch, exported
once into a cache, int8 when quantized."""

from __future__ import annotations

import pytest
from tiny_bert import BEEP_LABELS, SENTENCES, build_tiny_bert

from apeach_ls.classifier import load_classifier

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-onnx-bert"), BEEP_LABELS)


def test_onnx_runtime_gives_torch_s_verdicts_and_exports_once(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    torch_model = load_classifier(str(tiny))
    onnx_model = load_classifier(f"onnx:{tiny}")
    assert onnx_model.version == torch_model.version + "-onnx"
    expected, got = torch_model.classify(SENTENCES), onnx_model.classify(SENTENCES)
    assert [v.label for v in got] == [v.label for v in expected]
    assert [v.score for v in got] == pytest.approx([v.score for v in expected], abs=1e-4)
    [exported] = (tmp_path / "cache" / "apeach-ls" / "onnx").glob("*/model.onnx")
    stamp = exported.stat().st_mtime_ns
    again = load_classifier(f"onnx:{tiny}")
    assert [v.label for v in again.classify(SENTENCES)] == [v.label for v in expected]
    assert exported.stat().st_mtime_ns == stamp  # read from the cache, not exported again
    assert not list(exported.parent.glob("*.partial"))


def test_int8_is_onnx_runtime_s_quantized_model(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    int8 = load_classifier(f"onnx:{tiny}").int8()
    assert int8.version.endswith("-int8-onnx") and int8.int8() is int8
    verdicts = int8.classify(SENTENCES)
    assert len(verdicts) == len(SENTENCES) and all(0.0 <= v.score <= 1.0 for v in verdicts)
    [quantized] = (tmp_path / "cache" / "apeach-ls" / "onnx").glob("*/model-int8.onnx")
    assert quantized.stat().st_size < (quantized.parent / "model.onnx").stat().st_size


def test_a_spec_with_a_label_map_maps_the_model_s_labels(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = load_classifier(f"onnx:{tiny}#none=not_hate,offensive=not_hate,hate=hate")
    default = load_classifier(f"onnx:{tiny}")
    assert model.version != default.version  # the label map is part of the version
    assert all(v.label in ("hate", "not_hate") for v in model.classify(SENTENCES))
