"""An answer's boxes in a real PDF cover its characters: the shared documents' PDF questions, read by the
PDF reader and split into passages as an index keeps them, checked against the characters' own boxes
as pdfplumber reads them from the page (issue 30)."""

from __future__ import annotations

import io
import unicodedata

import pytest

from qa.ingest import boxes
from qa.ingest.passages import split_passages
from tests.unit.ingest.readers.real_documents import document, question_params, read_shared

TOLERANCE = 0.3  # points: boxes are stored to the tenth of a point


def _span(text: str, answer: str) -> tuple[int, int] | None:
    """The answer's code-point span in text, whitespace ignored on both sides (the documents' README)."""
    kept = [i for i, c in enumerate(text) if not c.isspace()]
    squeezed = "".join(text[i] for i in kept)
    wanted = "".join(answer.split())
    at = squeezed.find(wanted)
    return None if at < 0 else (kept[at], kept[at + len(wanted) - 1] + 1)


def _same(a: str, b: str) -> bool:
    return unicodedata.normalize("NFKC", a) == unicodedata.normalize("NFKC", b)


@pytest.mark.parametrize(
    "question", [q for q in question_params(".pdf") if q.values[0] is None or q.values[0]["kind"] != "scan"]
)
def test_answer_boxes_cover_its_characters_on_the_page(question: dict) -> None:
    import pdfplumber

    passages = split_passages(read_shared(question["file"]))
    found = [(p, span) for p in passages if p.page == question["page"] and (span := _span(p.text, question["answer"]))]
    if not found:  # a heading: passages carry it as their title or section, and no span of text is it
        headings = [p.title + p.section for p in passages if p.page == question["page"]]
        assert any(_span(h, question["answer"]) for h in headings), f"{question['answer']!r} is not on its page"
        pytest.skip("the answer is a heading, not a span of passage text")
    passage, (start, end) = found[0]
    assert passage.boxes is not None
    drawn = boxes.decode(passage.boxes)[start:end]
    rectangles = passage.rectangles(start, end)
    assert rectangles
    with pdfplumber.open(io.BytesIO(document(question["file"]))) as pdf:
        chars = [c for c in pdf.pages[question["page"] - 1].chars if c["text"].strip()]
    for char, box in zip(passage.text[start:end], drawn):
        if char.isspace():
            continue
        assert box is not None, f"{char!r} of {question['answer']!r} has no box"
        # The stored box is the character's own, as the page draws it ...
        own = [
            c
            for c in chars
            if _same(c["text"], char)
            and max(abs(a - b) for a, b in zip(box, (c["x0"], c["top"], c["x1"], c["bottom"]))) <= TOLERANCE
        ]
        assert own, f"{char!r} at {box} is no character of page {question['page']}"
        # ... and one of the answer's rectangles covers it.
        assert any(
            x0 - TOLERANCE <= box[0]
            and box[2] <= x1 + TOLERANCE
            and top - TOLERANCE <= box[1]
            and box[3] <= bottom + TOLERANCE
            for x0, top, x1, bottom in rectangles
        )
    # The rectangles are tight: each is its characters' union, not a larger area of the page.
    for x0, top, x1, bottom in rectangles:
        inside = [b for b in drawn if b and x0 - TOLERANCE <= b[0] <= x1 and top - TOLERANCE <= b[1] <= bottom]
        assert inside
        union = (
            min(b[0] for b in inside),
            min(b[1] for b in inside),
            max(b[2] for b in inside),
            max(b[3] for b in inside),
        )
        assert max(abs(a - b) for a, b in zip(union, (x0, top, x1, bottom))) <= TOLERANCE
