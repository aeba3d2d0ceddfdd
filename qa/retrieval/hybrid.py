"""Hybrid retrieval: FAISS dense search and BM25 over jieba tokens, fused by reciprocal rank.

Reciprocal rank fusion (Cormack et al., 2009) needs no score calibration between the two
retrievers, which matters because BM25 scores are unbounded and corpus-dependent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa.store.backend import LexicalSearch, VectorSearch
from qa.text import index_tokens

if TYPE_CHECKING:
    import bm25s

RRF_K = 60
CANDIDATES = 50  # per retriever, before fusion


@dataclass
class Hit:
    """One retrieved passage: its row in the index, the fused score and each side's evidence."""

    row: int
    score: float
    dense: float | None = None  # cosine similarity, when the dense side found it
    bm25: float | None = None


class Retriever:
    """Search the dense index and BM25 for a batch of questions and fuse the rankings."""

    def __init__(
        self,
        dense: VectorSearch,
        bm25: bm25s.BM25,
        candidates: int = CANDIDATES,
        rrf_k: int = RRF_K,
        lexical: LexicalSearch | None = None,
    ) -> None:
        """
        Args:
            lexical: a BM25 search elsewhere (Milvus' full-text search) instead of the local `bm25`, which
                still gives the term weights (`idf`).
        """
        self.dense = dense
        self.bm25 = bm25
        self.lexical = lexical
        self.candidates = candidates
        self.rrf_k = rrf_k
        indptr = np.asarray(bm25.scores["indptr"])
        self._df = np.diff(indptr)  # documents per vocabulary token (CSC columns)
        self._n_docs = int(bm25.scores.get("num_docs", dense.size)) or 1

    def idf(self, term: str) -> float:
        """Inverse document frequency of a token; unseen tokens count as the rarest."""
        col = self._vocab_row(term)
        df = int(self._df[col]) if col is not None else 0
        return math.log(1 + (self._n_docs - df + 0.5) / (df + 0.5))

    def search_many(self, questions: Sequence[str], vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """Top-k fused hits for each question (vectors are the encoded questions, same order)."""
        if self.dense.size == 0:
            return [[] for _ in questions]
        depth = min(max(self.candidates, k), self.dense.size)
        dense_scores, dense_rows = self.dense.search(vectors, depth)
        lexical = self.lexical.search if self.lexical is not None else self._bm25
        bm25_rows, bm25_scores = lexical(questions, depth)
        results = []
        for q in range(len(questions)):
            fused: dict[int, Hit] = {}
            for rank, (row, score) in enumerate(zip(dense_rows[q], dense_scores[q])):
                if row >= 0:
                    hit = fused.setdefault(int(row), Hit(int(row), 0.0))
                    hit.dense, hit.score = float(score), hit.score + 1.0 / (self.rrf_k + rank + 1)
            for rank, (row, score) in enumerate(zip(bm25_rows[q], bm25_scores[q])):
                if score > 0:  # bm25s pads with zero-score rows when few documents match
                    hit = fused.setdefault(int(row), Hit(int(row), 0.0))
                    hit.bm25, hit.score = float(score), hit.score + 1.0 / (self.rrf_k + rank + 1)
            results.append(sorted(fused.values(), key=lambda h: (-h.score, h.row))[:k])
        return results

    def _bm25(self, questions: Sequence[str], depth: int) -> tuple[np.ndarray, np.ndarray]:
        rows = np.zeros((len(questions), depth), dtype=np.int64)
        scores = np.zeros((len(questions), depth), dtype=np.float32)
        # Only tokens the index knows: bm25s rejects unknown ids, and they cannot score anyway.
        known = [[t for t in index_tokens(q) if self._vocab_row(t) is not None] for q in questions]
        asked = [i for i, tokens in enumerate(known) if tokens]
        if asked:
            found, found_scores = self.bm25.retrieve(
                [known[i] for i in asked], k=depth, show_progress=False, n_threads=1
            )
            rows[asked], scores[asked] = found, found_scores
        return rows, scores

    def _vocab_row(self, token: str) -> int | None:
        col = self.bm25.vocab_dict.get(token)
        return col if col is not None and col < len(self._df) else None
