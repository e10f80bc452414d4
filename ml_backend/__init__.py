"""The apeach-ls ML backend: Label Studio's ML backend protocol on a current Flask.

``create_app(settings, classifier)`` builds the app with its classifier injected, so tests
and ``apeach-ls up`` build their own; ``apeach_ls.ml_backend.wsgi:app`` is what gunicorn serves.
With ``APEACH_ML_QUANTIZE=int8`` a checkpoint model (loaded or injected) is served
int8-quantized (:meth:`CheckpointClassifier.int8`); n-gram models are served as they are.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from apeach_ls.classifier.base import PseudoClassifier
from apeach_ls.classifier.registry import ModelRegistry, is_registry
from apeach_ls.errors import ConfigError
from apeach_ls.receipts import ReceiptKey
from apeach_ls.settings import receipt_key_of

from .api import bp
from .auth import basic_auth_ok
from .batching import BatcherDown, MicroBatcher, Overloaded
from .events import SubmissionLog
from .payloads import BadPayload
from .settings import BackendSettings
from .verdicts import VerdictService

if TYPE_CHECKING:
    from .metrics import BackendMetrics
    from .retraining import CampaignLabels, Retrainer

log = logging.getLogger("apeach_ls.ml_backend")


def create_app(
    settings: BackendSettings | None = None, classifier: PseudoClassifier | None = None
) -> Flask:
    """The backend's app: verdicts, and (when APEACH_LS_MODEL is a model registry) the registry
    followed and webhooks written to the campaign's shared submission log. It never retrains:
    that is :func:`create_retrainer`'s process."""
    settings = settings or BackendSettings.from_env()
    key = receipt_key(settings)
    registry = None
    if classifier is None:
        if not settings.model_spec:
            raise ConfigError(
                "No classifier: set APEACH_LS_MODEL to a model directory or hf:<id or path> "
                "(train one with `apeach-ls classifier train`)"
            )
        from apeach_ls.classifier.loading import load_classifier, load_version

        if is_registry(settings.model_spec):
            registry = ModelRegistry(settings.model_spec)
            served_version = registry.current()
            classifier = load_version(registry, served_version)
        else:
            classifier = load_classifier(settings.model_spec)
    configure_torch_threads(settings, classifier)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["APEACH_SETTINGS"] = settings
    app.json.ensure_ascii = False  # Korean stays readable in responses

    # imported here, not at the top: gunicorn's master imports this package (for the worker
    # class) before its hook names the metrics directory, and prometheus_client picks its
    # multiprocess mode once, on import
    from .metrics import BackendMetrics, ObservedClassifier

    if registry is not None:
        from .retraining import ModelWatcher, events_of
    # with a registry, one log on its shared storage for every backend and the retrainer
    submissions = events_of(registry) if registry is not None else SubmissionLog()
    metrics = BackendMetrics(submissions if registry is not None else None)

    def wrap(model: PseudoClassifier) -> PseudoClassifier:
        if isinstance(model, MicroBatcher):  # injected as it is (a test's)
            return model
        model = quantized(settings, model)
        observed = ObservedClassifier(model, metrics)
        if wants_batching(settings, model):
            return MicroBatcher(
                observed, settings.max_batch, settings.max_queue, on_queue=metrics.queue_depth.set
            )
        return observed

    service = VerdictService(
        wrap(classifier), key, settings.max_text_chars, max_config_chars=settings.max_config_chars
    )
    metrics.serving(None, service.model_version)
    app.extensions["apeach_verdicts"] = service
    app.extensions["apeach_submissions"] = submissions
    app.extensions["apeach_metrics"] = metrics
    app.register_blueprint(bp)
    count_requests(app, metrics)  # first: refused and failed requests are counted too
    if settings.auth_required:

        @app.before_request
        def require_basic_auth() -> Response | None:
            if basic_auth_ok(
                request.headers.get("Authorization"),
                settings.basic_auth_user or "",
                settings.basic_auth_password or "",
            ):
                return None
            response = jsonify(
                error="authentication required: HTTP Basic credentials are missing or wrong"
            )
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Basic realm="apeach-ls"'
            return response

    if registry is not None and not settings.auth_required:
        log.warning(
            "no Basic auth: anyone who reaches this port can send /webhook events, which are "
            "recorded in %s; set BASIC_AUTH_USER and BASIC_AUTH_PASS",
            submissions.path,
        )
    if registry is not None:
        watcher = ModelWatcher(service, registry, wrap, served_version, on_swap=metrics.serving)
        app.extensions["apeach_watcher"] = watcher

        @app.before_request
        def follow_registry() -> None:
            watcher.check()  # after auth; a stat at most once a second; swaps when `current` moved

    @app.errorhandler(BadPayload)
    def bad_payload(exc: BadPayload):
        log.info("%s %s -> %s: %s", request.method, request.path, exc.status, exc.reason)
        return jsonify(error=exc.reason), exc.status

    @app.errorhandler(Overloaded)
    def overloaded(exc: Overloaded):
        response = jsonify(error=f"the ML backend is busy ({exc}); retry shortly")
        response.status_code = 503
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(sqlite3.OperationalError)
    def events_unavailable(exc: sqlite3.OperationalError):  # locked, read-only, disk full
        log.error("%s %s: the campaign's event log: %s", request.method, request.path, exc)
        response = jsonify(error="the campaign's event log is busy or not writable; retry later")
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(BatcherDown)
    def batcher_down(exc: BatcherDown):
        log.error("verdict refused: %s", exc)
        return jsonify(error=f"the ML backend cannot classify: {exc}"), 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=exc.description or exc.name), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # never a traceback in a body; the log keeps the type only
        log.error(
            "%s %s failed: %s", request.method, request.path, type(exc).__name__, exc_info=exc
        )
        return jsonify(error="internal error in the ML backend; see its log"), 500

    return app


def count_requests(app: Flask, metrics: BackendMetrics) -> None:
    """Requests by route and status, their latency, and those in flight."""
    from .metrics import method_label

    @app.before_request
    def started() -> None:
        g.apeach_started = time.perf_counter()
        metrics.in_flight.inc()

    @app.after_request
    def answered(response: Response) -> Response:
        started = g.get("apeach_started")
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        metrics.requests.labels(
            route, method_label(request.method), str(response.status_code)
        ).inc()
        if started is not None:
            metrics.latency.labels(route).observe(time.perf_counter() - started)
        return response

    @app.teardown_request
    def finished(exc: BaseException | None) -> None:
        if g.pop("apeach_started", None) is not None:
            metrics.in_flight.dec()


def create_retrainer(
    settings: BackendSettings | None = None, campaign_labels: CampaignLabels | None = None
) -> Retrainer:
    """The campaign's one retrainer (``apeach-ls backend --retrainer``), on the registry that
    APEACH_LS_MODEL names. ``campaign_labels``: where it reads the campaign's verified labels
    (default: Label Studio at LABEL_STUDIO_URL with LABEL_STUDIO_API_KEY)."""
    from .retraining import LabelStudioLabels, Retrainer, events_of

    settings = settings or BackendSettings.from_env()
    key = receipt_key(settings)
    if not settings.model_spec or not is_registry(settings.model_spec):
        raise ConfigError(
            "the retrainer needs APEACH_LS_MODEL (or MODEL_DIR) to name a model registry, a "
            f"folder with versions/ (got {settings.model_spec or 'nothing'}); create one with "
            "`apeach-ls models publish MODEL_DIR --registry DIR`"
        )
    registry = ModelRegistry(settings.model_spec)
    if registry.current() is None:  # say so now, not at every round
        raise ConfigError(
            f"model registry {registry.root} has no current version; publish one with "
            f"`apeach-ls models publish MODEL_DIR --registry {registry.root}`"
        )
    if campaign_labels is None and settings.label_studio_url and settings.label_studio_api_key:
        campaign_labels = LabelStudioLabels(
            settings.label_studio_url, settings.label_studio_api_key, key
        )
    return Retrainer(
        registry,
        events_of(registry),
        campaign_labels,
        every=settings.retrain_every,
        base_data=settings.base_train_data,
        holdout_data=settings.holdout_data,
    )


def receipt_key(settings: BackendSettings) -> ReceiptKey:
    """The key every verdict is signed with; the CLI checks the receipts with the same secret."""
    return receipt_key_of(
        settings.verdict_secret, "; the commands that read submissions need the same one."
    )


def wants_batching(settings: BackendSettings, classifier: PseudoClassifier) -> bool:
    """auto: batch the models whose forward pass costs more than the HTTP round trip."""
    if settings.batching == "auto":
        return bool(getattr(classifier, "prefers_batching", False))
    return settings.batching == "on"


def quantized(settings: BackendSettings, classifier: PseudoClassifier) -> PseudoClassifier:
    """APEACH_ML_QUANTIZE=int8: a checkpoint model's int8 twin; other models as they are."""
    int8 = getattr(classifier, "int8", None)
    if settings.quantize == "int8" and callable(int8):
        return int8()
    return classifier


def configure_torch_threads(settings: BackendSettings, classifier: PseudoClassifier) -> None:
    """Checkpoint models: intra-op threads = cores / gunicorn workers, unless set."""
    if not getattr(classifier, "prefers_batching", False):
        return
    import os

    try:
        import torch
    except ImportError:
        return
    workers = int(os.environ.get("WEB_CONCURRENCY", "1") or 1)
    torch.set_num_threads(
        settings.torch_threads or max(1, (os.cpu_count() or 1) // max(1, workers))
    )
