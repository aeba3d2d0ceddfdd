"""The app's pipelines and its question slots, as Flask's tutorial keeps its database: `init_app`,
then `get_pipeline()` and `ask()` (or `search()`) inside a request.

A server serves several collections (`qa.collections`): `default` is its own index, the others live
under RAGQA_DATA, each with a pipeline of its own made at its first question (`CollectionSource`),
sharing the default pipeline's encoder and trained readers, so a new collection loads no model.
A served app also runs the collections' writer in a background thread (`qa.collections.writer`;
RAGQA_WRITER, on by default for a served app, off for one built around a passed-in pipeline).

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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app, request

from qa.collections.collection import Collection, CollectionEmpty, Collections
from qa.collections.names import DEFAULT
from qa.collections.writer import IndexApplier, WriterLoop
from qa.conversation import asking as conversation
from qa.conversation.asking import InContext
from qa.conversation.followup import Reading
from qa.conversation.turns import check_history
from qa.errors import BadRequest, RagqaError
from qa.feedback.store import FeedbackBusy, FeedbackStore, Limit
from qa.feedback.submission import Feedback, FeedbackRecord
from qa.feedback.token import FeedbackSigner
from qa.ingest.passages import Passage
from qa.pipeline import DEFAULT_TOP_K, Pipeline, Result, SearchResult, check_question, check_top_k
from qa.store import versions
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


class CollectionSource:
    """A collection's live pipeline (`web.live.LivePipeline` on its index root), made at its first question;
    409 `empty` while the collection has no version (nothing indexed yet, or every document deleted)."""

    def __init__(self, collection: Collection, default: PipelineSource, config: Any) -> None:
        self.collection = collection
        self.default = default
        self.config = config
        self._live: PipelineSource | None = None
        self._lock = threading.Lock()

    def current(self) -> Pipeline:
        if versions.pointer(self.collection.index) is None:
            raise CollectionEmpty(
                f"the collection '{self.collection.name}' has nothing indexed yet; upload documents to it, "
                "then wait until they are ready"
            )
        with self._lock:
            if self._live is None:
                self._live = _live(self.config, self.collection.index, self._load)
        return self._live.current()

    def status(self) -> dict[str, Any]:
        return self._live.status() if self._live is not None else {"ready": False}

    def _load(self, root: Path, version: str | None, serving: Pipeline | None) -> Pipeline:
        # The default pipeline's encoder and trained readers: loaded once per worker, whatever is served.
        base = self.default.current()
        return _pipeline(self.config, root, version, base)


@dataclass
class State:
    source: PipelineSource
    admission: Admission
    feedback: FeedbackStore
    feedback_admission: Admission
    collections: Collections
    writer: WriterLoop | None = None
    _sources: dict[str, PipelineSource] = field(default_factory=dict)
    _sources_lock: threading.Lock = field(default_factory=threading.Lock)
    _config: Any = None
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

    def source_of(self, name: str) -> PipelineSource:
        """The pipeline source of a collection (404 `not_found` for one that does not exist)."""
        if name == DEFAULT:
            return self.source
        collection = self.collections.get(name)
        with self._sources_lock:
            made = self._sources.get(name)
            if made is None:
                made = self._sources[name] = CollectionSource(collection, self.source, self._config)
            return made


def init_app(app: Flask, pipeline: Pipeline | None = None) -> None:
    """Give the app its pipeline: the one passed in, or the live version of RAGQA_INDEX, loaded now.

    A pipeline that fails to load leaves the app up: /readyz reports why, questions answer 503.
    """
    config = app.config
    admission = Admission(
        int(config["RAGQA_SLOTS"]), float(config["RAGQA_QUEUE_WAIT"]), int(config["RAGQA_QUEUE_DEPTH"])
    )
    source: PipelineSource = Fixed(pipeline) if pipeline is not None else _served(app)
    store = FeedbackStore(config["RAGQA_FEEDBACK_DB"], int(config["RAGQA_FEEDBACK_MAX_BYTES"]))
    feedback_admission = Admission(
        int(config.get("RAGQA_FEEDBACK_SLOTS", FEEDBACK_SLOTS)),
        float(config.get("RAGQA_FEEDBACK_QUEUE_WAIT", FEEDBACK_QUEUE_WAIT)),
        int(config.get("RAGQA_FEEDBACK_QUEUE_DEPTH", FEEDBACK_QUEUE_DEPTH)),
    )
    collections = Collections(config["RAGQA_DATA"], config["RAGQA_CORPUS"], config["RAGQA_INDEX"])
    made = State(source, admission, store, feedback_admission, collections, _config=config)
    app.extensions[EXTENSION] = made
    writing = config.get("RAGQA_WRITER")
    if writing if writing is not None else pipeline is None:
        made.writer = WriterLoop(collections, IndexApplier(lambda: source.current().encoder))
        made.writer.start()
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


def collection_name(collection: Any) -> str:
    """The collection a request names (None: the default one), checked to be a string."""
    if collection is None:
        return DEFAULT
    if not isinstance(collection, str):
        raise BadRequest("'collection' must be a collection's name (a string)", code="invalid_collection")
    return collection


def check_access(name: str, write: bool = False) -> None:
    """Refuse a request whose key may not read (404, as for a collection that does not exist) or write (403)
    the collection (`web.access`)."""
    from web.access import require

    require(name, write=write)


def collections() -> Collections:
    """The app's collections (`qa.collections`)."""
    return state().collections


def readable_collections() -> list[str]:
    """The collections this request's key may read, `default` first (`web.access`)."""
    from web.access import visible

    return visible(collections().names())


def get_pipeline(collection: str | None = None) -> Pipeline:
    """The pipeline of the version serving now for a collection (None: the default one), or the error that
    keeps one from serving."""
    return state().source_of(collection or DEFAULT).current()


def ready() -> bool:
    try:
        get_pipeline()
    except RagqaError:
        return False
    return True


@contextmanager
def asking(
    question: Any, top_k: Any = DEFAULT_TOP_K, filters: Any = None, collection: Any = None, history: Any = None
) -> Iterator[InContext]:
    """Check the input, take this worker's question slot (or raise Overloaded, a 429) and retrieve:
    inside, the passages are there at once (`InContext.passages`) and `InContext.answer()` reads them.

    The one way the API, the page and /v1 ask. Bad input is refused before it queues (filters are
    checked against the version that answers, in its slot); one version answers the whole question,
    even if a reload lands meanwhile. `collection` None is the default collection; `history` is the
    conversation's earlier turns (`qa.conversation.turns`), which a follow-up question is read with."""
    check_question(question)
    check_top_k(top_k)
    turns = check_history(history)
    name = collection_name(collection)
    check_access(name)
    pipeline = get_pipeline(name)
    with state().admission.slot():
        yield conversation.begin(pipeline, question, turns, top_k, filters)


def ask_in_context(
    question: Any, top_k: Any = DEFAULT_TOP_K, filters: Any = None, collection: Any = None, history: Any = None
) -> tuple[Result, Reading]:
    """The answer to a question read in its conversation, and how it was read (`asking`)."""
    with asking(question, top_k, filters, collection, history) as steps:
        result, reading = steps.answer()
    observe(result, collection_name(collection))
    return result, reading


def ask(question: Any, top_k: Any = DEFAULT_TOP_K, filters: Any = None, collection: Any = None) -> Result:
    """The answer to a question asked on its own (`asking`)."""
    return ask_in_context(question, top_k, filters, collection)[0]


def observe(result: Result | SearchResult, collection: str) -> None:
    """Count an answered request in the metrics (imported here: prometheus-client loads at the first one)."""
    from web.metrics import observe as count

    count(result, collection)


def search(query: Any, top_k: Any = DEFAULT_TOP_K, filters: Any = None, collection: Any = None) -> SearchResult:
    """Check the input, then rank passages (no reader) in the same question slot `ask` takes.

    A search embeds its query on the cores a question uses, so it shares the questions' slots and
    queue: the slots bound all model work in flight, and a search beyond them gets the same 429."""
    check_question(query, "query")
    check_top_k(top_k)
    name = collection_name(collection)
    check_access(name)
    pipeline = get_pipeline(name)
    with state().admission.slot():
        result = pipeline.search(query, top_k, filters)
    observe(result, name)
    return result


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


def _live(config: Any, root: Any, load: Any) -> PipelineSource:
    """Follow an index root's pointer: the worker loads the live version and later ones as they appear."""
    from web.live import LivePipeline

    return LivePipeline(root, load, float(config["RAGQA_RELOAD_INTERVAL"]))


def _served(app: Flask) -> PipelineSource:
    """The default collection: RAGQA_INDEX's live version, loaded with the configured model and readers."""
    config = app.config

    def load(root: Any, version: str | None, serving: Pipeline | None) -> Pipeline:
        # A reload keeps the encoder model (and a trained reader) already in memory.
        fresh = _pipeline(config, root, version, serving, query_backend=config["RAGQA_QUERY_BACKEND"])
        # One question before serving: the tokenizer dictionaries and torch kernels load lazily, and
        # the first user should not wait for them (nor the version swap be a slow request).
        fresh.ask("预热 warm-up", 1)
        return fresh

    return _live(config, config["RAGQA_INDEX"], load)


def _pipeline(
    config: Any, root: Any, version: str | None, serving: Pipeline | None, query_backend: str | None = None
) -> Pipeline:
    """A version's pipeline with the app's settings, reusing the models `serving` has loaded (if any)."""
    return Pipeline.load(
        root,
        model=config["RAGQA_MODEL"],
        encoder=serving.encoder if serving else None,
        query_backend=query_backend,
        reader_dir=config["RAGQA_READER"],
        reader_inference=config["RAGQA_READER_INFERENCE"],
        threads=config["RAGQA_ENGINE_THREADS"],
        version=version,
        readers=serving.trained_readers if serving else None,
        backend=BackendSettings(
            milvus_uri=config.get("RAGQA_MILVUS_URI"), milvus_bm25=config.get("RAGQA_MILVUS_BM25", True)
        ),
    )
