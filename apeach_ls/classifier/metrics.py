"""How well verdicts match gold labels: accuracy, per-class P/R/F1, macro-F1. Plain Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..labels import LABELS, Label


@dataclass(frozen=True)
class ClassScores:
    label: Label
    precision: float  # 0 when nothing was predicted as this label
    recall: float  # 0 when no gold example has this label
    f1: float
    support: int  # gold examples with this label


@dataclass(frozen=True)
class Scores:
    total: int
    accuracy: float
    macro_f1: float  # mean F1 over all labels, as sklearn's f1_score(average="macro")
    per_class: tuple[ClassScores, ...]
    confusion: tuple[tuple[int, ...], ...]  # confusion[gold][predicted], both in `labels` order
    labels: tuple[Label, ...] = LABELS

    def of(self, label: Label) -> ClassScores:
        return self.per_class[self.labels.index(label)]


def score(
    gold: Sequence[Label], predicted: Sequence[Label], labels: Sequence[Label] = LABELS
) -> Scores:
    """Compare two equally long label sequences; ValueError if empty, unequal or unknown labels."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise ValueError("nothing to score: no examples")
    labels = tuple(labels)
    position = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted):
        if g not in position or p not in position:
            raise ValueError(
                f"unknown label {g if g not in position else p!r}; expected one of {', '.join(labels)}"
            )
        confusion[position[g]][position[p]] += 1
    per_class = []
    for i, label in enumerate(labels):
        hits = confusion[i][i]
        support = sum(confusion[i])
        predicted_as = sum(row[i] for row in confusion)
        precision = hits / predicted_as if predicted_as else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append(ClassScores(label, precision, recall, f1, support))
    correct = sum(confusion[i][i] for i in range(len(labels)))
    return Scores(
        total=len(gold),
        accuracy=correct / len(gold),
        macro_f1=sum(c.f1 for c in per_class) / len(per_class),
        per_class=tuple(per_class),
        confusion=tuple(tuple(row) for row in confusion),
        labels=labels,
    )


def format_scores(scores: Scores) -> str:
    """A small plain-text report: accuracy, macro-F1, a per-class table and the confusion counts."""
    width = max(len("label"), *(len(label) for label in scores.labels))
    lines = [
        f"examples  {scores.total}",
        f"accuracy  {scores.accuracy:.4f}",
        f"macro-F1  {scores.macro_f1:.4f}",
        "",
        f"{'label':<{width}}  precision  recall  f1      support",
    ]
    for c in scores.per_class:
        lines.append(
            f"{c.label:<{width}}  {c.precision:<9.4f}  {c.recall:<6.4f}  {c.f1:<6.4f}  {c.support}"
        )
    corner = "gold \\ predicted"
    lines += ["", f"{corner:<{width + 9}}" + "".join(f"{label:>10}" for label in scores.labels)]
    for label, row in zip(scores.labels, scores.confusion):
        lines.append(f"{label:<{width + 9}}" + "".join(f"{n:>10}" for n in row))
    return "\n".join(lines)
