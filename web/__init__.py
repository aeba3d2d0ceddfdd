"""The HTTP surface: a JSON API and a chat page over one shared `Pipeline`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response

from qa.config import Settings
from qa.errors import RagqaError
from qa.feedback.store import DEFAULT_MAX_BYTES
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


def open_service_config(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings for a server open to the internet, from the environment (README, "Serving in the open")."""
    from web.access import read_keys

    def number(name: str, default: float) -> float:
        try:
            return float(env.get(name) or default)
        except ValueError:
            raise RagqaError(f"{name} must be a number, not {env[name]!r}") from None

    hosts = (env.get("RAGQA_TRUSTED_HOSTS") or "").replace(",", " ").split()
    return {
        # Rate limit per client on stored feedback, and the feedback database's size cap.
        "RAGQA_FEEDBACK_LIMIT": int(number("RAGQA_FEEDBACK_LIMIT", 30)),
        "RAGQA_FEEDBACK_WINDOW": number("RAGQA_FEEDBACK_WINDOW", 3600),
        "RAGQA_FEEDBACK_MAX_BYTES": int(number("RAGQA_FEEDBACK_MAX_MB", DEFAULT_MAX_BYTES / 2**20) * 2**20),
        "RAGQA_API_KEYS": read_keys(env.get("RAGQA_API_KEYS"), env.get("RAGQA_API_KEYS_FILE")),
        "RAGQA_OPEN_PAGE": env.get("RAGQA_OPEN_PAGE", "") in {"1", "true", "yes"},
        # Reverse proxies in front (each adds X-Forwarded-For); 0 trusts no such header.
        "RAGQA_PROXIES": int(number("RAGQA_PROXIES", 0)),
        "TRUSTED_HOSTS": hosts or None,
    }


def create_app(config: dict[str, Any] | None = None, pipeline: Pipeline | None = None) -> Flask:
    """Build the app; load the pipeline from settings unless one is passed in (`web.state`)."""
    app = Flask(__name__)
    # werkzeug would answer `//api//ask` with a redirect to a URL built from the Host header,
    # which a client chooses: an open redirect. Paths are matched as sent instead.
    app.url_map.merge_slashes = False
    settings = Settings.from_env()
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        RAGQA_INDEX=settings.index_dir,
        RAGQA_CORPUS=settings.corpus_dir,
        RAGQA_DATA=settings.data_dir,  # collections managed over HTTP (web.documents)
        RAGQA_MAX_FILE_BYTES=settings.max_file_bytes,  # one uploaded file, as the indexer reads it
        RAGQA_UPLOAD_MAX_FILES=20,  # files in one upload request
        RAGQA_WRITER=None,  # the collections' background writer; None: on unless a pipeline is passed in
        RAGQA_MODEL=settings.model,
        RAGQA_QUERY_BACKEND=settings.query_backend,
        RAGQA_READER=settings.reader_dir,
        RAGQA_READER_INFERENCE=settings.reader_inference,
        RAGQA_FEEDBACK_DB=settings.feedback_db,
        RAGQA_RELOAD_INTERVAL=1.0,  # seconds between looks at the index pointer
        RAGQA_SLOTS=1,  # questions in flight per worker
        RAGQA_ENGINE_THREADS=None,  # the inference engines' threads (None: every core); ragqa serve splits them
        RAGQA_QUEUE_WAIT=DEFAULT_WAIT,  # seconds a question may wait for a slot before a 429
        RAGQA_QUEUE_DEPTH=DEFAULT_DEPTH,  # questions that may wait for a slot; beyond, a 429 at once
        JSON_AS_ASCII=False,
        **open_service_config(os.environ),
    )
    if config:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    proxies = int(app.config["RAGQA_PROXIES"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from web import access, api, body, chat, context, crosssite, documents, errors, feedback, state

    state.init_app(app, pipeline)
    errors.init_app(app)
    access.init_app(app)
    crosssite.init_app(app)
    documents.init_app(app)  # the upload route's own body limit, before the body is read
    body.init_app(app)  # after the checks above: a refused client's body is never read
    app.register_blueprint(api.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(context.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(__import__("web.admin", fromlist=["bp"]).bp)  # the admin page (web/admin.py)
    from web import metrics, openai_api, request_id

    app.register_blueprint(request_id.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openai_api.bp)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
