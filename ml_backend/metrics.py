"""``/metrics``: the backend in Prometheus's text format, summed over its gunicorn workers.

| metric | type | meaning |
|---|---|---|
| apeach_ml_requests_total{route,method,status} | counter | HTTP requests answered |
| apeach_ml_request_seconds{route} | histogram | time to answer, by route |
| apeach_ml_requests_in_flight | gauge | requests being answered now (all workers) |
| apeach_ml_verdicts_total{label} | counter | verdicts given, by label (hate / not_hate) |
| apeach_ml_batch_size | histogram | sentences per forward pass (a micro-batch, or one request's) |
| apeach_ml_batch_queue_depth | gauge | requests waiting for a micro-batch (all workers) |
| apeach_ml_model_info{version} | gauge | 1 for each model version a live worker serves |
| apeach_ml_retraining_rounds_total{outcome} | counter | the retrainer's rounds: published, kept (the candidate was worse), failed |
| apeach_ml_annotations_waiting | gauge | new annotations the retrainer has not trained on yet |

The last two are the campaign's (read from the shared submission log, see
:mod:`.events`), so every backend reports the same figures: aggregate them with ``max``, not
``sum``. They are present only when the backend serves a model registry.

Across gunicorn workers: ``prometheus_client``'s multiprocess mode. ``apeach-ls backend``
(:mod:`.gunicorn_hooks`) gives each gunicorn run a fresh directory in PROMETHEUS_MULTIPROC_DIR
before the workers start; each worker writes its figures there, and whichever worker answers
``/metrics`` sums them all. Without that directory (an app built in a test), the app's own
registry is reported. ``/metrics`` asks for the same Basic auth as every other route.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from apeach_ls.classifier.base import PseudoClassifier
from apeach_ls.labels import Verdict

from .batching import MicroBatcher

if TYPE_CHECKING:
    from .events import SubmissionLog

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024)
OUTCOMES = ("published", "kept", "failed")
# a request's method as a label: any other (a client may send any token) is "other", so no
# client, authenticated or not, can add label values without bound
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    return method if method in METHODS else "other"


class BackendMetrics:
    """One app's metrics; ``campaign`` (the shared submission log) adds the retrainer's figures."""

    def __init__(self, campaign: SubmissionLog | None = None):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "apeach_ml_requests",
            "HTTP requests answered, by route, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "apeach_ml_request_seconds",
            "Time to answer a request, by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "apeach_ml_requests_in_flight",
            "Requests being answered now",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.verdicts = Counter(
            "apeach_ml_verdicts", "Verdicts given, by label", ["label"], registry=r
        )
        self.batch_size = Histogram(
            "apeach_ml_batch_size",
            "Sentences per forward pass",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "apeach_ml_batch_queue_depth",
            "Requests waiting for a micro-batch",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.model = Gauge(
            "apeach_ml_model_info",
            "1 for each model version a live worker serves",
            ["version"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.campaign = CampaignCollector(campaign) if campaign is not None else None
        if self.campaign is not None:
            r.register(self.campaign)

    def serving(self, old: str | None, new: str) -> None:
        """The worker now serves ``new`` instead of ``old``."""
        if old is not None and old != new:
            self.model.labels(version=old).set(0)
        self.model.labels(version=new).set(1)

    def exposition(self) -> tuple[bytes, str]:
        """The text to answer ``/metrics`` with, and its content type."""
        directory = os.environ.get(MULTIPROCESS_DIR)
        if not directory:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        if self.campaign is not None:
            registry.register(self.campaign)
        return generate_latest(registry), CONTENT_TYPE_LATEST


class CampaignCollector:
    """The retrainer's figures, read from the shared submission log at each scrape."""

    def __init__(self, campaign: SubmissionLog):
        self.campaign = campaign

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration; read at scrape time only

    def collect(self) -> Iterator[Metric]:
        status = self.campaign.status()
        rounds = CounterMetricFamily(
            "apeach_ml_retraining_rounds",
            "The retrainer's rounds, by outcome (the campaign's: aggregate with max)",
            labels=["outcome"],
        )
        outcomes = status.get("outcomes") or {}
        for outcome in OUTCOMES:
            rounds.add_metric([outcome], float(outcomes.get(outcome, 0)))
        yield rounds
        yield GaugeMetricFamily(
            "apeach_ml_annotations_waiting",
            "New annotations the retrainer has not trained on yet",
            value=float(status.get("new_annotations", 0)),
        )


class ObservedClassifier:
    """A :class:`PseudoClassifier` that counts each call as one forward pass: its size, and
    the verdicts by label. Other attributes are the wrapped classifier's."""

    def __init__(self, classifier: PseudoClassifier, metrics: BackendMetrics):
        self.classifier, self.metrics = classifier, metrics

    @property
    def version(self) -> str:
        return self.classifier.version

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        verdicts = self.classifier.classify(texts)
        if texts:
            self.metrics.batch_size.observe(len(texts))
        for verdict in verdicts:
            self.metrics.verdicts.labels(label=verdict.label).inc()
        return verdicts

    def __getattr__(self, name: str) -> Any:
        return getattr(self.classifier, name)


def unwrapped(classifier: Any) -> Any:
    """The model itself, under the micro-batcher and the counting wrapper."""
    while isinstance(classifier, (ObservedClassifier, MicroBatcher)):
        classifier = classifier.classifier
    return classifier
