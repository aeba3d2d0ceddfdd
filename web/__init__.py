"""The HTTP surface: a JSON API and a chat page over one shared `Pipeline`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response

from qa.config import Settings
from web.admission import DEFAULT_DEPTH, DEFAULT_WAIT

if TYPE_CHECKING:
    from qa.pipeline import Pipeline

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


def create_app(config: dict[str, Any] | None = None, pipeline: Pipeline | None = None) -> Flask:
    """Build the app; load the pipeline from settings unless one is passed in (`web.state`)."""
    app = Flask(__name__)
    settings = Settings.from_env()
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        RAGQA_INDEX=settings.index_dir,
        RAGQA_MODEL=settings.model,
        RAGQA_QUERY_BACKEND=settings.query_backend,
        RAGQA_READER=settings.reader_dir,
        RAGQA_FEEDBACK_DB=settings.feedback_db,
        RAGQA_RELOAD_INTERVAL=1.0,  # seconds between looks at the index pointer
        RAGQA_SLOTS=1,  # questions in flight per worker
        RAGQA_QUEUE_WAIT=DEFAULT_WAIT,  # seconds a question may wait for a slot before a 429
        RAGQA_QUEUE_DEPTH=DEFAULT_DEPTH,  # questions that may wait for a slot; beyond, a 429 at once
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from web import api, chat, context, errors, feedback, state

    state.init_app(app, pipeline)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(context.bp)
    app.register_blueprint(feedback.bp)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
