"""Fine-tune a transformers checkpoint into a hate / not_hate pseudo-classifier, on the CPU.

A plain torch loop: AdamW, linear learning-rate decay, gradient clipping, seeded shuffling
and initialization. The base is a Hugging Face id (from the local cache) or a directory; its
head is replaced by a fresh two-label one (``not_hate``, ``hate``) when it has another shape.
The loss on a fixed probe slice of the training data is measured before and after, with
dropout off, so a run can show that it learned something.

The saved directory is an ordinary ``save_pretrained`` checkpoint (``load_classifier(dir)``
serves it) plus ``apeach_model.json``: version, base, data file, examples, held-out scores.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import write_file, write_folder
from ..labels import HATE, NOT_HATE
from .checkpoint import _input_limit, load_pretrained
from .data import LabeledText
from .files import check_target
from .loading import HF_PREFIX

ID2LABEL = {0: NOT_HATE, 1: HATE}
INFO_FILE = "apeach_model.json"
PROBE_SIZE = 256  # training examples whose loss is compared before and after


@dataclass(frozen=True)
class FinetuneParams:
    epochs: int = 1
    batch_size: int = 16
    lr: float = 5e-5
    max_length: int = 128
    seed: int = 0
    weight_decay: float = 0.01


@dataclass
class Finetuned:
    model: Any  # the transformers model, in eval mode
    tokenizer: Any
    max_length: int  # tokens per sentence, capped at what the model takes
    probe: list[LabeledText]  # training examples whose loss is measured before and after
    losses: list[float] = field(default_factory=list)  # one per optimizer step
    probe_loss_before: float = 0.0
    probe_loss_after: float = 0.0


def steps_for(examples: int, params: FinetuneParams) -> int:
    return math.ceil(examples / params.batch_size) * params.epochs


def load_base(base: str) -> tuple[Any, Any]:
    """Tokenizer and a two-label model from ``base`` (``hf:`` prefix allowed)."""
    return load_pretrained(
        base.removeprefix(HF_PREFIX),
        "fine-tuning",
        f"the base checkpoint {base!r}",
        "; give a local save_pretrained directory or a Hugging Face id in the local cache",
        id2label=ID2LABEL,
        label2id={v: k for k, v in ID2LABEL.items()},
        ignore_mismatched_sizes=True,
    )


def finetune(
    base: str,
    examples: Sequence[LabeledText],
    params: FinetuneParams | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> Finetuned:
    """Load ``base`` and train it on ``examples``: :func:`prepare` then :func:`train`."""
    params = params or FinetuneParams()
    return train(prepare(base, examples, params), examples, params, on_step)


def prepare(base: str, examples: Sequence[LabeledText], params: FinetuneParams) -> Finetuned:
    """Load the base (its new head seeded) and measure the probe loss before training."""
    import torch

    if not examples:
        raise ValueError("nothing to fine-tune on: no examples")
    torch.manual_seed(params.seed)
    tokenizer, model = load_base(base)
    limit = _input_limit(params.max_length, tokenizer, model.config)  # tokens the model can take
    probe = random.Random(params.seed).sample(list(examples), min(PROBE_SIZE, len(examples)))
    return Finetuned(
        model, tokenizer, limit, probe, probe_loss_before=_mean_loss(model, tokenizer, probe, limit)
    )


def train(
    prepared: Finetuned,
    examples: Sequence[LabeledText],
    params: FinetuneParams,
    on_step: Callable[[int, float], None] | None = None,
) -> Finetuned:
    """AdamW over seeded shuffles; ``on_step(step, loss)`` after every optimizer step."""
    import torch

    model, tokenizer, limit, result = (
        prepared.model,
        prepared.tokenizer,
        prepared.max_length,
        prepared,
    )
    torch.manual_seed(params.seed + 1)  # dropout masks
    total = steps_for(len(examples), params)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=params.lr, weight_decay=params.weight_decay
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: max(0.0, 1.0 - step / total)
    )
    model.train()
    rng, order = random.Random(params.seed), list(range(len(examples)))
    for _ in range(params.epochs):
        rng.shuffle(order)
        for start in range(0, len(order), params.batch_size):
            batch = [examples[i] for i in order[start : start + params.batch_size]]
            loss = model(**_encode(tokenizer, batch, limit)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            result.losses.append(float(loss.item()))
            if on_step:
                on_step(len(result.losses), result.losses[-1])
    model.eval()
    result.probe_loss_after = _mean_loss(model, tokenizer, result.probe, limit)
    return result


def _encode(tokenizer: Any, batch: Sequence[LabeledText], max_length: int) -> dict[str, Any]:
    import torch

    encoded = tokenizer(
        [ex.text for ex in batch],
        padding=True,
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    encoded["labels"] = torch.tensor([1 if ex.label == HATE else 0 for ex in batch])
    return dict(encoded)


def _mean_loss(
    model: Any, tokenizer: Any, examples: Sequence[LabeledText], max_length: int
) -> float:
    import torch

    model.eval()
    total = 0.0
    with torch.inference_mode():
        for start in range(0, len(examples), 32):
            batch = examples[start : start + 32]
            total += float(model(**_encode(tokenizer, batch, max_length)).loss) * len(batch)
    return total / len(examples)


def weights_digest(model: Any) -> str:
    """SHA-256 of every tensor in the state dict, in name order: names a trained model."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def default_name(base: str, model: Any) -> str:
    """``<base name>-apeach-<weights hash>``, e.g. ``kcbert-base-apeach-3f2a9c01de``."""
    stem = Path(base.removeprefix(HF_PREFIX).rstrip("/")).name or "model"
    return f"{stem}-apeach-{weights_digest(model)[:10]}"


def save_finetuned(result: Finetuned, directory: str | Path, *, replace: bool = False) -> Path:
    """``save_pretrained`` model + tokenizer into ``directory``, written beside it and moved in
    at the end, so a half-written directory never looks like a checkpoint."""
    target = check_target(directory, replace)

    def save(staging: Path) -> None:
        result.model.save_pretrained(staging)
        result.tokenizer.save_pretrained(staging)

    write_folder(target, save, replace=True)
    return target


def write_info(directory: str | Path, info: dict[str, Any]) -> Path:
    path = Path(directory) / INFO_FILE
    write_file(path, json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    return path


def params_json(params: FinetuneParams) -> dict[str, Any]:
    return asdict(params)
