"""Scores by hand, against scikit-learn, and the printed table."""

from __future__ import annotations

import random

import pytest

from apeach_ls.classifier.metrics import format_scores, score

GOLD = ["hate", "hate", "hate", "not_hate", "not_hate"]
PREDICTED = ["hate", "hate", "not_hate", "hate", "not_hate"]


def test_scores_by_hand():
    s = score(GOLD, PREDICTED)
    assert s.total == 5 and s.accuracy == pytest.approx(3 / 5)
    hate, not_hate = s.of("hate"), s.of("not_hate")
    assert (hate.precision, hate.recall, hate.f1, hate.support) == pytest.approx(
        (2 / 3, 2 / 3, 2 / 3, 3)
    )
    assert (not_hate.precision, not_hate.recall, not_hate.f1, not_hate.support) == pytest.approx(
        (1 / 2, 1 / 2, 1 / 2, 2)
    )
    assert s.macro_f1 == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert s.confusion == ((2, 1), (1, 1))


def test_a_label_never_predicted_scores_zero_not_an_error():
    s = score(["hate", "not_hate"], ["hate", "hate"])
    assert s.of("not_hate").precision == 0.0 and s.of("not_hate").f1 == 0.0
    assert s.macro_f1 == pytest.approx((2 / 3 + 0) / 2)


def test_agrees_with_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(7)
    for _ in range(20):
        n = rng.randint(1, 60)
        gold = [rng.choice(["hate", "not_hate"]) for _ in range(n)]
        predicted = [rng.choice(["hate", "not_hate"]) for _ in range(n)]
        s = score(gold, predicted)
        labels = ["hate", "not_hate"]
        assert s.accuracy == pytest.approx(metrics.accuracy_score(gold, predicted))
        assert s.macro_f1 == pytest.approx(
            metrics.f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)
        )
        p, r, f, support = metrics.precision_recall_fscore_support(
            gold, predicted, labels=labels, zero_division=0
        )
        assert [c.precision for c in s.per_class] == pytest.approx(list(p))
        assert [c.recall for c in s.per_class] == pytest.approx(list(r))
        assert [c.f1 for c in s.per_class] == pytest.approx(list(f))
        assert [c.support for c in s.per_class] == list(support)
        assert [list(row) for row in s.confusion] == metrics.confusion_matrix(
            gold, predicted, labels=labels
        ).tolist()


@pytest.mark.parametrize(
    "gold, predicted, message",
    [
        ([], [], "nothing to score"),
        (["hate"], [], "1 gold labels but 0 predictions"),
        (["hate"], ["offensive"], "unknown label 'offensive'"),
    ],
)
def test_bad_input(gold, predicted, message):
    with pytest.raises(ValueError, match=message):
        score(gold, predicted)


def test_format_scores():
    assert format_scores(score(GOLD, PREDICTED)) == "\n".join(
        [
            "examples  5",
            "accuracy  0.6000",
            "macro-F1  0.5833",
            "",
            "label     precision  recall  f1      support",
            "hate      0.6667     0.6667  0.6667  3",
            "not_hate  0.5000     0.5000  0.5000  2",
            "",
            "gold \\ predicted       hate  not_hate",
            "hate                      2         1",
            "not_hate                  1         1",
        ]
    )
