"""Prometheus metrics: `GET /metrics` in Prometheus' text format, keyed like /api when keys are set.

Counted: requests by route (the URL rule, so `/context?passage=…` is one series) and status, the
whole request's latency, the retrieval and reading stages of each question (`observe`), questions
answered and abstained, admission refusals (429s from `web.admission`) and feedback stored. The
index version and passage count per collection are read at scrape time (the default collection's
from the scraping worker, the others' from their index roots), for the collections the key may read.

Under `ragqa serve` every gunicorn worker is its own process: each server start has a fresh
PROMETHEUS_MULTIPROC_DIR (`multiprocess_folder`), each worker's prometheus-client writes its counts to
files there, and whichever worker answers a scrape adds up all of them, those of workers since exited
included.
Without that variable (tests, an app embedded in another) each app counts in a registry of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, g, request, request_started

from web.admission import Overloaded

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from qa.pipeline import Result, SearchResult

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
EXTENSION = "ragqa.metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FEEDBACK_ENDPOINTS = frozenset({"feedback.submit_json", "feedback.submit_form"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: a question takes tens of milliseconds to seconds; a health check well under one.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

bp = Blueprint("metrics", __name__)


class Metrics:
    """This app's counters and histograms (in the multiprocess directory's files when it has one)."""

    def __init__(self, directory: str | None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.directory = directory
        # In multiprocess mode the values live in the directory's files; a scrape reads them, not a registry.
        self.registry: CollectorRegistry | None = None if directory else CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "ragqa_http_requests",
            "HTTP requests answered, by route and status",
            ["method", "route", "status"],
            registry=reg,
        )
        self.request_seconds = Histogram(
            "ragqa_http_request_duration_seconds", "Seconds to answer a request", ["route"], registry=reg,
            buckets=REQUEST_BUCKETS,
        )  # fmt: skip
        self.retrieval_seconds = Histogram(
            "ragqa_retrieval_duration_seconds", "Seconds a question or search spent retrieving passages",
            ["collection"], registry=reg, buckets=STAGE_BUCKETS,
        )  # fmt: skip
        self.reading_seconds = Histogram(
            "ragqa_reading_duration_seconds", "Seconds a question spent reading its answer from the passages",
            ["collection"], registry=reg, buckets=STAGE_BUCKETS,
        )  # fmt: skip
        self.questions = Counter(
            "ragqa_questions", "Questions asked, by outcome: answered, or abstained (no answer found)",
            ["collection", "outcome"], registry=reg,
        )  # fmt: skip
        self.refusals = Counter(
            "ragqa_admission_refusals", "Questions and searches refused with 429 (the worker's queue full)",
            ["route"], registry=reg,
        )  # fmt: skip
        self.feedback = Counter("ragqa_feedback_stored", "Feedback submissions stored", registry=reg)

    def exposition(self) -> bytes:
        """Every count, in Prometheus' text format, followed by the indexes this request may see."""
        from prometheus_client import CollectorRegistry, generate_latest

        counted = self.registry
        if counted is None:
            from prometheus_client.multiprocess import MultiProcessCollector

            counted = CollectorRegistry()
            MultiProcessCollector(counted, path=self.directory)
        indexes = CollectorRegistry(auto_describe=True)
        indexes.register(_Indexes())
        return generate_latest(counted) + generate_latest(indexes)


class _Indexes:
    """The collector of what the scraping worker serves: index version and passages per collection."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        info = GaugeMetricFamily(
            "ragqa_index_info", "The index version served, per collection", labels=["collection", "version"]
        )
        passages = GaugeMetricFamily(
            "ragqa_index_passages", "Passages in the index served, per collection", labels=["collection"]
        )
        for name, version, count in _served():
            info.add_metric([name, version or ""], 1)
            passages.add_metric([name], count)
        yield info
        yield passages


def _served() -> Iterator[tuple[str, str | None, int]]:
    """(collection, version, passages) of each collection the request may read: the default one as this
    worker serves it, the others as their index roots stand (as `GET /api/collections` gives them)."""
    from qa.errors import RagqaError
    from web import state

    for name in state.readable_collections():
        try:
            if name == "default":
                pipeline = state.get_pipeline()
                yield name, pipeline.version, len(pipeline.passages)
                continue
            version, passages = state.collections().get(name).served()
        except RagqaError:  # not loaded yet, or deleted since it was listed: no series, not a failed scrape
            continue
        if version is not None:  # nothing indexed: no series
            yield name, version, passages


@contextmanager
def multiprocess_folder() -> Iterator[str]:
    """A fresh, private PROMETHEUS_MULTIPROC_DIR for one server start (`web.server.serve`), removed at its end.

    Fresh, so no count of an earlier server (or of another on this host) is read as this one's. Set
    before gunicorn forks: prometheus-client chooses its multiprocess mode when a worker imports it."""
    folder = tempfile.mkdtemp(prefix="ragqa-metrics-")
    before = os.environ.get(MULTIPROCESS_DIR)
    os.environ[MULTIPROCESS_DIR] = folder
    maker = os.getpid()
    try:
        yield folder
    finally:
        # A forked worker leaves through here too (gunicorn ends it with sys.exit): only the process that
        # made the folder, once its workers are gone, removes what the others still count in.
        if os.getpid() == maker:
            shutil.rmtree(folder, ignore_errors=True)
            if before is None:
                os.environ.pop(MULTIPROCESS_DIR, None)
            else:
                os.environ[MULTIPROCESS_DIR] = before


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: an exited worker's counts stay (they still add up), its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def metrics() -> Metrics:
    return current_app.extensions[EXTENSION]


def observe(result: Result | SearchResult, collection: str = "default") -> None:
    """Count one answered question (or search) of a collection: its stages' seconds and, for a question,
    whether it was answered or abstained."""
    counted = current_app.extensions.get(EXTENSION)
    if counted is None:  # an app built without this blueprint
        return
    timings = getattr(result, "timings", None) or {}
    if "retrieval" in timings:
        counted.retrieval_seconds.labels(collection).observe(timings["retrieval"])
    if "reading" in timings:
        counted.reading_seconds.labels(collection).observe(timings["reading"])
    if hasattr(result, "answer"):
        counted.questions.labels(collection, "abstained" if result.answer is None else "answered").inc()


def _route() -> str:
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


@bp.record_once
def _setup(setup: Any) -> None:
    app: Flask = setup.app
    app.extensions[EXTENSION] = Metrics(os.environ.get(MULTIPROCESS_DIR) or None)
    request_started.connect(_started, app)


def _started(sender: Flask, **extra: Any) -> None:
    # At request_started, before any before-request check: a request refused there is timed too.
    g.metrics_started = time.perf_counter()


@bp.after_app_request
def _count(response: Response) -> Response:
    counted = current_app.extensions.get(EXTENSION)
    if counted is None:
        return response
    route = _route()
    method = request.method if request.method in METHODS else "other"  # a client cannot grow the series
    counted.requests.labels(method, route, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        counted.request_seconds.labels(route).observe(time.perf_counter() - started)
    if request.endpoint in FEEDBACK_ENDPOINTS and response.status_code < 400:
        counted.feedback.inc()
    return response


@bp.app_errorhandler(Overloaded)
def _refused(exc: Overloaded) -> Response:
    from web.errors import ragqa_response

    metrics().refusals.labels(_route()).inc()
    return ragqa_response(exc)


@bp.get("/metrics")
def scrape() -> Response:
    """Prometheus' text format: requests, latencies, answers, refusals, feedback and the indexes served; keyed."""
    return Response(metrics().exposition(), content_type=CONTENT_TYPE)
