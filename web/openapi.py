"""The OpenAPI 3 description of the JSON API, served at `/openapi.json` and fuzzed by the tests.

Written by hand beside the views it describes; the limits come from the code that enforces them,
so the document cannot drift from the checks.
"""

from __future__ import annotations

from typing import Any

from qa.feedback.submission import MAX_ANSWER_CHARS, MAX_ID_CHARS, RATINGS
from qa.pipeline import DEFAULT_TOP_K, MAX_QUESTION_CHARS, MAX_TOP_K
from web import openapi_collections as collections

_NULLABLE_STRING = {"type": ["string", "null"]}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _retry(description: str) -> dict[str, Any]:
    return {**_error(description), "headers": {"Retry-After": {"schema": {"type": "integer"}}}}


# Answered by every /api/ endpoint when the server asks for keys (RAGQA_API_KEYS), or the request
# came from another site's page.
_GUARDED = {
    "401": {
        **_error(
            "An API key is required (the server sets RAGQA_API_KEYS): send Authorization: Bearer <key> "
            "(the open page's script sends its X-Ragqa-Page token instead, on /api/ask and /api/feedback)"
        ),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    "403": _error("Refused: sent from another site's page (Sec-Fetch-Site or Origin)"),
}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


SCHEMAS: dict[str, Any] = {
    "AskRequest": {
        "type": "object",
        "required": ["question"],
        "properties": {
            "question": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_QUESTION_CHARS,
                "description": "Surrounding whitespace is stripped; the stripped text must be non-empty.",
            },
            "top_k": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TOP_K, "default": DEFAULT_TOP_K},
            "filters": {"$ref": "#/components/schemas/Filters"},
            **collections.ASK_FIELDS,
        },
    },
    "Filters": {
        "type": ["object", "null"],
        "description": "Only passages of documents whose metadata matches every key are searched. A key is a "
        "field: built in, `path` (relative to the corpus folder), `folder`, `type` (the reader: pdf, docx, "
        "markdown, html, text, jsonl, ...), `title` (text), `modified` (the file's modification time, a date) "
        "and `pages` (a number; absent for formats without pages); or a JSONL record's own key (a boolean, a "
        "number or a date where every document holding it holds one, else text). Its value is a value to "
        'equal (`{"type": "pdf"}`) or an object of operators, all of which must hold: `eq`, `in` (a list, '
        'one of), and for numbers and dates `gt`, `gte`, `lt`, `lte` (`{"modified": {"gte": "2024-01-01", '
        '"lt": "2025-01-01"}}`, `{"pages": {"lte": 10}}`). Dates are ISO 8601, UTC without a zone. A document '
        "without the field does not match. A field no document has, an unknown operator or a value of the "
        "wrong kind is a 400 (`unknown_filter_field`, `invalid_filter_operator`, `invalid_filter_value`, "
        "`invalid_filters`); an index built before documents carried metadata answers 400 "
        "`filters_unavailable` until it is rebuilt. A filter that matches no document is not an error: the "
        "response has no passages (and no answer), `filtered.documents` 0 and a `note` saying so.",
        "additionalProperties": True,
    },
    "Filtered": {
        "type": "object",
        "required": ["documents", "passages"],
        "description": "What a request's filters left to search (present only when it sent filters).",
        "properties": {
            "documents": {"type": "integer", "minimum": 0},
            "passages": {"type": "integer", "minimum": 0},
        },
    },
    "Highlight": {
        "type": "object",
        "required": ["kind", "start", "end"],
        "properties": {
            "kind": {"type": "string"},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
        },
    },
    "Passage": {
        "type": "object",
        "required": ["id", "doc", "title", "section", "kind", "source", "text", "score", "highlights"],
        "properties": {
            "id": {"type": "string"},
            "doc": {"type": "string"},
            "title": {"type": "string"},
            "section": _NULLABLE_STRING,
            "kind": {"type": "string"},
            "source": {
                "type": "object",
                "required": ["path", "start", "end"],
                "properties": {
                    "path": {"type": "string"},
                    "start": {"type": ["integer", "null"]},
                    "end": {"type": ["integer", "null"]},
                },
            },
            "page": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "The 1-based PDF page, slide or sheet (in workbook order) the passage lies on; "
                "null for sources without pages (text, Markdown, HTML, JSONL, Word, CSV).",
            },
            "boxes": {
                "$ref": "#/components/schemas/Boxes",
                "description": "Where the passage's text is drawn on its page (PDFs and scans only).",
            },
            "text": {"type": "string"},
            "score": {"type": "number"},
            "highlights": {"type": "array", "items": {"$ref": "#/components/schemas/Highlight"}},
        },
    },
    "Boxes": {
        "type": "array",
        "description": "Rectangles on the page, one per line of the text they cover, in reading order: "
        "[x0, top, x1, bottom] in PDF points (1/72 inch) from the page's top-left corner, as the page is shown "
        "(its rotation applied). For an image file the page is the image, its pixels taken at the resolution "
        "it records (72 dpi, a pixel a point, when it records none). Present only where the source has "
        "geometry: PDF pages (text layer or OCR) and scanned images.",
        "items": {"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": 4, "maxItems": 4},
    },
    "Answer": {
        "type": "object",
        "required": ["text", "passage_id", "start", "end", "score"],
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string"},
            "passage_id": {"type": "string"},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "score": {"type": "number"},
            "page": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "The page of the answer's passage (see Passage.page).",
            },
            "boxes": {
                "$ref": "#/components/schemas/Boxes",
                "description": "Where the answer's characters are drawn on that page (PDFs and scans only).",
            },
        },
    },
    "AskResponse": {
        "type": "object",
        "required": ["question", "answer", "passages", "took_ms", "index_version"],
        "properties": {
            "question": {"type": "string"},
            "answer": {"oneOf": [{"$ref": "#/components/schemas/Answer"}, {"type": "null"}]},
            "passages": {"type": "array", "maxItems": MAX_TOP_K, "items": {"$ref": "#/components/schemas/Passage"}},
            "took_ms": {"type": "number", "minimum": 0},
            "index_version": {"type": ["string", "null"], "description": "The index version that answered."},
            "filtered": {"$ref": "#/components/schemas/Filtered"},
            "note": {"type": "string", "description": "Present when the filters matched no document."},
            "feedback_token": {
                "type": ["string", "null"],
                "description": "The server's signature of this serving of the answer (`<nonce>.<signature>`); "
                "feedback on it sends it back as `token`, once per verdict: sent again, it replaces the earlier one. "
                "Null only when the server cannot make its signing key.",
            },
            **collections.ANSWERED_FIELDS,
        },
    },
    "SearchRequest": {
        "type": "object",
        "required": ["query"],
        "properties": {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_QUESTION_CHARS,
                "description": "Words or a question; checked as a question is. Surrounding whitespace is stripped.",
            },
            "top_k": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TOP_K, "default": DEFAULT_TOP_K},
            "filters": {"$ref": "#/components/schemas/Filters"},
            **collections.SEARCH_FIELDS,
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["query", "passages", "took_ms", "index_version"],
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string"},
            "passages": {
                "type": "array",
                "maxItems": MAX_TOP_K,
                "items": {"$ref": "#/components/schemas/Passage"},
                "description": "Best first, as /api/ask retrieves them; no reader runs, so the highlights are "
                "the query's terms and each passage's sentence closest to the query (`term`, `sentence`), "
                "never an `answer`.",
            },
            "took_ms": {"type": "number", "minimum": 0},
            "index_version": {"type": ["string", "null"], "description": "The index version searched."},
            "filtered": {"$ref": "#/components/schemas/Filtered"},
            "note": {"type": "string", "description": "Present when the filters matched no document."},
            "collection": collections.ANSWERED_FIELDS["collection"],
        },
    },
    "FeedbackRequest": {
        "type": "object",
        "required": ["question", "rating", "passages", "token"],
        "additionalProperties": False,
        "description": "A verdict on one answer, exactly as it was served (question, answer, passage_id and "
        "passages, with its `feedback_token`). `answer` and `passage_id` are both null when no answer was shown; "
        "a `correction` goes with a thumbs down.",
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS},
            "rating": {"enum": list(RATINGS)},
            "answer": {"type": ["string", "null"], "maxLength": MAX_ANSWER_CHARS},
            "passage_id": {"type": ["string", "null"], "description": "One of `passages`: where the answer was shown."},
            "correction": {"type": ["string", "null"], "maxLength": MAX_ANSWER_CHARS},
            "passages": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_TOP_K,
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS},
                "description": "Ids of the passages shown with the answer, best first; each must be in the index.",
            },
            "token": {"type": "string", "description": "The `feedback_token` that came with the answer."},
            "collection": {
                **collections.COLLECTION,
                "description": "The collection that answered (its `collection`); absent: `default`.",
            },
        },
    },
    "FeedbackStored": {
        "type": "object",
        "required": ["id", "rating", "context_id"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "rating": {"enum": list(RATINGS)},
            "context_id": {"type": "string", "description": "The passage kept as the record's context."},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string", "minLength": 1}},
            }
        },
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
    "Ready": {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {"status": {"const": "ready"}},
        "description": "Open to anyone, so it says no more than this; the details are at /api/status.",
    },
    "Unavailable": {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {"status": {"const": "unavailable"}},
    },
    "Status": {
        "type": "object",
        "required": ["status", "model", "passages", "index_version"],
        "properties": {
            "status": {"const": "ready"},
            "model": {"type": "string"},
            "reader": {"type": "string"},
            "passages": {"type": "integer", "minimum": 0},
            "built_at": _NULLABLE_STRING,
            "index": _NULLABLE_STRING,
            "index_version": _NULLABLE_STRING,
            "refused": {
                "type": "object",
                "required": ["reason"],
                "properties": {"version": _NULLABLE_STRING, "reason": {"type": "string"}},
                "description": "A newer index version that failed verification; the listed one keeps serving.",
            },
        },
    },
    "NotReady": {
        "type": "object",
        "required": ["status", "reason"],
        "properties": {
            "status": {"const": "unavailable"},
            "reason": {"type": "string", "description": "Why in general; the server log names the file and error."},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/ask": {
        "post": {
            "summary": "Answer a question from the indexed documents",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskRequest"}}},
            },
            "responses": {
                "200": {
                    "description": "The answer (or null) and the passages it was read from. With `Accept: "
                    "text/event-stream`, server-sent events instead: `passages` as soon as retrieval ends (a "
                    "SearchResponse with `read_as`), then `answer` (this AskResponse), or `error` ({error}) if "
                    "reading fails after the passages were sent",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/AskResponse"}},
                        "text/event-stream": {"schema": {"type": "string"}},
                    },
                },
                "400": _error("Invalid JSON, body, question, top_k, filters, collection or history"),
                "404": collections.NOT_FOUND,
                "409": collections.EMPTY,
                "413": _error("Body larger than 16 KB"),
                "415": _error("Body is not application/json"),
                **_GUARDED,
                "429": _retry("Too many questions in flight; retry after the Retry-After seconds"),
                "503": _error("The index or the model is not loaded"),
            },
        }
    },
    "/api/search": {
        "post": {
            "summary": "Ranked passages for a query, highlighted, without reading an answer from them",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchRequest"}}},
            },
            "responses": {
                "200": _json("The passages, best first, with scores, highlights and pages", "SearchResponse"),
                "400": _error("Invalid JSON, body, query, top_k, filters or collection"),
                "404": collections.NOT_FOUND,
                "409": collections.EMPTY,
                "413": _error("Body larger than 16 KB"),
                "415": _error("Body is not application/json"),
                **_GUARDED,
                "429": _retry("Too many questions and searches in flight; retry after the Retry-After seconds"),
                "503": _error("The index or the model is not loaded"),
            },
        }
    },
    "/api/feedback": {
        "post": {
            "summary": "Store a thumbs up or down on one answer, with an optional corrected answer",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}},
            },
            "responses": {
                "201": _json(
                    "Stored; `ragqa feedback export` turns the records into a SQuAD file. One record per "
                    "`token`: sent again, the verdict replaces the earlier one under the same `id`",
                    "FeedbackStored",
                ),
                "400": _error("Invalid JSON or body, a field out of range, or a passage id not in the index"),
                "413": _error("Body larger than 16 KB"),
                "415": _error("Body is not application/json"),
                **_GUARDED,
                "403": _error(
                    "Refused: the feedback does not match an answer this server gave (`not_served`: a missing or "
                    "wrong token), or it was sent from another site's page (`cross_site_request`)"
                ),
                "429": _retry("This client sent more feedback than RAGQA_FEEDBACK_LIMIT per RAGQA_FEEDBACK_WINDOW"),
                "503": _retry(
                    "The index is not loaded, or the feedback database cannot be written; when it is only busy "
                    "(locked by another process, or this worker's feedback slots taken), Retry-After says when "
                    "to try again"
                ),
                "507": _error("The feedback database reached its size cap (RAGQA_FEEDBACK_MAX_MB); nothing is stored"),
            },
        }
    },
    "/api/status": {
        "get": {
            "summary": "What serves: model, passages, index version and folder, and a newer version refused",
            "responses": {
                "200": _json("Ready to answer, from the named index version", "Status"),
                "401": _GUARDED["401"],
                "503": _json("Not ready, and why in general", "NotReady"),
            },
        }
    },
    "/healthz": {"get": {"summary": "Liveness", "responses": {"200": _json("The process answers", "Health")}}},
    "/readyz": {
        "get": {
            "summary": "Readiness, for probes: open, and says only ready or not",
            "responses": {
                "200": _json("Ready to answer", "Ready"),
                "503": _json("Not ready; /api/status and the server log say why", "Unavailable"),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}
            },
        }
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document (3.1: its schemas are JSON Schema 2020-12)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "ragqa", "version": "1", "description": "Question answering over your own documents."},
        "paths": {**PATHS, **collections.PATHS},
        "components": {"schemas": {**SCHEMAS, **collections.SCHEMAS}},
    }
