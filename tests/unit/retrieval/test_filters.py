"""Metadata filters: their JSON parsed against an index's fields, matched per document, turned into rows.

The documents are catalog entries written by hand (what `qa.ingest.metadata.of` stores); the real
index a build writes is filtered in tests/integration/retrieval/test_filters.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qa.errors import BadRequest
from qa.retrieval.filters import BOOLEAN, DATE, NUMBER, TEXT, Filter, fields_of
from qa.retrieval.hybrid import Retriever
from qa.retrieval.selection import Documents
from qa.store import bm25
from qa.store.catalog import Entry

METAS: list[dict[str, Any]] = [
    {"path": "a.pdf", "folder": "", "type": "pdf", "title": "A", "modified": "2024-03-01T10:00:00Z", "pages": 12},
    {"path": "r/b.docx", "folder": "r", "type": "docx", "title": "B", "modified": "2024-12-31T23:59:59Z"},
    {"path": "c.md", "folder": "", "type": "markdown", "title": "C", "modified": "2025-01-01T00:00:00Z"},
    {
        "path": "faq.jsonl",
        "folder": "",
        "type": "jsonl",
        "title": "Q1",
        "modified": "2023-06-01T00:00:00Z",
        "lang": "en",
        "year": 2021,
        "public": True,
        "published": "2021-05-04",
    },
    {
        "path": "faq.jsonl",
        "folder": "",
        "type": "jsonl",
        "title": "Q2",
        "modified": "2023-06-01T00:00:00Z",
        "lang": "zh",
        "year": 2019.5,
        "public": False,
        "published": "not yet",
    },
]
FIELDS = fields_of(METAS)


def matching(filters: object) -> list[str]:
    wanted = Filter.parse(filters, FIELDS)
    return [str(m["title"]) for m in METAS if wanted.matches(m)]


def test_a_fields_kind_is_the_built_in_one_or_what_every_value_is() -> None:
    assert (FIELDS["type"], FIELDS["modified"], FIELDS["pages"]) == (TEXT, DATE, NUMBER)
    assert (FIELDS["lang"], FIELDS["year"], FIELDS["public"]) == (TEXT, NUMBER, BOOLEAN)
    assert FIELDS["published"] is TEXT  # one value is not a date: the field is text


@pytest.mark.parametrize(
    "filters,titles",
    [
        ({"type": "pdf"}, ["A"]),
        ({"type": {"in": ["pdf", "docx"]}}, ["A", "B"]),
        ({"type": {"eq": "markdown"}}, ["C"]),
        ({"modified": {"gte": "2024-01-01", "lt": "2025-01-01"}}, ["A", "B"]),
        ({"modified": {"gt": "2024-12-31T23:59:59+00:00"}}, ["C"]),
        ({"modified": {"lte": "2024-03-01T11:00:00+01:00"}}, ["A", "Q1", "Q2"]),  # a zone is honoured
        ({"pages": {"lte": 12}}, ["A"]),  # documents without pages never match a condition on them
        ({"year": {"gte": 2020}}, ["Q1"]),
        ({"year": 2021}, ["Q1"]),
        ({"public": True}, ["Q1"]),
        ({"type": "jsonl", "lang": {"in": ["zh", "fr"]}}, ["Q2"]),  # keys are ANDed
        ({"folder": ""}, ["A", "C", "Q1", "Q2"]),
        ({"type": "pptx"}, []),
        ({}, ["A", "B", "C", "Q1", "Q2"]),
    ],
)
def test_filters_match_by_equality_one_of_and_ranges(filters: object, titles: list[str]) -> None:
    assert matching(filters) == titles


@pytest.mark.parametrize(
    "filters,code,says",
    [
        (["type", "pdf"], "invalid_filters", "JSON object"),
        ({"colour": "red"}, "unknown_filter_field", "colour"),
        ({"type": {"like": "p%"}}, "invalid_filter_operator", "like"),
        ({"type": {"gte": "a"}}, "invalid_filter_operator", "ranges"),
        ({"type": {}}, "invalid_filter_operator", "empty"),
        ({"pages": "ten"}, "invalid_filter_value", "number"),
        ({"pages": True}, "invalid_filter_value", "number"),
        ({"modified": {"gte": "last year"}}, "invalid_filter_value", "date"),
        ({"modified": {"gte": "2024-02-30"}}, "invalid_filter_value", "date"),
        ({"type": {"in": "pdf"}}, "invalid_filter_value", "list"),
        ({"type": {"in": []}}, "invalid_filter_value", "list"),
        ({"type": 3}, "invalid_filter_value", "text"),
        ({"public": "yes"}, "invalid_filter_value", "boolean"),
    ],
)
def test_a_bad_filter_is_refused_saying_what_is_wrong(filters: object, code: str, says: str) -> None:
    with pytest.raises(BadRequest) as caught:
        Filter.parse(filters, FIELDS)
    assert caught.value.status == 400 and caught.value.code == code
    assert says in caught.value.message


def entries(passages: list[int], metas: list[dict[str, Any]] | None = None) -> list[Entry]:
    given = METAS if metas is None else metas
    return [Entry(str(m["title"]), "h", n, meta=dict(m)) for m, n in zip(given, passages)]


def test_a_selection_is_the_rows_of_the_matching_documents() -> None:
    documents = Documents(entries([2, 1, 3, 1, 2]), 9)
    chosen = documents.select({"type": {"in": ["docx", "jsonl"]}})
    assert chosen.rows.tolist() == [2, 6, 7, 8] and chosen.to_dict() == {"documents": 3, "passages": 4}
    nothing = documents.select({"type": "pptx"})
    assert nothing.rows.tolist() == [] and nothing.documents == 0


def test_an_index_without_metadata_refuses_filters_and_says_how_to_get_them() -> None:
    old = [Entry("a", "h", 2), Entry("b", "h", 1)]
    for listed in (old, None):
        with pytest.raises(BadRequest) as caught:
            Documents(listed, 3).select({"type": "pdf"})
        assert caught.value.code == "filters_unavailable" and "ragqa index" in caught.value.message


PASSAGES = [
    "The 2023 report on solar power.",
    "Solar power in 2023 grew fast.",
    "Wind power report for 2022.",
    "A 2023 report on wind and solar.",
]


class _Dense:
    """Stands in for FAISS (its filtered search is tested against brute force in tests/unit/store): it ranks
    every allowed row, highest first, so the test sees that the retriever passes the candidates on."""

    size = len(PASSAGES)

    def search(self, vectors: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        allowed = np.arange(self.size) if rows is None else rows
        found = np.full((len(vectors), k), -1, np.int64)
        found[:, : min(k, len(allowed))] = allowed[::-1][:k]
        return np.ones(found.shape, np.float32), found


def test_every_ranking_of_a_filtered_search_keeps_to_the_candidates() -> None:
    retriever = Retriever(_Dense(), bm25.build(PASSAGES))  # type: ignore[arg-type]
    question = ['Which "2023 report" covers solar power?']
    vectors = np.zeros((1, 4), np.float32)
    [everything] = retriever.search_many(question, vectors, 4)
    assert {h.row for h in everything} == {0, 1, 2, 3}
    [filtered] = retriever.search_many(question, vectors, 4, np.array([1, 2]))
    assert {h.row for h in filtered} == {1, 2}
    assert any(h.bm25 for h in filtered)  # BM25 still votes, for the candidates only
    assert set(retriever.literal('the "2023 report"', 4)) == {0, 3}
    assert retriever.literal('the "2023 report"', 4, np.array([1, 3])) == [3]
    assert retriever.search_many(question, vectors, 4, np.zeros(0, np.int64)) == [[]]
