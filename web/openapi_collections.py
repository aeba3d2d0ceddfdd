"""The OpenAPI description of collections and documents (`web.documents`), merged into `web.openapi`'s
document, and the conversation and collection fields that /api/ask and /api/search take."""

from __future__ import annotations

from typing import Any

from qa.collections.names import PATTERN
from qa.conversation.turns import MAX_TEXT, MAX_TURNS

NAME_PATTERN = f"^{PATTERN.pattern}$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _error(description: str) -> dict[str, Any]:
    return _json(description, "Error")


COLLECTION = {
    "type": ["string", "null"],
    "pattern": NAME_PATTERN,
    "description": "The collection to ask (GET /api/collections lists them); null or absent: `default`, the "
    "server's own index. One this key may not read answers 404, as one that does not exist.",
}
_NAME_PARAMETER = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
NOT_FOUND = _error("No such collection (or document), or this key may not read it: `not_found`")
EMPTY = _error("The collection has nothing indexed yet (`empty`): upload documents and wait until they are ready")
FORBIDDEN = _error("This key may only read this collection (`forbidden`)")

# Fields /api/ask and /api/search take and give beside their own (web.openapi adds them).
ASK_FIELDS: dict[str, Any] = {
    "collection": COLLECTION,
    "history": {
        "type": ["array", "null"],
        "maxItems": MAX_TURNS,
        "items": _ref("Turn"),
        "description": "The conversation's earlier turns, oldest first. A follow-up question that leans on the "
        "last one (a pronoun, a missing subject, '第二批呢？', 'and for Indiana?') is completed from it before "
        "retrieval and reading; `read_as` in the response says how. Send each turn's question as `read_as.question` "
        "came back, so a chain of follow-ups stays complete.",
    },
}
SEARCH_FIELDS: dict[str, Any] = {"collection": COLLECTION}
ANSWERED_FIELDS: dict[str, Any] = {
    "collection": {"type": "string", "description": "The collection that answered."},
    "read_as": _ref("Reading"),
}

SCHEMAS: dict[str, Any] = {
    "Turn": {
        "type": "object",
        "required": ["question"],
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "answer": {"type": ["string", "null"], "maxLength": MAX_TEXT, "description": "null: none was found"},
        },
    },
    "Reading": {
        "type": "object",
        "required": ["question", "how", "referent"],
        "additionalProperties": False,
        "description": "How the question was read: as asked, or completed from the turn before it.",
        "properties": {
            "question": {"type": "string", "description": "The question retrieval and the reader were given."},
            "how": {"enum": ["as asked", "pronoun", "ellipsis", "missing subject"]},
            "referent": {"type": ["string", "null"], "description": "What the completion took from the turn before."},
        },
    },
    "CollectionSummary": {
        "type": "object",
        "required": ["name", "documents", "read_only", "passages", "version"],
        "properties": {
            "name": {"type": "string"},
            "documents": {
                "type": "object",
                "description": "Documents by status (always 0 for the read-only default collection).",
                "properties": {s: {"type": "integer", "minimum": 0} for s in ("queued", "indexing", "ready", "failed")},
            },
            "read_only": {"type": "boolean", "description": "true for `default`: changed by `ragqa index` only."},
            "passages": {"type": "integer", "minimum": 0},
            "version": {"type": ["string", "null"], "description": "The live index version; null: nothing indexed."},
        },
    },
    "Collections": {
        "type": "object",
        "required": ["collections"],
        "properties": {"collections": {"type": "array", "items": _ref("CollectionSummary")}},
    },
    "Document": {
        "type": "object",
        "required": ["id", "name", "status", "reason", "metadata", "size", "uploaded", "updated"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string", "description": "The file name as stored (made safe)."},
            "status": {"enum": ["queued", "indexing", "ready", "failed", "deleting"]},
            "reason": {"type": ["string", "null"], "description": "Why it failed (a failed file blocks no other)."},
            "metadata": {"type": "object", "description": "The fields given at upload; filters can use them."},
            "size": {"type": "integer", "minimum": 0},
            "passages": {"type": ["integer", "null"], "minimum": 0},
            "uploaded": {"type": "string", "description": "ISO 8601, UTC"},
            "updated": {"type": "string", "description": "ISO 8601, UTC"},
        },
    },
    "Documents": {
        "type": "object",
        "required": ["documents"],
        "properties": {"documents": {"type": "array", "items": _ref("Document")}},
    },
}

PATHS: dict[str, Any] = {
    "/api/collections": {
        "get": {
            "summary": "The collections this key may read, with documents by status, passages and live version",
            "responses": {"200": _json("The collections", "Collections")},
        },
        "post": {
            "summary": "Create an empty collection (a write key for `*` or for that name)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"name": {"type": "string", "pattern": NAME_PATTERN}},
                        }
                    }
                },
            },
            "responses": {
                "201": {"description": "Created"},
                "400": _error("Not a JSON object with a valid `name`"),
                "403": FORBIDDEN,
                "409": _error("A collection of that name exists (`exists`)"),
            },
        },
    },
    "/api/collections/{name}/documents": {
        "parameters": [_NAME_PARAMETER],
        "get": {
            "summary": "Every document of the collection with its status and metadata",
            "responses": {"200": _json("The documents", "Documents"), "404": NOT_FOUND},
        },
        "post": {
            "summary": "Upload files: acknowledged once their bytes are on disk, indexed in the background",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                                "metadata": {
                                    "type": "string",
                                    "description": "A JSON object of scalars, given to every file of the request",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": _json("Queued; poll the documents for their status", "Documents"),
                "400": _error("No file, a bad name or bad metadata"),
                "403": FORBIDDEN,
                "404": NOT_FOUND,
                "409": _error("The default collection is read-only over HTTP (`read_only`)"),
                "413": _error("Larger than RAGQA_MAX_FILE_BYTES a file or RAGQA_UPLOAD_MAX_FILES files"),
                "415": _error("A file of a kind ragqa does not read (checked by content, not only the suffix)"),
            },
        },
    },
    "/api/collections/{name}/documents/{id}": {
        "parameters": [_NAME_PARAMETER, _ID_PARAMETER],
        "get": {
            "summary": "One document and its status",
            "responses": {"200": _json("The document", "Document"), "404": NOT_FOUND},
        },
        "delete": {
            "summary": "Remove a document: `deleting` until it is out of the index",
            "responses": {"202": {"description": "Queued for removal"}, "403": FORBIDDEN, "404": NOT_FOUND},
        },
    },
    "/api/collections/{name}/reindex": {
        "parameters": [_NAME_PARAMETER],
        "post": {
            "summary": "Read and embed the collection's whole folder again, in the background",
            "responses": {"202": {"description": "Queued"}, "403": FORBIDDEN, "404": NOT_FOUND},
        },
    },
}
