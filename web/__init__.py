"""The HTTP surface: a JSON API and a chat page over one shared `Pipeline`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from qa.config import Settings
from qa.errors import IndexUnavailable, RagqaError

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
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["ragqa"] = {"pipeline": pipeline, "error": None}
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
    from qa.pipeline import Pipeline

    try:
        app.extensions["ragqa"]["pipeline"] = Pipeline.load(
            app.config["RAGQA_INDEX"], model=app.config["RAGQA_MODEL"], query_backend=app.config["RAGQA_QUERY_BACKEND"],
            reader_dir=app.config["RAGQA_READER"])
    except RagqaError as exc:
        log.error("pipeline not loaded: %s", exc.message)
        app.extensions["ragqa"]["error"] = exc
    except Exception as exc:  # the worker must come up and say why in /readyz, not crash-loop
        log.exception("pipeline not loaded")
        app.extensions["ragqa"]["error"] = IndexUnavailable(f"the index could not be loaded ({exc.__class__.__name__}: {exc})")
