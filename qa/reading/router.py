"""Which reader reads a question, and the readers a pipeline is assembled from.

Each trained reader says in its settings which questions it is given (`questions`: "chinese",
"other" or "any"), chosen from measured reading, not from its base. The default reader, over
multilingual-e5-small, reads every question; the reader over m3e-small (Chinese vocabulary:
capitalised English words are [UNK] to it) reads only Chinese ones (docs/quality.md). A route no
trained reader takes goes to the heuristic reader, which reads through the multilingual embedding
model and also stands in where a trained reader abstains. Each reader keeps its own policy (no-answer
threshold, retrieval weight): their scores live on different scales.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import ModelNotFound
from qa.reading.heuristic import HeuristicReader
from qa.reading.reader import Policy, Reader, Reading, Scored
from qa.text import is_mostly_cjk

if TYPE_CHECKING:
    from embeddings.encoder import Encoder
    from qa.reading.trained.reader import ExtractiveReader

log = logging.getLogger(__name__)

# The readers trained and calibrated for this project (models/*/README.md). The multilingual one
# reads every question (its reader.json says which it takes); reader-m3e-small, faster and smaller
# but weaker, is there to name with RAGQA_READER, which names one folder instead of these.
MODELS = Path(__file__).resolve().parents[2] / "models"
DEFAULT_READER = MODELS / "reader-e5-small"
DEFAULT_READERS = (DEFAULT_READER,)
HEURISTIC = "heuristic"  # the reader setting for no trained reader at all


class ScriptRouter:
    """Questions mostly in Chinese characters to `han`, all others to `other`, each under its own
    policy; `fallback` (the heuristic reader) answers where a trained reader abstains."""

    def __init__(self, han: Reader, other: Reader, fallback: Reader) -> None:
        self.han, self.other = han, other
        self._fallback = fallback

    @property
    def name(self) -> str:
        if self.han is self.other:
            return f"{self.han.name} (all questions)"
        return f"{self.han.name} (Chinese questions), {self.other.name} (others)"

    @property
    def fallback(self) -> Reader:
        """The reader asked when a trained one abstains on a question routed to it."""
        return self._fallback

    def policy(self, question: str) -> Policy:
        return self.route(question).policy(question)

    def route(self, question: str) -> Reader:
        return self.han if is_mostly_cjk(question) else self.other

    def read_many(
        self,
        questions: Sequence[str],
        passages: Sequence[Sequence[str]],
        question_vectors: np.ndarray | None = None,
        sentences: Scored | None = None,
    ) -> list[list[Reading]]:
        readings: list[list[Reading]] = [[] for _ in questions]
        groups: dict[int, tuple[Reader, list[int]]] = {}  # one call per reader: one reader may take both routes
        for i, question in enumerate(questions):
            reader = self.route(question)
            groups.setdefault(id(reader), (reader, []))[1].append(i)
        for reader, rows in groups.values():
            vectors = None if question_vectors is None else question_vectors[rows]
            scored = None if sentences is None else [sentences[i] for i in rows]
            found = reader.read_many([questions[i] for i in rows], [passages[i] for i in rows], vectors, scored)
            for i, reading in zip(rows, found):
                readings[i] = reading
        return readings


def reader_folders(setting: str | Path | None) -> list[Path]:
    """The trained readers a setting names: a folder, HEURISTIC for none, or None for the shipped ones."""
    if setting is None or str(setting) == "":
        return [folder for folder in DEFAULT_READERS if (folder / "reader.json").is_file()]
    return [] if str(setting) == HEURISTIC else [Path(setting)]


def load_trained(
    setting: str | Path | None,
    inference: str | None = None,
    threads: int | None = None,
    encoder: Encoder | None = None,
) -> list[ExtractiveReader]:
    """The trained readers a setting names, loaded on the `inference` engine ("torch", "onnx",
    "onnx-int8"; None: torch). A shipped reader whose base model is not installed is skipped with a
    warning; a reader the user named that cannot load is an error. A reader over the embedding
    model `encoder` shares its tokenizer."""
    from qa.reading.trained.loading import load_reader

    explicit = setting not in (None, "")
    readers = []
    for folder in reader_folders(setting):
        try:
            known = (encoder.model_id, encoder.tokenizer) if encoder is not None else None
            readers.append(load_reader(folder, inference=inference, threads=threads, known=known))
        except (OSError, ValueError, KeyError, TypeError, ModelNotFound) as exc:
            if explicit:
                raise ModelNotFound(
                    f"cannot load the reader at {folder} ({exc}); train one with `ragqa train-reader`"
                ) from exc
            log.warning("the default reader at %s is not usable (%s); using the heuristic reader", folder, exc)
    return readers


def assemble(heuristic: HeuristicReader, trained: Sequence[ExtractiveReader], encoder: Encoder) -> Reader:
    """The reader a pipeline asks: the heuristic reader alone, or the trained readers routed by
    script with the heuristic reader for the routes none takes and as their fallback."""
    if not trained:
        return heuristic
    from qa.reading.trained.loading import share_word_embeddings

    for reader in trained:
        # A reader over the embedding model's own base reads with its word-embedding matrix instead
        # of a second copy (multilingual-e5-small: 384 MB a process).
        share_word_embeddings(reader, encoder.model)
    han = next((r for r in trained if r.settings.questions in ("chinese", "any")), heuristic)
    other = next((r for r in trained if r.settings.questions in ("other", "any")), heuristic)
    return ScriptRouter(han, other, fallback=heuristic)
