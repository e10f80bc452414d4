"""Routes of the Label Studio ML backend protocol: /health, /setup, /predict, /webhook; and /metrics.

Thin: each route unpacks JSON, calls the :class:`~apeach_ls.ml_backend.verdicts.VerdictService`, and
packs the answer in Label Studio's wire format.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, request

from apeach_ls.timestamps import parse_time

from .batching import MicroBatcher
from .events import SubmissionLog
from .payloads import (
    BadPayload,
    check_result,
    is_id,
    parse_json,
    parse_predict,
    project_id_of,
    require_object,
    webhook_project_id,
)
from .verdicts import VerdictService

if TYPE_CHECKING:
    from .metrics import BackendMetrics
    from .retraining import ModelWatcher

bp = Blueprint("ml_backend", __name__)
log = logging.getLogger("apeach_ls.ml_backend")

TRAINING_EVENTS = {"START_TRAINING"}
ANNOTATION_EVENTS = {"ANNOTATION_CREATED", "ANNOTATION_UPDATED"}
DELETION_EVENTS = {"ANNOTATIONS_DELETED"}  # any other event is acknowledged and ignored


def _service() -> VerdictService:
    return current_app.extensions["apeach_verdicts"]


def _log() -> SubmissionLog:
    return current_app.extensions["apeach_submissions"]


def _watcher() -> ModelWatcher | None:
    """The registry follower; None unless APEACH_LS_MODEL is a model registry (then the
    submission log is the campaign's shared one, which the retrainer process follows)."""
    return current_app.extensions.get("apeach_watcher")


def _json_body() -> Any:
    if not request.is_json:
        raise BadPayload("the body must be JSON (Content-Type: application/json)")
    return parse_json(request.get_data(cache=False))


@bp.get("/health")
@bp.get("/")
def health():
    model = _service().classifier
    extra: dict[str, Any] = {}
    if _watcher() is not None:
        try:
            extra["training"] = _log().status()  # the retrainer's, from the shared storage
        except sqlite3.Error as exc:  # verdicts do not need it: the backend is still UP
            log.warning("the campaign's event log cannot be read: %s", exc)
            extra["training"] = {"error": "the campaign's event log cannot be read now"}
    from .metrics import unwrapped

    inner = unwrapped(model)
    if isinstance(model, MicroBatcher):
        if model.death is not None:
            return jsonify(status="DOWN", reason=model.death, model_version=model.version), 503
        extra.update(
            batching=True, batch_passes=model.batches, batched_sentences=model.batched_texts
        )
    torch = sys.modules.get("torch")
    if torch is not None and getattr(inner, "prefers_batching", False):
        extra["torch_threads"] = torch.get_num_threads()  # cores / workers, unless set
    return jsonify(
        status="UP", model_class=type(inner).__name__, model_version=model.version, **extra
    )


@bp.get("/metrics")
def metrics():
    """Prometheus's text format, summed over the gunicorn workers (see :mod:`.metrics`)."""
    metrics: BackendMetrics = current_app.extensions["apeach_metrics"]
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


@bp.post("/setup")
def setup():
    body = require_object(_json_body())
    schema = body.get("schema")
    if not isinstance(schema, str) or not schema.strip():
        raise BadPayload("'schema' must be the project's labeling config (XML)")
    version = _service().setup(project_id_of(body.get("project")), schema)
    return jsonify(model_version=version)


@bp.post("/predict")
def predict():
    service = _service()
    predict_request = parse_predict(_json_body(), current_app.config["APEACH_SETTINGS"].max_tasks)
    results, version = service.predict(predict_request)
    return jsonify(results=results, model_version=version)


@bp.post("/webhook")
def webhook():
    body = require_object(_json_body())
    action = body.get("action")
    if not isinstance(action, str) or not action:
        raise BadPayload("'action' must name the event, e.g. ANNOTATION_CREATED")
    project_id = webhook_project_id(body)
    if action in TRAINING_EVENTS:
        if _watcher() is None:
            return jsonify(
                status="ignored",
                action=action,
                reason="retraining is off (APEACH_LS_MODEL is not a model registry)",
                model_version=_service().model_version,
            )
        log.info("training requested by Label Studio (project %s)", project_id)
        # the retrainer process takes it from there; one already waiting covers this one
        _log().request_training("START_TRAINING")
        return jsonify(status="training", action=action, model_version=_service().model_version)
    if action in DELETION_EVENTS:
        deleted = body.get("annotations")
        if not isinstance(deleted, list):
            raise BadPayload("'annotations' must be a list of {id} objects")
        ids = [a.get("id") for a in deleted if isinstance(a, dict)]
        if not ids or not all(is_id(i) for i in ids):
            raise BadPayload("'annotations' must be a list of objects with an integer 'id'")
        max_ids = current_app.config["APEACH_SETTINGS"].max_tasks
        if len(ids) > max_ids:
            raise BadPayload(
                f"too many annotations in one event ({len(ids)} > {max_ids})", status=413
            )
        _log().delete(*ids)  # one transaction, however many ids
        return jsonify(status="ok", action=action, deleted=ids)
    if action in ANNOTATION_EVENTS:
        return jsonify(_annotation_event(action, body, project_id))
    return jsonify(status="ignored", action=action)


def _int_field(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if not is_id(value):
        raise BadPayload(f"'{where}' must be an integer id")
    return value


def _annotation_event(action: str, body: dict, project_id: int | None) -> dict[str, Any]:
    """Check the annotation's verdict receipt and count it; nothing in the body is kept as data."""
    annotation = body.get("annotation")
    if not isinstance(annotation, dict):
        raise BadPayload("'annotation' must be an object")
    annotation_id = annotation.get("id")
    if not is_id(annotation_id):
        raise BadPayload("'annotation.id' must be an integer")
    result = check_result(annotation.get("result"), "annotation.result")
    label_config = (body.get("project") or {}).get("label_config")
    task_id = _int_field(annotation.get("task"), "annotation.task")
    if annotation.get("was_cancelled"):
        return {"status": "ignored", "action": action, "reason": "skipped task"}
    tags = _service().tags_for_request(
        str(project_id) if project_id is not None else None,
        label_config if isinstance(label_config, str) else None,
    )
    checked = _service().check(tags, result, project_id, task_id)
    # counted once per campaign, whichever backend got it; the retrainer counts the new ones
    outcome = _log().record(annotation_id, parse_time(annotation.get("updated_at")))
    log.info(
        "annotation %s: label=%s fooled=%s flags=%s",
        annotation_id,
        checked.label,
        checked.fooled,
        ",".join(sorted(f.value for f in checked.flags)) or "-",
    )
    return {
        "status": "ok" if outcome != "stale" else "duplicate",
        "action": action,
        "annotation": annotation_id,
        "label": checked.label,
        "fooled": checked.fooled,
        "flags": sorted(f.value for f in checked.flags),
    }
