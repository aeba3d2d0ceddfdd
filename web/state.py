"""The app's pipeline and its question slots, as Flask's tutorial keeps its database: `init_app`,
then `get_pipeline()` and `ask()` (or `search()`) inside a request.

A served app follows its index root (`web.live.LivePipeline`); an app built around a pipeline (tests,
embedding ragqa in another app) keeps that one (`Fixed`). Either way, a question is answered by the
pipeline of one version, inside this worker's admission slot (`web.admission`). Feedback is stored
through admission slots of its own (`store_feedback`), so a locked feedback database holds a few
of a worker's threads at most, never the ones health checks and questions need.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask, current_app, request

from qa.errors import RagqaError
from qa.feedback.store import FeedbackBusy, FeedbackStore, Limit
from qa.feedback.submission import Feedback, FeedbackRecord
from qa.feedback.token import FeedbackSigner
from qa.ingest.passages import Passage
from qa.pipeline import DEFAULT_TOP_K, Pipeline, Result, SearchResult, check_question, check_top_k
from qa.store.backend import BackendSettings
from web.admission import Admission, Overloaded

log = logging.getLogger(__name__)

EXTENSION = "ragqa"
# Per worker: feedback being stored, feedback waiting for a slot, and how long it may wait (s).
FEEDBACK_SLOTS = 2
FEEDBACK_QUEUE_DEPTH = 2
FEEDBACK_QUEUE_WAIT = 1.0


class PipelineSource(Protocol):
    def current(self) -> Pipeline:
        """The pipeline to answer this request with; raises why there is none."""
        ...

    def status(self) -> dict[str, Any]:
        """Readiness: whether one serves, and what newer version was refused and why."""
        ...


class Fixed:
    """One pipeline, never reloaded."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def current(self) -> Pipeline:
        return self.pipeline

    def status(self) -> dict[str, Any]:
        return {"ready": True}


@dataclass
class State:
    source: PipelineSource
    admission: Admission
    feedback: FeedbackStore
    feedback_admission: Admission
    # Passages by id for the pipeline they came from (feedback looks them up; built once per version).
    _by_id: tuple[Pipeline | None, dict[str, Passage]] = field(default=(None, {}))
    _signer: FeedbackSigner | None = None

    def signer(self) -> FeedbackSigner:
        """The signer of served answers, its key read once from (or first made in) the file beside the database."""
        if self._signer is None:
            self._signer = FeedbackSigner(self.feedback.secret())
        return self._signer

    def passage(self, pipeline: Pipeline, passage_id: str) -> Passage | None:
        if self._by_id[0] is not pipeline:
            self._by_id = (pipeline, {p.id: p for p in pipeline.passages})
        return self._by_id[1].get(passage_id)


def init_app(app: Flask, pipeline: Pipeline | None = None) -> None:
    """Give the app its pipeline: the one passed in, or the live version of RAGQA_INDEX, loaded now.

    A pipeline that fails to load leaves the app up: /readyz reports why, questions answer 503.
    """
    config = app.config
    admission = Admission(
        int(config["RAGQA_SLOTS"]), float(config["RAGQA_QUEUE_WAIT"]), int(config["RAGQA_QUEUE_DEPTH"])
    )
    source: PipelineSource = Fixed(pipeline) if pipeline is not None else _live(app)
    store = FeedbackStore(config["RAGQA_FEEDBACK_DB"], int(config["RAGQA_FEEDBACK_MAX_BYTES"]))
    feedback_admission = Admission(
        int(config.get("RAGQA_FEEDBACK_SLOTS", FEEDBACK_SLOTS)),
        float(config.get("RAGQA_FEEDBACK_QUEUE_WAIT", FEEDBACK_QUEUE_WAIT)),
        int(config.get("RAGQA_FEEDBACK_QUEUE_DEPTH", FEEDBACK_QUEUE_DEPTH)),
    )
    app.extensions[EXTENSION] = made = State(source, admission, store, feedback_admission)
    try:  # made on first start; a key that cannot be made yet is retried at the first answer
        made.signer()
    except RagqaError as exc:
        log.error("feedback signing key not available: %s", exc.message)
    try:  # an older or world-readable file is migrated and tightened at start, not at the first feedback
        store.prepare()
    except RagqaError as exc:
        log.error("feedback database not available: %s", exc.message)


def state() -> State:
    return current_app.extensions[EXTENSION]


def get_pipeline() -> Pipeline:
    """The pipeline of the version serving now, or the error that keeps one from serving."""
    return state().source.current()


def ready() -> bool:
    try:
        get_pipeline()
    except RagqaError:
        return False
    return True


def ask(question: Any, top_k: Any = DEFAULT_TOP_K, filters: Any = None) -> Result:
    """Check the input, then answer in this worker's question slot (or raise Overloaded, a 429).

    The one way the API and the page ask. Bad input is refused before it queues (filters are checked
    against the version that answers, in its slot); one version answers the whole question, even if
    a reload lands meanwhile."""
    check_question(question)
    check_top_k(top_k)
    pipeline = get_pipeline()
    with state().admission.slot():
        return pipeline.ask(question, top_k, filters)


def search(query: Any, top_k: Any = DEFAULT_TOP_K, filters: Any = None) -> SearchResult:
    """Check the input, then rank passages (no reader) in the same question slot `ask` takes.

    A search embeds its query on the cores a question uses, so it shares the questions' slots and
    queue: the slots bound all model work in flight, and a search beyond them gets the same 429."""
    check_question(query, "query")
    check_top_k(top_k)
    pipeline = get_pipeline()
    with state().admission.slot():
        return pipeline.search(query, top_k, filters)


def store_feedback(feedback: Feedback, context: Passage, served: str, limit: Limit) -> FeedbackRecord:
    """Store a verdict in one of this worker's feedback slots, or raise FeedbackBusy (a 503 with Retry-After)."""
    current = state()
    client = client_id()
    try:
        with current.feedback_admission.slot():
            return current.feedback.add(feedback, context, served, client=client, limit=limit)
    except Overloaded as exc:
        raise FeedbackBusy(
            f"feedback is busy on this worker ({current.feedback_admission.slots} being stored, "
            f"{current.feedback_admission.depth} waiting); retry shortly"
        ) from exc


def served(result: Result) -> dict[str, Any]:
    """The answer as sent (`POST /api/ask`'s JSON), with the token feedback on it must carry back.

    Without the signing key (its folder cannot be written) the answer is still given, with a null token."""
    data = result.to_dict()
    try:
        data["feedback_token"] = state().signer().sign_result(data)
    except RagqaError as exc:
        log.error("answer served without a feedback token: %s", exc.message)
        data["feedback_token"] = None
    return data


def client_id() -> str:
    """Who sent this request, for the feedback rate limit: a keyed hash of the address, not the address."""
    address = (request.remote_addr or "unknown").encode("utf-8", "replace")
    return hmac.new(state().signer().key_for("client"), address, hashlib.sha256).hexdigest()[:32]


def _live(app: Flask) -> PipelineSource:
    """Follow the index root's pointer: the worker loads the live version and later ones as they appear."""
    from web.live import LivePipeline

    config = app.config

    def load(root: Any, version: str | None, serving: Pipeline | None) -> Pipeline:
        # A reload keeps the encoder model (and a trained reader) already in memory.
        fresh = Pipeline.load(
            root,
            model=config["RAGQA_MODEL"],
            encoder=serving.encoder if serving else None,
            query_backend=config["RAGQA_QUERY_BACKEND"],
            reader_dir=config["RAGQA_READER"],
            reader_inference=config["RAGQA_READER_INFERENCE"],
            threads=config["RAGQA_ENGINE_THREADS"],
            version=version,
            readers=serving.trained_readers if serving else None,
            backend=BackendSettings(
                milvus_uri=config.get("RAGQA_MILVUS_URI"), milvus_bm25=config.get("RAGQA_MILVUS_BM25", True)
            ),
        )
        # One question before serving: the tokenizer dictionaries and torch kernels load lazily, and
        # the first user should not wait for them (nor the version swap be a slow request).
        fresh.ask("预热 warm-up", 1)
        return fresh

    return LivePipeline(config["RAGQA_INDEX"], load, float(config["RAGQA_RELOAD_INTERVAL"]))
