"""Label-Studio-shaped request bodies for the ML backend, and a keyword stand-in classifier."""

from __future__ import annotations

from apeach_ls import label_config
from apeach_ls.labels import Verdict

CONFIG = label_config.load("generation")


class KeywordClassifier:
    version = "keyword-v1"

    def __init__(self):
        self.calls: list[list[str]] = []

    def classify(self, texts):
        self.calls.append(list(texts))
        return [Verdict("hate", 0.9) if "싫어" in t else Verdict("not_hate", 0.75) for t in texts]


def text_item(text, name="text"):
    return {
        "value": {"text": [text]},
        "id": "hR9iGu9IwN",
        "from_name": name,
        "to_name": "prompt",
        "type": "textarea",
        "origin": "manual",
    }


INTENT = {
    "value": {"choices": ["hate"]},
    "id": "N42",
    "from_name": "intent",
    "to_name": "prompt",
    "type": "choices",
    "origin": "manual",
}


def interactive(context, **extra):
    body = {
        "tasks": [{"id": 2, "annotations": [], "data": {"topic": "인종", "guideline": "..."}}],
        "project": "2.1795410492",
        "label_config": CONFIG,
        "params": {"login": None, "password": None, "context": {"result": context}},
    }
    body.update(extra)
    return body
