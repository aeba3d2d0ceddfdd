"""Hybrid retrieval: FAISS dense search and BM25 over jieba tokens, fused by reciprocal rank.

Reciprocal rank fusion (Cormack et al., 2009) needs no score calibration between the two
retrievers, which matters because BM25 scores are unbounded and corpus-dependent.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from embeddings.index import DenseIndex
from qa.text import index_tokens

if TYPE_CHECKING:
    import bm25s

RRF_K = 60
CANDIDATES = 50  # per retriever, before fusion
BM25_DIR = "bm25"


@dataclass
class Hit:
    """One retrieved passage: its row in the index, the fused score and each side's evidence."""

    row: int
    score: float
    dense: float | None = None  # cosine similarity, when the dense side found it
    bm25: float | None = None


def build_bm25(texts: Sequence[str]) -> "bm25s.BM25":
    """Index texts for BM25 with the same tokenizer the questions will use."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG to stderr
    retriever = bm25s.BM25()
    retriever.index([index_tokens(t) for t in texts], show_progress=False)
    return retriever


def save_bm25(retriever: "bm25s.BM25", index_dir: Path) -> None:
    retriever.save(str(index_dir / BM25_DIR), show_progress=False)


def load_bm25(files: dict[str, bytes]) -> "bm25s.BM25":
    """Load BM25 from the verified bytes of its files (by name inside the bm25 folder).

    bm25s reads only from a folder, so the bytes go to a private temporary one: the index
    folder itself is never read a second time after its checksums were checked.
    """
    import tempfile

    import bm25s

    with tempfile.TemporaryDirectory(prefix="ragqa-bm25-") as tmp:
        for name, blob in files.items():
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
        return bm25s.BM25.load(tmp, show_progress=False, verbosity=0)


class Retriever:
    """Search the dense index and BM25 for a batch of questions and fuse the rankings."""

    def __init__(self, dense: DenseIndex, bm25: "bm25s.BM25", candidates: int = CANDIDATES, rrf_k: int = RRF_K) -> None:
        self.dense = dense
        self.bm25 = bm25
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
        bm25_rows, bm25_scores = self._bm25(questions, depth)
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
            found, found_scores = self.bm25.retrieve([known[i] for i in asked], k=depth, show_progress=False, n_threads=1)
            rows[asked], scores[asked] = found, found_scores
        return rows, scores

    def _vocab_row(self, token: str) -> int | None:
        col = self.bm25.vocab_dict.get(token)
        return col if col is not None and col < len(self._df) else None
