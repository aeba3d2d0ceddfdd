"""The HTTP surface: a JSON API and a chat page over one shared `Pipeline`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from qa.config import Settings
from web.admission import DEFAULT_DEPTH, DEFAULT_WAIT, Admission

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(config: dict[str, Any] | None = None, pipeline: Any = None) -> Flask:
    """Build the app; load the pipeline from settings unless one is passed in.

    A pipeline that fails to load leaves the app up: /readyz reports why, /api/ask answers 503.
    """
    app = Flask(__name__)
    settings = Settings.from_env()
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        RAGQA_INDEX=settings.index_dir,
        RAGQA_MODEL=settings.model,
        RAGQA_QUERY_BACKEND=settings.query_backend,
        RAGQA_READER=settings.reader_dir,
        RAGQA_RELOAD_INTERVAL=1.0,  # seconds between looks at the index pointer
        RAGQA_SLOTS=1,  # questions in flight per worker
        RAGQA_QUEUE_WAIT=DEFAULT_WAIT,  # seconds a question may wait for a slot before a 429
        RAGQA_QUEUE_DEPTH=DEFAULT_DEPTH,  # questions that may wait for a slot; beyond, a 429 at once
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    admission = Admission(int(app.config["RAGQA_SLOTS"]), float(app.config["RAGQA_QUEUE_WAIT"]),
                          int(app.config["RAGQA_QUEUE_DEPTH"]))
    app.extensions["ragqa"] = {"pipeline": pipeline, "error": None, "live": None, "admission": admission}
    if pipeline is None:
        _load_pipeline(app)

    from web import api, chat, context, errors, feedback

    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(context.bp)
    feedback.init_app(app)

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _load_pipeline(app: Flask) -> None:
    """Follow the index root's pointer: every worker loads the live version and later ones as they appear."""
    from qa.live_pipeline import LivePipeline
    from qa.pipeline import Pipeline

    config = app.config

    def load(root: Any, version: str | None, serving: Pipeline | None) -> Pipeline:
        # A reload keeps the encoder model (and a trained reader) already in memory.
        fresh = Pipeline.load(
            root, model=config["RAGQA_MODEL"], encoder=serving.encoder if serving else None,
            query_backend=config["RAGQA_QUERY_BACKEND"], reader_dir=config["RAGQA_READER"], version=version,
            readers=serving.trained_readers if serving else None)
        # One question before serving: the tokenizer dictionaries and torch kernels load lazily, and
        # the first user should not wait for them (nor the version swap be a slow request).
        fresh.ask("预热 warm-up", 1)
        return fresh

    live = LivePipeline(config["RAGQA_INDEX"], load, float(config["RAGQA_RELOAD_INTERVAL"]))
    app.extensions["ragqa"].update(live=live, pipeline=live.pipeline, error=live.error)
