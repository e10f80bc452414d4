"""A transformers sequence-classification checkpoint as the pseudo-classifier, loaded lazily.

torch and transformers are imported, and the weights read, on the first :meth:`classify`
(or an explicit :meth:`load`), so building one costs nothing and a missing install only
matters when the model is used.

``quantize=True`` applies int8 dynamic quantization to the model's ``Linear`` layers after
loading (CPU only; in ``scripts/bench_backend.py`` on a 2-core CPU a BERT-base-shaped model ran
2.1-3.2x faster, its p(hate) on average 0.03 from the float model's). Its version ends in ``-int8``. The ML backend turns it on with
``APEACH_ML_QUANTIZE=int8`` (see :mod:`apeach_ls.ml_backend.settings`); it is off by default.
"""

from __future__ import annotations

import hashlib
import re
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..labels import HATE, LABELS, NOT_HATE, Label, Verdict

# Known id2label vocabularies and how they map to ours.
KNOWN_LABEL_MAPS: tuple[dict[str, Label], ...] = (
    {"hate": HATE, "not_hate": NOT_HATE},
    {"none": NOT_HATE, "offensive": HATE, "hate": HATE},  # BEEP!
)


def resolve_label_map(
    model_labels: Sequence[str], label_map: Mapping[str, str] | None
) -> dict[str, Label]:
    """Our label for each of the model's labels; ConfigError when it cannot be decided."""
    names = set(model_labels)
    if label_map is None:
        for known in KNOWN_LABEL_MAPS:
            if names == set(known):
                return dict(known)
        raise ConfigError(
            f"the checkpoint's labels are {', '.join(model_labels)}: pass a label map such as "
            f"'{model_labels[0]}=hate,...' that maps each of them to hate or not_hate"
        )
    unknown = sorted(set(label_map) - names)
    missing = sorted(names - set(label_map))
    bad = sorted(f"{k}={v}" for k, v in label_map.items() if v not in LABELS)
    if unknown or missing or bad:
        problems = [
            f"{what}: {', '.join(items)}"
            for what, items in (
                ("not labels of the model", unknown),
                ("unmapped model labels", missing),
                ("targets must be hate or not_hate", bad),
            )
            if items
        ]
        raise ConfigError(
            f"bad label map ({'; '.join(problems)}); the model's labels are {', '.join(model_labels)}"
        )
    if set(label_map.values()) != set(LABELS):
        raise ConfigError("bad label map: map at least one model label to hate and one to not_hate")
    return dict(label_map)  # type: ignore[arg-type]


def _input_limit(max_length: int, tokenizer: Any, config: Any) -> int:
    """``max_length`` capped at the tokenizer's and the position embeddings' limits."""
    limits = [max_length]
    if getattr(tokenizer, "model_max_length", None) and tokenizer.model_max_length < 1_000_000:
        limits.append(int(tokenizer.model_max_length))
    positions = getattr(config, "max_position_embeddings", None)
    if positions:  # RoBERTa-like models number positions from padding_idx + 1
        limits.append(
            positions - 2 if "roberta" in getattr(config, "model_type", "") else positions
        )
    return min(limits)


def _quantize_int8(torch: Any, model: Any) -> Any:
    """int8 dynamic quantization of every ``Linear`` (weights int8, activations quantized per call)."""
    with warnings.catch_warnings():  # torch.ao.quantization warns that it moves to torchao
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear}, dtype=torch.qint8
        ).eval()


PASS_COST_TOKENS = 32  # a forward pass costs about as much as this many padded tokens


@contextmanager
def _one_line_errors(described: str, hint: str = "") -> Iterator[None]:
    """What transformers raises on a bad checkpoint, as one ConfigError line."""
    try:
        yield
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot load {described}: {first_line}{hint}") from None


def load_pretrained(
    source: str, purpose: str, described: str, hint: str = "", **model_kwargs: Any
) -> tuple[Any, Any]:
    """Tokenizer and sequence-classification model of ``source`` (an id or a directory), or a
    one-line ConfigError: ``purpose`` needs torch and transformers; cannot load ``described``."""
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:
        raise ConfigError(
            f"{purpose} needs torch and transformers ({exc}); install apeach-ls[checkpoint]"
        ) from None
    with _one_line_errors(described, hint):
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForSequenceClassification.from_pretrained(source, **model_kwargs)
    return tokenizer, model


def length_groups(
    lengths: Sequence[int], batch_size: int, pass_cost: int = PASS_COST_TOKENS
) -> list[list[int]]:
    """Indices of ``lengths`` in groups of at most ``batch_size`` that run cheapest.

    A group costs ``pass_cost + size * longest`` (every sentence is padded to the longest).
    On a CPU both halves matter: a BERT-base pass on 2 cores costs ~100 ms whatever its size
    (the weights are read once per pass) and ~3 ms per padded token, so one long sentence should
    not pad 31 short ones, and neither should a batch split into passes of one. Sorted by
    length, the cheapest split is a shortest path over cut points (O(n * batch_size)).
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    best = [0] + [0] * len(order)  # best[j]: cheapest cost of the first j sorted sentences
    cut = [0] * (len(order) + 1)  # where the last group of best[j] starts
    for j in range(1, len(order) + 1):
        longest = lengths[order[j - 1]]
        cost, start = min(
            (best[i] + pass_cost + (j - i) * longest, -i) for i in range(max(0, j - batch_size), j)
        )
        best[j], cut[j] = cost, -start  # on a tie, the longer last group
    groups: list[list[int]] = []
    j = len(order)
    while j:
        groups.append(order[cut[j] : j])
        j = cut[j]
    return groups[::-1]


class CheckpointClassifier:
    """``source`` is a Hugging Face model id or a local directory written by ``save_pretrained``."""

    prefers_batching = (
        True  # a forward pass costs more than an HTTP round trip: the backend batches
    )

    def __init__(
        self,
        source: str,
        label_map: Mapping[str, str] | None = None,
        device: str = "cpu",
        max_length: int = 256,
        batch_size: int = 32,
        quantize: bool = False,
    ):
        if quantize and device != "cpu":
            raise ConfigError(f"int8 quantization runs on the CPU only, not on {device!r}")
        self.source, self.label_map, self.device = source, label_map, device
        self.max_length, self.batch_size, self.quantize = max_length, batch_size, quantize
        self._model: Any = None
        self._tokenizer: Any = None
        self._hate_mask: Any = None  # 1.0 for the model's labels that map to hate
        self._limit = max_length  # tokens per text, capped at what the model can take
        self._version: str | None = None
        self._lock = threading.Lock()  # one load even when several threads classify at once

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def version(self) -> str:
        """``checkpoint-<name>-<hash>``: of config + weight files for a local dir (no load needed),
        else of the loaded config and its hub commit; ``-int8`` at the end when quantized."""
        if self._version is None:
            suffix = "-int8" if self.quantize else ""
            self._version = f"checkpoint-{self._name()}-{self._fingerprint()[:10]}{suffix}"
        return self._version

    def int8(self) -> CheckpointClassifier:
        """The same checkpoint, int8-quantized (itself when it already is)."""
        if self.quantize:
            return self
        return CheckpointClassifier(
            self.source,
            self.label_map,
            self.device,
            self.max_length,
            self.batch_size,
            quantize=True,
        )

    def load(self) -> CheckpointClassifier:
        """Import torch/transformers and read the tokenizer and weights (once)."""
        with self._lock:
            if self._model is None:
                self._load()
        return self

    def _load(self) -> None:
        described = f"the checkpoint {self.source!r}"
        tokenizer, model = load_pretrained(self.source, "a checkpoint pseudo-classifier", described)
        import torch

        with _one_line_errors(described):
            model.to(torch.device(self.device)).eval()
        if self.quantize:
            model = _quantize_int8(torch, model)
        id2label = model.config.id2label
        names = [str(id2label[i]) for i in range(model.config.num_labels)]
        mapping = resolve_label_map(names, self.label_map)
        self._hate_mask = torch.tensor(
            [1.0 if mapping[n] == HATE else 0.0 for n in names], device=model.device
        )
        self._tokenizer, self._model = tokenizer, model
        self._limit = _input_limit(self.max_length, tokenizer, model.config)

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        """A verdict's score is the summed softmax probability of the model labels mapped to it.

        Texts go through the model in groups of similar length (:func:`length_groups`), so a
        long sentence does not pad a whole batch: on a CPU, padding costs as much as text.
        """
        if not texts:
            return []
        self.load()
        import torch

        encoded_all = self._tokenizer(list(texts), truncation=True, max_length=self._limit)
        lengths = [len(ids) for ids in encoded_all["input_ids"]]
        verdicts: list[Verdict | None] = [None] * len(texts)
        with torch.inference_mode():
            for group in length_groups(lengths, self.batch_size):
                encoded = self._tokenizer(
                    [texts[i] for i in group],
                    padding=True,
                    truncation=True,
                    max_length=self._limit,
                    return_tensors="pt",
                ).to(self._model.device)
                probabilities = torch.softmax(self._model(**encoded).logits.float(), dim=-1)
                for i, p_hate in zip(group, (probabilities @ self._hate_mask).tolist()):
                    verdicts[i] = Verdict.from_hate_probability(min(max(p_hate, 0.0), 1.0))
        return verdicts  # type: ignore[return-value]

    def _local_dir(self) -> Path | None:
        path = Path(self.source)
        return path if (path / "config.json").is_file() else None

    def _name(self) -> str:
        local = self._local_dir()
        name = local.resolve().name if local else self.source.replace("/", "--")
        return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "model"

    def _fingerprint(self) -> str:
        h = hashlib.sha256(repr(sorted((self.label_map or {}).items())).encode())
        local = self._local_dir()
        if local is not None:
            h.update((local / "config.json").read_bytes())
            for weights in sorted(local.glob("*.safetensors")) + sorted(local.glob("*.bin")):
                stat = weights.stat()
                h.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        else:
            config = self.load()._model.config
            h.update(config.to_json_string().encode())
            h.update(str(getattr(config, "_commit_hash", "")).encode())
        return h.hexdigest()
