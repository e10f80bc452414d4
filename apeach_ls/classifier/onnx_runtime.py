"""A transformers checkpoint run by ONNX Runtime on the CPU (model spec ``onnx:DIR_OR_ID``).

On first use the checkpoint is exported to ONNX once (``torch.onnx``), into
``$XDG_CACHE_HOME/apeach-ls/onnx/<version>/`` (``~/.cache`` by default), and, quantized, turned
into int8 by ONNX Runtime's dynamic quantization; later loads (other workers, restarts) read
the cached file. ``scripts/bench_capacity.py`` measured why: on one core, a BERT-base-shaped
model served int8 by ONNX Runtime took 1,440 writers at p99 < 1 s, torch's int8 420 (3.4x). Tokenization, length grouping, label mapping and scores are the
checkpoint's (:class:`~apeach_ls.classifier.checkpoint.CheckpointClassifier`); the version
ends in ``-onnx``. Needs ``pip install 'apeach-ls[onnx]'``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..labels import HATE, Verdict
from .checkpoint import CheckpointClassifier, length_groups, load_pretrained, resolve_label_map


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "apeach-ls" / "onnx"


class OnnxCheckpointClassifier(CheckpointClassifier):
    """``source`` as for :class:`CheckpointClassifier`; ``quantize`` is ONNX Runtime's int8."""

    @property
    def version(self) -> str:
        return super().version + "-onnx"

    def int8(self) -> OnnxCheckpointClassifier:
        if self.quantize:
            return self
        return OnnxCheckpointClassifier(
            self.source, self.label_map, self.device, self.max_length, self.batch_size, True
        )

    def _load(self) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise ConfigError(
                f"an onnx: model needs ONNX Runtime ({exc}); install apeach-ls[onnx]"
            ) from None
        described = f"the checkpoint {self.source!r}"
        tokenizer, model = load_pretrained(self.source, "an onnx: pseudo-classifier", described)
        model.eval()
        id2label = model.config.id2label
        names = [str(id2label[i]) for i in range(model.config.num_labels)]
        mapping = resolve_label_map(names, self.label_map)
        import numpy as np
        import torch

        self._hate_mask = np.array([1.0 if mapping[n] == HATE else 0.0 for n in names])
        self._inputs = list(tokenizer(["a"], return_tensors="np").keys())
        path = self._exported(model, tokenizer, torch)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # the backend's per-worker share
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer, self._model = tokenizer, session
        from .checkpoint import _input_limit

        self._limit = _input_limit(self.max_length, tokenizer, model.config)

    def _cache_key(self, model: Any) -> str:
        if self._local_dir() is not None:
            key = self._fingerprint()
        else:
            config = model.config
            key = hashlib.sha256(
                (config.to_json_string() + str(getattr(config, "_commit_hash", ""))).encode()
            ).hexdigest()
        return f"{self._name()}-{key[:16]}"

    def _exported(self, model: Any, tokenizer: Any, torch: Any) -> Path:
        """The cached ONNX file (float32, or int8 when quantized), made once."""
        directory = cache_root() / self._cache_key(model)
        directory.mkdir(parents=True, exist_ok=True)
        float_path = directory / "model.onnx"
        if not float_path.is_file():
            sample = tokenizer(["안녕하세요 반갑습니다"], return_tensors="pt")
            wrapper = _Logits(model, self._inputs)
            with _replacing(float_path) as partial, torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the exporter's notes on ops it rewrites
                torch.onnx.export(
                    wrapper,
                    tuple(sample[name] for name in self._inputs),
                    str(partial),
                    input_names=self._inputs,
                    output_names=["logits"],
                    dynamic_axes={
                        **{name: {0: "batch", 1: "tokens"} for name in self._inputs},
                        "logits": {0: "batch"},
                    },
                    opset_version=17,
                    dynamo=False,
                )
        if not self.quantize:
            return float_path
        int8_path = directory / "model-int8.onnx"
        if not int8_path.is_file():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            with _replacing(int8_path) as partial:
                quantize_dynamic(str(float_path), str(partial), weight_type=QuantType.QInt8)
        return int8_path

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        if not texts:
            return []
        self.load()
        import numpy as np

        encoded_all = self._tokenizer(list(texts), truncation=True, max_length=self._limit)
        lengths = [len(ids) for ids in encoded_all["input_ids"]]
        verdicts: list[Verdict | None] = [None] * len(texts)
        for group in length_groups(lengths, self.batch_size):
            encoded = self._tokenizer(
                [texts[i] for i in group],
                padding=True,
                truncation=True,
                max_length=self._limit,
                return_tensors="np",
            )
            [logits] = self._model.run(
                ["logits"], {name: encoded[name].astype(np.int64) for name in self._inputs}
            )
            logits = logits.astype(np.float64)
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            p_hate = (exp / exp.sum(axis=1, keepdims=True)) @ self._hate_mask
            for i, p in zip(group, p_hate.tolist()):
                verdicts[i] = Verdict.from_hate_probability(min(max(p, 0.0), 1.0))
        return verdicts  # type: ignore[return-value]


class _Logits:
    """The model as a module of positional inputs (in the tokenizer's order) to logits."""

    def __new__(cls, model: Any, names: list[str]) -> Any:
        import torch

        class Logits(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *inputs: Any) -> Any:
                return self.model(**dict(zip(names, inputs))).logits

        return Logits().eval()


class _replacing:
    """A temporary path beside ``target``, moved onto it when the block succeeds (so workers
    that export at the same time never read half a file)."""

    def __init__(self, target: Path):
        self.target = target

    def __enter__(self) -> Path:
        fd, name = tempfile.mkstemp(dir=self.target.parent, suffix=".partial")
        os.close(fd)
        self.partial = Path(name)
        return self.partial

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            os.replace(self.partial, self.target)
        else:
            self.partial.unlink(missing_ok=True)
