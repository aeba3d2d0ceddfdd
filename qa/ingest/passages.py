"""Split documents into passages a reader can use: whole paragraphs, bounded in length.

A paragraph longer than `max_chars` is cut at sentence ends (a sentence that alone is too long
at clause marks, then hard); a very short paragraph is merged with the next one of its section,
so a one-line question such as 为何能做大做强？ travels with the paragraph that answers it.
Given the embedding model's `fits` test, a piece the model would truncate (more tokens than it
reads) is cut again with half the bound until it fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from qa.ingest import boxes
from qa.ingest.boxes import CharBoxes
from qa.ingest.documents import Box, Document
from qa.ingest.layout import Unit, document_units
from qa.text import is_cjk, split_sentences

MAX_CHARS = 400
MIN_CHARS = 40
_MIN_BOUND = 16  # below this a piece is kept as it is: nothing shorter reads as a passage
_CLAUSE_END = re.compile(r"[，、：,:]")


@dataclass
class Passage:
    id: str
    doc: str
    path: str
    title: str
    section: str
    kind: str  # body | caption
    text: str
    start: int  # code-point range of the passage in its source (file, or JSONL record's text)
    end: int
    page: int | None = None  # 1-based PDF page, slide or sheet it lies on (one: passages never cross a page)
    # Its characters' boxes on the page, one per code point of `text`, as `qa.ingest.boxes.encode` stores
    # them (PDFs and scans); None where the source has no geometry. Decoded only for the spans shown.
    boxes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("page", "boxes"):
            if data[optional] is None:
                del data[optional]  # records of unpaged sources stay as they were (and as older indexes hold them)
        return data

    def rectangles(self, start: int = 0, end: int | None = None) -> list[Box] | None:
        """The rectangles covering `text[start:end]` on its page (`qa.ingest.boxes.rectangles`); None
        where the passage has no boxes."""
        if self.boxes is None:
            return None
        return boxes.rectangles(boxes.decode(self.boxes)[start:end])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def embedding_text(self) -> str:
        """The text that is embedded and BM25-indexed: the article title gives short paragraphs context."""
        return embedding_text(self.title, self.section, self.text)


def embedding_text(title: str, section: str, text: str) -> str:
    head = " ".join(t for t in (title, section) if t)
    return f"{head}\n{text}" if head else text


def split_passages(
    docs: Iterable[Document],
    max_chars: int = MAX_CHARS,
    min_chars: int = MIN_CHARS,
    fits: Callable[[str], bool] | None = None,
) -> list[Passage]:
    """Turn documents into bounded passages with stable ids (`<doc>#<n>`).

    Args:
        fits: whether the model reads an embedding text whole (see `Encoder.fits`); None skips the check.
    """
    passages: list[Passage] = []
    for doc in docs:
        pieces: list[Unit] = []
        for unit in _merge_short(document_units(doc), min_chars, max_chars):
            pieces.extend(_fit(unit, max_chars, fits))
        for n, unit in enumerate(pieces):
            passages.append(
                Passage(
                    f"{doc.id}#{n}",
                    doc.id,
                    doc.path,
                    unit.title,
                    unit.section,
                    unit.kind,
                    unit.text,
                    unit.start,
                    unit.end,
                    unit.page,
                    None if unit.boxes is None else boxes.encode(unit.boxes),
                )
            )
    return passages


def _merge_short(units: list[Unit], min_chars: int, max_chars: int) -> list[Unit]:
    out: list[Unit] = []
    carry: Unit | None = None
    for unit in units:
        if carry is not None:
            same_place = (carry.title, carry.section, carry.kind, carry.page) == (
                unit.title,
                unit.section,
                unit.kind,
                unit.page,
            )
            if same_place and len(carry.text) + len(unit.text) < max_chars:
                sep = "" if is_cjk(carry.text[-1:] + unit.text[:1]) else " "
                text = carry.text + sep + unit.text
                joined = boxes.join([(len(carry.text), carry.boxes), (len(sep), None), (len(unit.text), unit.boxes)])
                unit = Unit(text, carry.start, unit.end, unit.title, unit.section, unit.kind, unit.page, joined)
            else:
                out.append(carry)
            carry = None
        if unit.kind == "body" and len(unit.text) < min_chars:
            carry = unit
        else:
            out.append(unit)
    if carry is not None:
        out.append(carry)
    return out


def _fit(unit: Unit, max_chars: int, fits: Callable[[str], bool] | None) -> list[Unit]:
    out: list[Unit] = []
    for piece in _bound(unit, max_chars):
        if fits is None or max_chars < 2 * _MIN_BOUND or fits(embedding_text(piece.title, piece.section, piece.text)):
            out.append(piece)
        else:
            out.extend(_fit(piece, max_chars // 2, fits))
    return out


def _bound(unit: Unit, max_chars: int) -> list[Unit]:
    if len(unit.text) <= max_chars:
        return [unit]
    spans = [piece for s, e in split_sentences(unit.text) for piece in _cut_long(unit.text, s, e, max_chars)]
    chunks: list[tuple[int, int]] = []
    for s, e in spans:
        if chunks and e - chunks[-1][0] <= max_chars:
            chunks[-1] = (chunks[-1][0], e)
        else:
            chunks.append((s, e))
    # Source offsets are exact only for a unit that is one contiguous, unaltered source run.
    exact = unit.end - unit.start == len(unit.text)
    return [
        Unit(
            unit.text[s:e],
            unit.start + s if exact else unit.start,
            unit.start + e if exact else unit.end,
            unit.title,
            unit.section,
            unit.kind,
            unit.page,
            _slice(unit.boxes, s, e),
        )
        for s, e in chunks
    ]


def _slice(char_boxes: CharBoxes | None, start: int, end: int) -> CharBoxes | None:
    return None if char_boxes is None else char_boxes[start:end]


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at clause marks, or hard when it has none."""
    out: list[tuple[int, int]] = []
    max_chars = max(1, max_chars)
    while end - start > max_chars:
        window = text[start : start + max_chars]
        marks = [m.end() for m in _CLAUSE_END.finditer(window)] or [m.end() for m in re.finditer(r"\s+", window)]
        cut = start + (marks[-1] if marks and marks[-1] > max_chars // 2 else max_chars)
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out
