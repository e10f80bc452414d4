"""Pick and build a pseudo-classifier from one string (``--model``, ``APEACH_LS_MODEL``).

Spec forms:

* ``DIR`` with a ``model.json`` of kind ``ngram``: a saved n-gram model (``classifier train``).
* ``DIR`` with a transformers ``config.json``: a local checkpoint.
* ``DIR`` with ``versions/``: a model registry (:mod:`.registry`); its current version.
* ``hf:ID_OR_PATH``: a transformers checkpoint by Hugging Face id (from the local HF cache:
  nothing is downloaded when offline) or path.
* ``onnx:ID_OR_PATH``: the same checkpoint run by ONNX Runtime on the CPU (exported once into
  a cache; with ``APEACH_ML_QUANTIZE=int8``, ONNX Runtime's int8): :mod:`.onnx_runtime`.

A checkpoint spec may end in ``#NAME=LABEL,...`` to map the model's labels to
hate / not_hate, e.g. ``hf:org/model#LABEL_0=not_hate,LABEL_1=hate``; models whose labels
are already hate/not_hate or BEEP!'s none/offensive/hate need none.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError
from .base import PseudoClassifier
from .checkpoint import CheckpointClassifier
from .ngram import MODEL_FILE, load_ngram, read_model_json
from .registry import ModelRegistry, is_registry

HF_PREFIX = "hf:"
ONNX_PREFIX = "onnx:"


def parse_label_map(text: str) -> dict[str, str]:
    """``"none=not_hate,offensive=hate"`` -> ``{"none": "not_hate", "offensive": "hate"}``."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, label = item.rpartition("=")
        if not sep or not name.strip() or not label.strip():
            raise ConfigError(
                f"bad label map item {item!r}; expected MODEL_LABEL=hate or MODEL_LABEL=not_hate"
            )
        mapping[name.strip()] = label.strip()
    if not mapping:
        raise ConfigError("empty label map; expected e.g. 'none=not_hate,offensive=hate,hate=hate'")
    return mapping


def load_classifier(spec: str, label_map: Mapping[str, str] | None = None) -> PseudoClassifier:
    """The classifier ``spec`` names. An n-gram model loads now; a checkpoint on first use."""
    spec = spec.strip()
    if not spec:
        raise ConfigError("empty model spec; give a saved model directory or hf:<id>")
    source, sep, suffix = spec.partition("#")
    if sep:
        if label_map is not None:
            raise ConfigError(
                "give the label map either after '#' in the model spec or separately, not both"
            )
        label_map = parse_label_map(suffix)
    if source.startswith(HF_PREFIX):
        return CheckpointClassifier(source[len(HF_PREFIX) :], label_map=label_map)
    if source.startswith(ONNX_PREFIX):
        from .onnx_runtime import OnnxCheckpointClassifier

        return OnnxCheckpointClassifier(source[len(ONNX_PREFIX) :], label_map=label_map)
    path = Path(source)
    if is_registry(path):
        if label_map is not None:
            raise ConfigError(
                f"{source} is a model registry: a label map applies to checkpoints only"
            )
        registry = ModelRegistry(path)
        return load_version(registry, registry.current())
    if (path / MODEL_FILE).is_file():
        if label_map is not None:
            raise ConfigError(
                f"{source} is an n-gram model: a label map applies to checkpoints only"
            )
        kind = read_model_json(path).get("kind")
        if kind == "ngram":
            return load_ngram(path)
        raise ConfigError(
            f"{path / MODEL_FILE} names an unknown model kind {kind!r}; expected 'ngram'"
        )
    if (path / "config.json").is_file():
        return CheckpointClassifier(str(path), label_map=label_map)
    if path.is_dir():
        raise ConfigError(
            f"{source} is neither a saved n-gram model ({MODEL_FILE}) nor a transformers "
            "checkpoint (config.json)"
        )
    raise ConfigError(
        f"no model directory {source}; train one with `apeach-ls classifier train`, "
        f"or write hf:<id> for a Hugging Face checkpoint"
    )


def load_version(registry: ModelRegistry, version: str | None) -> PseudoClassifier:
    """Load ``version`` of ``registry`` (as read from ``registry.current()`` by the caller, so
    that the version it records and the model it serves are the same even if a publish lands
    in between). The registry knows paths only; loading happens here."""
    if version is None:
        raise ConfigError(
            f"model registry {registry.root} has no current version; "
            f"publish one with: apeach-ls models publish MODEL_DIR --registry {registry.root}"
        )
    return load_classifier(str(registry.path_of(version)))
