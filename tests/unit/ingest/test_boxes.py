"""Character boxes through passages: stored compactly, kept one per code point through splitting and
joining, and drawn as one rectangle per line (`qa.ingest.boxes`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.ingest import boxes
from qa.ingest.documents import Block, Document, content_hash
from qa.ingest.passages import Passage, split_passages

coordinate = st.floats(min_value=0, max_value=6553, allow_nan=False)
box = st.tuples(coordinate, coordinate, coordinate, coordinate)


@given(st.lists(st.one_of(st.none(), box), max_size=50))
def test_encoded_boxes_decode_to_the_tenth_of_a_point(drawn: list) -> None:
    back = boxes.decode(boxes.encode(drawn))
    assert len(back) == len(drawn)
    for was, now in zip(drawn, back):
        assert (was is None) == (now is None)
        if was is not None:
            assert max(abs(a - b) for a, b in zip(was, now)) <= 0.05 + 1e-9


def test_coordinates_off_the_page_are_clamped_not_wrapped() -> None:
    assert boxes.decode(boxes.encode([(-3.0, -0.5, 9000.0, 12.0)])) == ((0.0, 0.0, 6553.4, 12.0),)


@pytest.mark.parametrize("damaged", ["not base64!", "AAAA"])  # "AAAA" is 3 bytes: not whole boxes
def test_a_damaged_box_string_is_an_error(damaged: str) -> None:
    with pytest.raises(ValueError):
        boxes.decode(damaged)


def test_join_gives_separators_no_box_and_keeps_unboxed_text_unboxed() -> None:
    a, b = ((1.0, 1.0, 2.0, 2.0),), ((3.0, 1.0, 4.0, 2.0),)
    assert boxes.join([(1, a), (1, None), (1, b)]) == (a[0], None, b[0])
    assert boxes.join([(3, None), (2, None)]) is None


def test_rectangles_are_one_per_line_in_reading_order() -> None:
    line1 = [(10.0 + 6 * i, 100.0, 16.0 + 6 * i, 110.0) for i in range(5)]
    line2 = [(10.0 + 6 * i, 112.0, 16.0 + 6 * i, 122.0) for i in range(3)]
    other_column = [(300.0, 100.0, 306.0, 110.0)]
    got = boxes.rectangles([*line1, None, *line2, *other_column])
    assert got == [(10.0, 100.0, 40.0, 110.0), (10.0, 112.0, 28.0, 122.0), (300.0, 100.0, 306.0, 110.0)]
    assert boxes.rectangles([None, None]) == []


def _numbered(texts: list[str], page: int = 1) -> list[Block]:
    """Blocks whose every character's box names it: x0 its position, top its block."""
    out, pos = [], 0
    for n, text in enumerate(texts):
        drawn = tuple((float(i), float(n), float(i) + 1, float(n) + 1) for i in range(len(text)))
        out.append(Block(text, pos, pos + len(text), page=page, boxes=drawn))
        pos += len(text) + 2
    return out


@pytest.mark.parametrize("kind", ["pdf", "text"])  # marked headings, and plain text's repair of broken paragraphs
def test_every_passage_character_keeps_its_own_box(kind: str) -> None:
    texts = [
        "短段。",  # short: merged with the next
        "这是一个被分页打断的句子，它在下一个块",  # no sentence end: rejoined with the next
        "里继续并且结束。",
        "A long English paragraph that must be cut at sentence ends. " * 12,  # over max_chars: bounded
    ]
    blocks = _numbered(texts)
    passages = split_passages([Document("d", "d.pdf", "D", blocks, kind=kind)], max_chars=120, min_chars=8)
    assert len(passages) >= 3
    seen = 0
    for passage in passages:
        assert passage.boxes is not None
        drawn = boxes.decode(passage.boxes)
        assert len(drawn) == len(passage.text)
        for char, where in zip(passage.text, drawn):
            if where is None:
                assert char in " \n"  # only what joining inserted has no place on the page
                continue
            seen += 1
            assert texts[int(where[1])][int(where[0])] == char
    assert seen >= sum(len(t.strip()) for t in texts) - 20  # spaces dropped at cuts aside, every character


def test_passage_records_carry_boxes_only_where_the_source_has_them() -> None:
    drawn = split_passages(
        [Document("d", "d.pdf", "D", _numbered(["一段有位置的文字，足够长可以独立成段落。"]), kind="pdf")]
    )
    plain = split_passages([Document("t", "t.txt", "T", [Block("一段没有位置的文字，足够长可以独立成段落。", 0, 21)])])
    assert Passage.from_dict(drawn[0].to_dict()) == drawn[0]
    assert drawn[0].rectangles(0, 2) == [(0.0, 0.0, 2.0, 1.0)]
    assert "boxes" not in plain[0].to_dict() and plain[0].rectangles() is None


def test_a_document_laid_out_anew_with_the_same_text_changes_its_hash() -> None:
    blocks = _numbered(["同样的文字"])
    moved = [
        Block(b.text, b.start, b.end, page=1, boxes=tuple((x0 + 5, t, x1 + 5, bt) for x0, t, x1, bt in b.boxes or ()))
        for b in blocks
    ]
    unboxed = [Block(b.text, b.start, b.end, page=1) for b in blocks]
    hashes = {content_hash(Document("d", "d.pdf", "D", bs, kind="pdf")) for bs in (blocks, moved, unboxed)}
    assert len(hashes) == 3
