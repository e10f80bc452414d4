"""The verdict service: a pseudo-classifier speaking Label Studio's result format.

Knows nothing about HTTP. The routes in :mod:`apeach_ls.ml_backend.api` unpack requests and call it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from apeach_ls.classifier.base import PseudoClassifier
from apeach_ls.correction import (
    CorrectedSubmission,
    IncompleteSubmission,
    ReceiptContext,
    correct,
    extract_text,
)
from apeach_ls.errors import ConfigError
from apeach_ls.generation_config import (
    MAX_CONFIG_CHARS,
    ConfigTooLarge,
    GenerationTags,
    parse_generation_config,
)
from apeach_ls.labels import Verdict
from apeach_ls.receipts import ReceiptKey, sign
from apeach_ls.results import text_of

from .payloads import (
    BadPayload,
    PredictRequest,
    check_text,
    has_visible_character,
    is_id,
)

# the answer to the empty-context calls Label Studio makes after a submit (docs/label-studio.md §2)
NO_OP = {"result": []}
CONFIG_CACHE_SIZE = (
    256  # distinct labeling configs remembered, parsed or refused (least recently used go)
)


class VerdictService:
    """Verdicts with signed receipts (:mod:`apeach_ls.receipts`): ``key`` is the shared secret,
    ``clock`` the time a receipt carries (injectable for tests)."""

    def __init__(
        self,
        classifier: PseudoClassifier,
        key: ReceiptKey,
        max_text_chars: int = 1000,
        clock: Callable[[], float] = time.time,
        max_config_chars: int = MAX_CONFIG_CHARS,
    ):
        self.classifier = classifier
        self.key = key
        self.clock = clock
        self.max_text_chars = max_text_chars
        self.max_config_chars = max_config_chars
        self._tags_by_config: OrderedDict[str, GenerationTags | BadPayload] = OrderedDict()
        self._tags_by_project: dict[str, GenerationTags] = {}
        self._lock = threading.Lock()

    @property
    def model_version(self) -> str:
        return self.classifier.version

    # -- labeling configs -------------------------------------------------------------

    def tags_for_config(self, label_config: str) -> GenerationTags:
        """Parse once per distinct config (O(1) afterwards: /setup comes on every page load).

        A config over the size limit is refused before it is hashed; a config that does not
        parse is remembered as refused, so a repeat costs a hash, not another parse.
        """
        if len(label_config) > self.max_config_chars:
            raise BadPayload(
                f"Label config is {len(label_config)} characters; the limit is "
                f"{self.max_config_chars} (APEACH_ML_MAX_CONFIG_CHARS)",
                status=413,
            )
        key = hashlib.sha256(label_config.encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            known = self._tags_by_config.get(key)
            if known is not None:
                self._tags_by_config.move_to_end(key)
        if known is None:
            try:
                known = parse_generation_config(label_config, max_chars=self.max_config_chars)
            except ConfigTooLarge as exc:
                known = BadPayload(str(exc), status=413)
            except ConfigError as exc:
                known = BadPayload(str(exc), status=422)
            with self._lock:
                self._tags_by_config[key] = known
                while len(self._tags_by_config) > CONFIG_CACHE_SIZE:
                    self._tags_by_config.popitem(last=False)
        if isinstance(known, BadPayload):
            raise BadPayload(known.reason, known.status)
        return known

    def setup(self, project_id: str | None, label_config: str) -> str:
        tags = self.tags_for_config(label_config)
        if project_id is not None:
            with self._lock:
                self._tags_by_project[project_id] = tags
        return self.model_version

    def tags_for_request(self, project_id: str | None, label_config: str | None) -> GenerationTags:
        if label_config:
            return self.tags_for_config(label_config)
        if project_id is not None and project_id in self._tags_by_project:
            return self._tags_by_project[project_id]
        raise BadPayload(
            f"unknown project {project_id!r}: send 'label_config' or call /setup for it first",
            status=404,
        )

    # -- predictions ------------------------------------------------------------------

    def swap(self, classifier: PseudoClassifier) -> PseudoClassifier:
        """Serve ``classifier`` from now on; return the one it replaces.

        One reference assignment: a request in flight keeps the model it started with
        (each request reads ``self.classifier`` once), so no answer mixes two versions.
        """
        with self._lock:
            old, self.classifier = self.classifier, classifier
        return old

    def predict(self, request: PredictRequest) -> tuple[list[dict[str, Any]], str]:
        """Predictions and the model version that made them (one model per request)."""
        tags = self.tags_for_request(request.project_id, request.label_config)
        model = self.classifier
        project_id = int(request.project_id) if request.project_id is not None else None
        if request.context is not None:
            return [
                self._interactive(model, tags, request.context, project_id, request.tasks[0])
            ], model.version
        return self._batch(model, tags, request.tasks, project_id), model.version

    def _interactive(
        self,
        model: PseudoClassifier,
        tags: GenerationTags,
        context: Sequence[Mapping[str, Any]],
        project_id: int | None,
        task: Mapping[str, Any],
    ) -> dict[str, Any]:
        sentence = text_of(context, tags.text, "context.result")  # checked by parse_predict
        if sentence is None:  # e.g. the empty-context calls after a submit, or a click on a choice
            return dict(NO_OP)
        text = check_text(sentence, self.max_text_chars, "context.result")
        if project_id is None:
            raise BadPayload(
                "'project' is required for an interactive verdict (its receipt names the project)"
            )
        task_id = _task_id(task, "tasks[0]")
        verdict = model.classify([text])[0]
        prediction = self._prediction(
            model.version,
            tags,
            verdict,
            self._receipt(project_id, task_id, text, verdict, model.version),
        )
        # A new verdict asks for a new answer: an agreement ticked for an earlier verdict is cleared.
        prediction["result"].append(
            {
                "from_name": tags.agreement,
                "to_name": tags.object_name,
                "type": "choices",
                "value": {"choices": []},
            }
        )
        return prediction

    def _batch(
        self,
        model: PseudoClassifier,
        tags: GenerationTags,
        tasks: Sequence[Mapping[str, Any]],
        project_id: int | None,
    ) -> list[dict[str, Any]]:
        """One prediction per task: the verdict on the task's latest sentence, if any."""
        texts: list[str | None] = [self._latest_text(tags, t) for t in tasks]
        to_classify = [t for t in texts if t is not None]
        verdicts = iter(model.classify(to_classify)) if to_classify else iter(())
        predictions = []
        for task, text in zip(tasks, texts):
            if text is None:
                predictions.append({"result": [], "score": 0.0, "model_version": model.version})
                continue
            verdict = next(verdicts)
            task_id = task.get("id")
            receipt = (
                self._receipt(project_id, task_id, text, verdict, model.version)
                if project_id is not None and is_id(task_id)
                else None
            )
            predictions.append(self._prediction(model.version, tags, verdict, receipt))
        return predictions

    def _receipt(
        self, project_id: int, task_id: int, text: str, verdict: Verdict, version: str
    ) -> str:
        return sign(
            self.key,
            project_id=project_id,
            task_id=task_id,
            text=text,
            verdict=verdict,
            model_version=version,
            issued_at=int(self.clock()),
        )

    def _latest_text(self, tags: GenerationTags, task: Mapping[str, Any]) -> str | None:
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            return None
        for annotation in reversed(annotations):
            result = annotation.get("result") if isinstance(annotation, dict) else None
            if isinstance(result, list):
                text = extract_text(result, tags)
                if text and has_visible_character(text):
                    return text[: self.max_text_chars]
        return None

    def _prediction(
        self, version: str, tags: GenerationTags, verdict: Verdict, receipt: str | None
    ) -> dict[str, Any]:
        score = round(float(verdict.score), 4)
        result: list[dict[str, Any]] = [
            {
                "from_name": tags.verdict,
                "to_name": tags.object_name,
                "type": "choices",
                "value": {"choices": [verdict.label]},
                "score": score,
                "readonly": True,
            }
        ]
        if tags.verdict_score:
            result.append(
                {
                    "from_name": tags.verdict_score,
                    "to_name": tags.object_name,
                    "type": "textarea",
                    "value": {"text": [f"확신도 {score:.2f}"]},
                    "score": score,
                    "readonly": True,
                }
            )
        if receipt is not None and tags.receipt:
            result.append(
                {
                    "from_name": tags.receipt,
                    "to_name": tags.object_name,
                    "type": "textarea",
                    "value": {"text": [receipt]},
                    "readonly": True,
                }
            )
        return {"model_version": version, "score": score, "result": result}

    # -- annotations arriving through the webhook -------------------------------------

    def check(
        self,
        tags: GenerationTags,
        result: Sequence[Mapping[str, Any]],
        project_id: int | None,
        task_id: int | None,
    ) -> CorrectedSubmission:
        """Correct a stored annotation; its verdict counts only if its receipt verifies."""
        text = extract_text(result, tags)
        if text is None or not text.strip():
            raise BadPayload("annotation has no sentence to check", status=422)
        check_text(
            text, self.max_text_chars, "annotation"
        )  # the same limits as an interactive verdict
        context = (
            ReceiptContext(self.key, project_id, task_id)
            if project_id is not None and task_id is not None
            else None
        )
        try:
            return correct(result, tags, context)
        except IncompleteSubmission as exc:
            raise BadPayload(str(exc), status=422) from None


def _task_id(task: Mapping[str, Any], where: str) -> int:
    task_id = task.get("id")
    if not is_id(task_id):
        raise BadPayload(
            f"{where}: 'id' must be the task's integer id (its verdict's receipt names it)"
        )
    return task_id
