"""Live model updates: follow the model registry, and retrain from the campaign's labels.

* :class:`ModelWatcher` follows the registry's ``current`` version (a stat at most once a
  second, from the request path) and swaps the served model in one reference assignment.
* :class:`Retrainer` retrains the default n-gram model in a background thread, on
  START_TRAINING from Label Studio and after every N new annotations. Webhook events are
  only a trigger: the campaign's corrected labels are read from Label Studio itself
  (:class:`LabelStudioLabels`, with the backend's own token), and only submissions whose
  verdict receipt verifies count. The training data is the base file (e.g. BEEP! train)
  plus those labels; the candidate is evaluated on a held-out slice (the holdout file plus
  a fixed fifth of the campaign's labels, chosen by annotation id) and published only if it
  is not worse than the model being served. Requests that arrive while it trains are never
  blocked.

With several gunicorn workers, each counts the annotations it receives; whichever trains
publishes to the shared registry, and every worker follows ``current``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apeach_ls.classifier.base import PseudoClassifier
from apeach_ls.classifier.data import LabeledText, read_labeled
from apeach_ls.classifier.loading import load_version
from apeach_ls.classifier.metrics import score
from apeach_ls.classifier.ngram import save_ngram, train_ngram
from apeach_ls.classifier.registry import ModelRegistry
from apeach_ls.errors import ApeachError
from apeach_ls.labels import Label
from apeach_ls.receipts import ReceiptKey

from .batching import MicroBatcher
from .model import VerdictService

log = logging.getLogger("apeach_ls.ml_backend")


class ModelWatcher:
    def __init__(
        self,
        service: VerdictService,
        registry: ModelRegistry,
        wrap: Callable[[PseudoClassifier], PseudoClassifier],
        version: str | None,
        interval: float = 1.0,
    ):
        """``version``: the registry version ``service`` serves now."""
        self.service, self.registry, self.wrap, self.interval = service, registry, wrap, interval
        self.version = version
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def check(self, force: bool = False) -> bool:
        """Swap in the registry's current version if it changed; True if it did."""
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return False
        with self._lock:
            self._checked = now
            wanted = self.registry.current()
            if wanted is None or wanted == self.version:
                return False
            model = self.wrap(load_version(self.registry, wanted))
            old = self.service.swap(model)
            self.version = wanted
        if isinstance(old, MicroBatcher):
            old.close()
        log.info("now serving model %s", wanted)
        return True


@dataclass(frozen=True)
class RetrainResult:
    reason: str
    candidate: str
    served_before: str
    f1_candidate: float
    f1_served: float
    published: bool
    examples: int
    held_out: int
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class CampaignLabel:
    """One writer's sentence with its corrected label, read from Label Studio."""

    annotation_id: int
    text: str
    label: Label


CampaignLabels = Callable[[], list[CampaignLabel]]


class LabelStudioLabels:
    """The campaign's verified corrected labels, read through the Label Studio API.

    Every generation project the token can see is read (a receipt names its project and task,
    so a verdict cannot be moved from one project to another); a submission counts only when
    its verdict receipt verifies, so a forged or edited verdict never trains the model.
    """

    def __init__(self, url: str, api_key: str, key: ReceiptKey):
        self.url, self._api_key, self.key = url, api_key, key

    def __repr__(self) -> str:
        return f"LabelStudioLabels(url={self.url!r})"

    def __call__(self) -> list[CampaignLabel]:
        from apeach_ls.generation_config import parse_generation_config
        from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
        from apeach_ls.labelstudio.submissions import project_submissions

        client = connect(LabelStudioSettings(url=self.url, api_key=self._api_key))
        labels: list[CampaignLabel] = []
        for project in client.projects.list(page_size=100):
            try:
                tags = parse_generation_config(project.label_config or "")
            except ApeachError:
                continue  # not a generation project
            for s in project_submissions(client, int(project.id), tags, self.key):
                if s.corrected.receipt is not None and s.corrected.label is not None:
                    labels.append(
                        CampaignLabel(s.annotation_id, s.corrected.text, s.corrected.label)
                    )
        return labels


def held_out(annotation_id: int) -> bool:
    """A fixed fifth of the campaign's labels, chosen by id, never trains a candidate."""
    return annotation_id % 5 == 0


class Retrainer:
    def __init__(
        self,
        service: VerdictService,
        watcher: ModelWatcher,
        campaign_labels: CampaignLabels | None,
        every: int = 0,
        base_data: Path | str | None = None,
        holdout_data: Path | str | None = None,
        tolerance: float = 0.0,
    ):
        """``campaign_labels``: where the campaign's verified labels come from (None: base data only)."""
        self.service, self.watcher, self.campaign_labels = service, watcher, campaign_labels
        self.every, self.tolerance = every, tolerance
        self.base = read_labeled(base_data) if base_data else []
        self.holdout = read_labeled(holdout_data) if holdout_data else []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apeach-retrain")
        self._lock = threading.Lock()
        self._running = self._again = False
        self._new_since_training = 0
        self.last: RetrainResult | None = None
        self.last_error: str | None = None

    def status(self) -> dict[str, Any]:
        state = {
            "running": self._running,
            "new_annotations": self._new_since_training,
            "every": self.every,
        }
        if self.last is not None:
            state["last"] = self.last.__dict__
        if self.last_error:
            state["last_error"] = self.last_error
        return state

    def annotation_counted(self) -> None:
        """A new annotation (each id counts once, whatever the retries): maybe retrain."""
        with self._lock:
            self._new_since_training += 1
            due = self.every and self._new_since_training >= self.every
        if due:
            self.request(f"{self.every} new annotations")

    def request(self, reason: str) -> None:
        with self._lock:
            if self._running:
                self._again = True  # one more round after this one, with the newest labels
                return
            self._running = True
            self._new_since_training = 0
        self._executor.submit(self._run, reason)

    def _run(self, reason: str) -> None:
        try:
            self.last = self.train_once(reason)
            self.last_error = None
        except Exception as exc:  # recorded for /health; the served model is untouched
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("retraining failed: %s", self.last_error)
        finally:
            with self._lock:
                self._running, again = False, self._again
                self._again = False
        if again:
            self.request("labels arrived during training")

    def campaign_examples(self) -> tuple[list[LabeledText], list[LabeledText]]:
        train: list[LabeledText] = []
        held: list[LabeledText] = []
        for item in self.campaign_labels() if self.campaign_labels is not None else []:
            (held if held_out(item.annotation_id) else train).append(
                LabeledText(item.text, item.label)
            )
        return train, held

    def holdout_slice(self) -> list[LabeledText]:
        """What a candidate is judged on: the holdout file plus the campaign's held-out fifth."""
        return self.holdout + self.campaign_examples()[1]

    def train_once(self, reason: str) -> RetrainResult:
        started = time.perf_counter()
        campaign_train, campaign_held = self.campaign_examples()
        examples = self.base + campaign_train
        holdout = self.holdout + campaign_held
        served = self.service.classifier
        if not holdout:
            raise ValueError("no held-out data to evaluate a candidate: set APEACH_ML_HOLDOUT_DATA")
        candidate = train_ngram(examples)
        gold = [ex.label for ex in holdout]
        texts = [ex.text for ex in holdout]
        f1_new = score(gold, [v.label for v in candidate.classify(texts)]).macro_f1
        f1_old = score(gold, [v.label for v in served.classify(texts)]).macro_f1
        published = False
        note = "worse than the served model: kept the served one"
        if f1_new + self.tolerance >= f1_old:
            published = self.watcher.registry.publish(
                candidate.version,
                lambda d: save_ngram(
                    candidate, d, info={"trained_on": reason, "examples": len(examples)}
                ),
                reason=f"retrained ({reason}): macro-F1 {f1_new:.4f} vs {f1_old:.4f}",
            )
            note = (
                "published"
                if published
                else "not published: a version is pinned, or it is the same model"
            )
            self.watcher.check(force=True)
        result = RetrainResult(
            reason,
            candidate.version,
            served.version,
            round(f1_new, 4),
            round(f1_old, 4),
            published,
            len(examples),
            len(holdout),
            round(time.perf_counter() - started, 2),
            note,
        )
        log.info(
            "retraining (%s): candidate %s F1 %.4f vs served %s F1 %.4f: %s",
            reason,
            candidate.version,
            f1_new,
            served.version,
            f1_old,
            note,
        )
        return result
