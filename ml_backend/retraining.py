"""Live model updates: follow the model registry, and retrain from the campaign's labels.

* :class:`ModelWatcher` (in every backend worker) follows the registry's ``current`` version
  (a stat at most once a second, from the request path) and swaps the served model in one
  reference assignment. The new model is loaded by one request while the others go on with
  the old one, so no request waits for, or fails during, a swap.
* :class:`Retrainer` runs once per campaign, as its own process (``apeach-ls backend
  --retrainer``), never inside a backend worker. It follows the campaign's
  :class:`~apeach_ls.ml_backend.events.SubmissionLog` on the registry's shared storage: a
  START_TRAINING, or every N new annotations, that reached *any* backend starts one round.
  Webhook events are only a trigger: the campaign's corrected labels are read from Label
  Studio itself (:class:`LabelStudioLabels`, with the retrainer's own token), and only
  submissions whose verdict receipt verifies count. The training data is the base file
  (e.g. BEEP! train) plus those labels; the candidate is evaluated on a held-out slice (the
  holdout file plus a fixed fifth of the campaign's labels, chosen by annotation id) and
  published to the registry only if it is not worse than the current version. Every backend
  then swaps it in by itself.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from apeach_ls.classifier.base import PseudoClassifier
from apeach_ls.classifier.data import LabeledText, read_labeled
from apeach_ls.classifier.loading import load_version
from apeach_ls.classifier.metrics import score
from apeach_ls.classifier.ngram import save_ngram, train_ngram
from apeach_ls.classifier.registry import ModelRegistry
from apeach_ls.errors import ApeachError, ConfigError
from apeach_ls.labels import Label
from apeach_ls.receipts import ReceiptKey

from .batching import MicroBatcher
from .events import EVENTS_FILE, Pending, SubmissionLog
from .verdicts import VerdictService

log = logging.getLogger("apeach_ls.ml_backend")
LOCK_FILE = "retrainer.lock"


class ModelWatcher:
    def __init__(
        self,
        service: VerdictService,
        registry: ModelRegistry,
        wrap: Callable[[PseudoClassifier], PseudoClassifier],
        version: str | None,
        interval: float = 1.0,
        on_swap: Callable[[str | None, str], None] | None = None,
    ):
        """``version``: the registry version ``service`` serves now; ``on_swap(old, new)`` is
        told of every swap (the metrics)."""
        self.service, self.registry, self.wrap, self.interval = service, registry, wrap, interval
        self.version = version
        self.on_swap = on_swap
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def check(self, force: bool = False) -> bool:
        """Swap in the registry's current version if it changed; True if it did. While one
        request loads a new version, the others do not wait: they are answered by the old one."""
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return False
        if not self._lock.acquire(blocking=force):
            return False
        try:
            self._checked = now
            wanted = self.registry.current()
            if wanted is None or wanted == self.version:
                return False
            model = self.wrap(load_version(self.registry, wanted))
            old = self.service.swap(model)
            previous, self.version = self.version, wanted
        finally:
            self._lock.release()
        if isinstance(old, MicroBatcher):
            old.close()
        if self.on_swap is not None:
            self.on_swap(previous, wanted)
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
                        CampaignLabel(s.submission_id, s.corrected.text, s.corrected.label)
                    )
        return labels


def held_out(annotation_id: int) -> bool:
    """A fixed fifth of the campaign's labels, chosen by id, never trains a candidate."""
    return annotation_id % 5 == 0


class Retrainer:
    """One round at a time, from what :meth:`SubmissionLog.pending` says reached the backends."""

    def __init__(
        self,
        registry: ModelRegistry,
        events: SubmissionLog,
        campaign_labels: CampaignLabels | None,
        every: int = 0,
        base_data: Path | str | None = None,
        holdout_data: Path | str | None = None,
        tolerance: float = 0.0,
        min_gap: float = 0.0,
    ):
        """``campaign_labels``: where the campaign's verified labels come from (None: base data
        only). ``min_gap``: seconds between the end of a round and the start of the next, so
        that a stream of START_TRAININGs or of (forged) new annotation ids, which anyone who
        can reach a backend's /webhook can send, costs at most one round per gap; what
        arrives meanwhile waits, it is not lost."""
        self.registry, self.events, self.campaign_labels = registry, events, campaign_labels
        self.every, self.tolerance, self.min_gap = every, tolerance, min_gap
        self._rested_from: float | None = None  # time.monotonic() at the end of the last round
        self.base = read_labeled(base_data) if base_data else []
        self.holdout = read_labeled(holdout_data) if holdout_data else []
        self.last: RetrainResult | None = None
        self.last_error: str | None = None
        self.outcomes = {"published": 0, "kept": 0, "failed": 0}

    def due(self) -> tuple[str | None, Pending]:
        """The reason for a round now (None: nothing to do) and what it consumes."""
        pending = self.events.pending()
        if pending.requests:
            return pending.requests[0], pending
        if self.every and pending.new_annotations >= self.every:
            return f"{pending.new_annotations} new annotations", pending
        return None, pending

    def poll_once(self) -> RetrainResult | None:
        """Run one round if one is due; its result (None: none was due, or it failed)."""
        if self.resting():
            return None
        reason, pending = self.due()
        if reason is None:
            return None
        # consumed first: what arrives while this round trains counts towards the next one
        self.events.consume(pending)
        self._publish_status(running=True)
        try:
            self.last = self.train_once(reason)
            self.last_error = None
            self.outcomes["published" if self.last.published else "kept"] += 1
        except Exception as exc:  # recorded for /health; the served model is untouched
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.outcomes["failed"] += 1
            log.error("retraining failed: %s", self.last_error)
        self._publish_status(running=False)
        self._rested_from = time.monotonic()
        return self.last if self.last_error is None else None

    def resting(self) -> bool:
        """True within ``min_gap`` seconds of the last round's end."""
        return self._rested_from is not None and time.monotonic() - self._rested_from < self.min_gap

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Poll until ``stop`` is set (a round in progress is finished first)."""
        self._publish_status(running=False)
        while not stop.is_set():
            self.poll_once()
            stop.wait(interval)

    def _publish_status(self, running: bool) -> None:
        status: dict[str, Any] = {
            "running": running,
            "every": self.every,
            "outcomes": dict(self.outcomes),
            "retrainer_pid": os.getpid(),
            "at": time.time(),
        }
        if self.last is not None:
            status["last"] = self.last.__dict__
        if self.last_error:
            status["last_error"] = self.last_error
        self.events.write_status(status)

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
        served_version = self.registry.current()
        served = load_version(self.registry, served_version)
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
            published = self.registry.publish(
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
        result = RetrainResult(
            reason,
            candidate.version,
            served_version,
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
            served_version,
            f1_old,
            note,
        )
        return result


def events_of(registry: ModelRegistry) -> SubmissionLog:
    """The campaign's shared submission log, beside the registry it trains for."""
    return SubmissionLog(registry.root / EVENTS_FILE)


class RetrainerLock:
    """At most one retrainer per registry: an exclusive lock on ``<registry>/retrainer.lock``,
    released by the kernel when the process ends, however it ends."""

    def __init__(self, registry: ModelRegistry):
        self.path = registry.root / LOCK_FILE
        self._handle: IO[str] | None = None

    def __enter__(self) -> RetrainerLock:
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise ConfigError(
                f"another retrainer (pid {holder}) already runs for the registry "
                f"{self.path.parent}; run one per campaign"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()  # closing releases the lock
