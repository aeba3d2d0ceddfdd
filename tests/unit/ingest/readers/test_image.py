"""The image reader: PNG, JPEG and TIFF files in a corpus folder read by the real OCR engine.

Images are drawn here with Pillow (English in Pillow's own font, so no test depends on a system
font). `read_corpus` runs with one worker: the files are parsed in this process, which keeps the
engine loaded across tests instead of loading it in a new worker process for each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from qa.ingest import readers
from qa.ingest.corpus import read_corpus
from qa.ingest.documents import Block, Document
from qa.ingest.readers import Skip, ocr
from qa.ingest.readers.image import ImageReader
from tests.unit.ingest.readers.drawn_text import SIZE, draw, encoded, latin_font

needs_ocr = pytest.mark.skipif(
    not ocr.available(), reason="OCR is not installed: pip install 'ragqa[ocr]' (make setup does)"
)
FIRST = "Scanned letters are read by OCR."
SECOND = "Each page of a TIFF is its own page."


def page(text: str) -> Image.Image:
    image, _ = draw([(60, 70, text)], latin_font())
    return image


def read_one(tmp_path: Path, name: str, data: bytes) -> Document:
    (tmp_path / name).write_bytes(data)
    report = read_corpus(tmp_path, workers=1)
    assert not report.skipped, report.skipped
    [doc] = report.documents
    assert_offsets(doc.blocks)
    return doc


def assert_offsets(blocks: list[Block]) -> None:
    """Each block is its slice of the source text (the blocks joined by blank lines) and boxes every character."""
    source = "\n\n".join(block.text for block in blocks)
    for block in blocks:
        assert source[block.start : block.end] == block.text
        assert block.boxes is not None and len(block.boxes) == len(block.text)


@needs_ocr
@pytest.mark.parametrize(
    ("name", "fmt", "options"),
    [("letter.png", "PNG", {}), ("letter.jpg", "JPEG", {"quality": 90}), ("letter.tiff", "TIFF", {})],
)
def test_an_image_in_a_corpus_is_one_document_read_by_ocr(
    tmp_path: Path, name: str, fmt: str, options: dict[str, Any]
) -> None:
    doc = read_one(tmp_path, name, encoded(page(FIRST), fmt, **options))

    assert (doc.kind, doc.path, doc.title) == ("image", name, "letter")
    [block] = doc.blocks
    assert block.text == FIRST
    assert block.page == 1
    assert block.boxes is not None and all(box is not None for box in block.boxes)


@needs_ocr
def test_each_frame_of_a_tiff_is_a_page(tmp_path: Path) -> None:
    data = encoded(page(FIRST), "TIFF", save_all=True, append_images=[page(SECOND)])

    doc = read_one(tmp_path, "scan.tif", data)

    # Case aside: in Pillow's default font a capital I is a bare stroke, which PP-OCRv5 may read as
    # "i" inside a capitalised word; what is tested here is that each frame is its own page.
    assert [(block.page, block.text.casefold()) for block in doc.blocks] == [
        (1, FIRST.casefold()),
        (2, SECOND.casefold()),
    ]


@needs_ocr
def test_boxes_are_in_points_at_the_dpi_the_image_records(tmp_path: Path) -> None:
    image = page(FIRST)
    (tmp_path / "plain").mkdir()
    (tmp_path / "dpi").mkdir()

    plain = read_one(tmp_path / "plain", "a.png", encoded(image, "PNG"))
    at_144 = read_one(tmp_path / "dpi", "a.png", encoded(image, "PNG", dpi=(144, 144)))

    pixels, points = plain.blocks[0].boxes, at_144.blocks[0].boxes
    assert pixels is not None and points is not None
    # No dpi: a pixel is a point (72 dpi). At 144 dpi: two pixels a point.
    for px, pt in zip(pixels, points):
        assert px is not None and pt is not None
        assert pt == pytest.approx(tuple(v / 2 for v in px), abs=0.5)


@needs_ocr
def test_a_large_photo_is_read_with_its_boxes_in_points(tmp_path: Path) -> None:
    # The same line at four times the size, recorded as 288 dpi: the same place on the page in points.
    small, [drawn] = draw([(60, 70, FIRST)], latin_font())
    large, _ = draw([(240, 280, FIRST)], latin_font(4 * SIZE), size=(4 * small.width, 4 * small.height))

    doc = read_one(tmp_path, "photo.jpg", encoded(large, "JPEG", quality=90, dpi=(288, 288)))

    [block] = doc.blocks
    assert block.text == FIRST
    assert block.boxes is not None
    first = block.boxes[0]
    assert first is not None
    x0, top, _x1, bottom = drawn.bbox  # at 72 dpi, pixels are points
    assert x0 - 3 <= first[0] <= drawn.spans[0][1] and top - 6 <= first[1] <= first[3] <= bottom + 6


@needs_ocr
def test_damaged_images_are_skipped_with_the_reason(tmp_path: Path) -> None:
    good = encoded(page(FIRST), "PNG")
    (tmp_path / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00not an image" * 20)
    (tmp_path / "truncated.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "blank.png").write_bytes(encoded(Image.new("RGB", (600, 400), "white"), "PNG"))
    (tmp_path / "fine.png").write_bytes(good)

    report = read_corpus(tmp_path, workers=1)

    why = dict(line.split(": ", 1) for line in report.skipped)
    assert "not a readable image" in why["garbage.png"]
    assert "not a readable image" in why["truncated.png"]
    assert "no text" in why["blank.png"]
    assert [doc.path for doc in report.documents] == ["fine.png"]


def test_without_ocr_an_image_is_skipped_saying_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "available", lambda: False)  # the package is installed here; this checks the message
    (tmp_path / "scan.png").write_bytes(encoded(page(FIRST), "PNG"))

    report = read_corpus(tmp_path, workers=1)

    assert report.documents == []
    [skipped] = report.skipped
    assert skipped.startswith("scan.png: ") and "pip install 'ragqa[ocr]'" in skipped


@pytest.mark.parametrize(
    ("fmt", "options"), [("PNG", {}), ("JPEG", {}), ("TIFF", {}), ("TIFF", {"compression": "tiff_lzw"})]
)
def test_images_are_recognised_by_their_bytes_whatever_their_name(fmt: str, options: dict[str, Any]) -> None:
    data = encoded(Image.new("L", (8, 8), 255), fmt, **options)

    assert isinstance(readers.choose("photo.bin", data), ImageReader)
    assert isinstance(readers.choose("photo.jpg", data), ImageReader)


def test_a_file_named_as_an_image_that_is_not_one_is_skipped() -> None:
    with pytest.raises(Skip, match=r"named \.png but its content is not"):
        readers.choose("photo.png", b"just some text")
