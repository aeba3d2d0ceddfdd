"""Which passages a filter leaves: the candidate set a filtered search is restricted to.

A version's document list (`qa.store.catalog`) holds every document's metadata and passage count in
passage order, so a document's passages are one run of rows; the rows of the documents a filter
matches are the only ones the dense search, BM25 and the literal ranking may return
(`qa.retrieval.hybrid.Retriever`). A version written before documents carried metadata cannot be
filtered: asking is refused with what to do (`filters_unavailable`), never answered unfiltered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.errors import BadRequest
from qa.retrieval.filters import Filter, fields_of
from qa.store.catalog import Entry


@dataclass(frozen=True)
class Selection:
    """The passages a filter leaves: ascending rows into the version's records, and how many documents."""

    rows: np.ndarray
    documents: int

    def to_dict(self) -> dict[str, int]:
        """What a filtered response says it searched (`"filtered"` in `/api/ask` and `/api/search`)."""
        return {"documents": self.documents, "passages": len(self.rows)}


class Documents:
    """A version's documents with their metadata and rows, built once per pipeline, filtered per request."""

    def __init__(self, entries: Sequence[Entry] | None, passages: int) -> None:
        self.entries = list(entries or [])
        self.why_not = _why_not(entries, passages)
        self.fields = fields_of(e.meta or {} for e in self.entries)
        starts = np.cumsum([0] + [e.passages for e in self.entries])
        self._spans = list(zip(starts[:-1].tolist(), starts[1:].tolist()))

    def select(self, filters: Any) -> Selection:
        """The rows of the documents matching `filters` (a filter's JSON); raises BadRequest for a bad filter,
        or for a version that cannot be filtered."""
        if self.why_not is not None:
            raise BadRequest(self.why_not, code="filters_unavailable")
        wanted = Filter.parse(filters, self.fields)
        spans = [span for entry, span in zip(self.entries, self._spans) if wanted.matches(entry.meta or {})]
        rows = [np.arange(start, end, dtype=np.int64) for start, end in spans]
        return Selection(np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64), len(spans))


def _why_not(entries: Sequence[Entry] | None, passages: int) -> str | None:
    rebuild = "; rebuild it with `ragqa index` (or `ragqa index --update`) to filter"
    if entries is None or any(e.meta is None for e in entries):
        return "this index was built before documents carried metadata" + rebuild
    if sum(e.passages for e in entries) != passages:
        return "this index's document list does not match its passages" + rebuild
    return None
