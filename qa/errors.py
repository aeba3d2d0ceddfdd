"""Errors that carry their HTTP status and a machine-readable code.

One handler in the web layer turns them into JSON or HTML; the CLI turns them into one line.
Every error the library means a user to see is one of these: the index store, the embedding
models and the readers raise them directly.
"""

from __future__ import annotations


class RagqaError(Exception):
    """Base class: a message a user can act on, a stable code and an HTTP status."""

    status: int = 500
    code: str = "internal_error"
    retry_after: int | None = None  # seconds, for a client told to come back (429, 503)

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class BadRequest(RagqaError):
    status = 400
    code = "bad_request"


class ModelNotFound(RagqaError):
    status = 503
    code = "model_not_found"


class IndexUnavailable(RagqaError):
    """The index is missing or corrupt (`index_unavailable`), or was built for another model (`model_mismatch`)."""

    status = 503
    code = "index_unavailable"


class IndexBusy(RagqaError):
    """Another `ragqa index` is building the same index."""

    status = 409
    code = "index_busy"


class CorpusError(RagqaError):
    status = 400
    code = "corpus_error"


class FeedbackUnavailable(RagqaError):
    """The feedback database cannot be written or read."""

    status = 503
    code = "feedback_unavailable"
