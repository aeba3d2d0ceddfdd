"""Scans and photos of text (PNG, JPEG, TIFF) read by OCR (`qa.ingest.readers.ocr`); each frame of a TIFF a page.

An image is one document of kind "image": its paragraphs are blocks on their page (1 for PNG and
JPEG) with a box per character in points (1/72 inch) from the image's top-left, its pixels taken
at the dpi the file records, or at 72 dpi (a pixel a point) when it records none. The source text
is the blocks joined by blank lines. Each frame has a time limit (`qa.ingest.readers.page_clock`):
a frame past it is reported and skipped, and an image with one frame is skipped saying so.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
from typing import TYPE_CHECKING, Any

from qa.ingest.documents import Block, Document
from qa.ingest.readers.page_clock import PageOver, current
from qa.ingest.readers.reader import Problems, Skip
from qa.ingest.readers.text import stem_title

if TYPE_CHECKING:
    from PIL import Image

NOT_INSTALLED = "a scanned image: OCR is not installed; install it with `pip install 'ragqa[ocr]'` (make setup does)"
_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
_OBJECT = re.compile(r" ?<[\w.]+ object at 0x[0-9a-f]+>")  # Pillow names the buffer it read: noise to a user


class ImageReader:
    name = "image"
    suffixes = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
    binary = True

    def sniff(self, data: bytes) -> bool:
        return data.startswith(_MAGIC)

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        from qa.ingest.readers import ocr

        if not ocr.available():
            raise Skip(NOT_INSTALLED)
        image, count = open_image(data)
        with image:
            try:
                ocr.warm_up()  # only once an image opens: a damaged file costs no model load
            # Whatever stops the engine from starting (a missing system library under OpenCV, a damaged
            # model file) stops every image alike; it is said once, here, as the reason.
            except Exception as exc:
                raise Skip(
                    f"OCR could not start ({_reason(exc)}); reinstall it with `pip install 'ragqa[ocr]'`"
                ) from None
            blocks = _read_pages(rel, image, count, problems)
        if not blocks:
            raise Skip("OCR found no text in the image")
        return [Document(rel, rel, stem_title(rel), blocks, kind=self.name)]


# Pillow's decoders raise many kinds of error for a damaged or cut-short file (OSError, SyntaxError,
# ValueError, EOFError, DecompressionBombError...), and so may OpenCV and ONNX Runtime on a strange
# image: in open_image and _read_pages any of them means this image, or this page of it, cannot be read.


def open_image(data: bytes) -> tuple[Image.Image, int]:
    """The image (not yet decoded) and its number of pages; Skip when it cannot be opened."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        count = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1  # an animated PNG is one picture
    except Exception as exc:
        raise Skip(f"not a readable image ({_reason(exc)}); it may be damaged or cut short") from None
    return image, count


def _read_pages(rel: str, image: Image.Image, count: int, problems: Problems) -> list[Block]:
    from qa.ingest.readers.ocr import ocr_page

    blocks: list[Block] = []
    failed = ""
    slow: PageOver | None = None
    clock = current()
    for number in range(1, count + 1):
        try:
            with clock.page(number):
                page, scale = upright_page(image, number - 1)
                found = ocr_page(page, number, scale)
        except PageOver as exc:
            slow = exc
            if count > 1:
                problems(f"{rel}:page {number}", f"OCR {exc}")
            continue
        except Exception as exc:
            failed = failed or _reason(exc)
            if count > 1:
                problems(f"{rel}:page {number}", f"cannot be read ({_reason(exc)}); the page is skipped")
            continue
        base = blocks[-1].end + 2 if blocks else 0  # after the blank line that joins blocks
        blocks.extend(dataclasses.replace(b, start=b.start + base, end=b.end + base) for b in found)
    if failed and (count == 1 or not blocks):
        raise Skip(f"not a readable image ({failed}); it may be damaged or cut short")
    if slow is not None and not blocks:
        raise Skip(f"OCR {slow}" if count == 1 else f"none of its {count} pages could be read: OCR {slow}")
    return blocks


def upright_page(image: Image.Image, index: int) -> tuple[Image.Image, float]:
    """One frame decoded and turned upright as a camera's orientation tag says, and its pixels per point."""
    from PIL import ImageOps

    from qa.ingest.readers.ocr import LONG_SIDE

    image.seek(index)
    scale = _scale(image)
    width, height = image.size
    if image.format == "JPEG" and max(width, height) > LONG_SIDE:
        # A large photo decodes at a half, a quarter or an eighth of its size, no smaller than OCR
        # reads it: the pixels the engine would shrink away are never decoded into memory.
        shrink = LONG_SIDE / max(width, height)
        image.draft(None, (math.ceil(width * shrink), math.ceil(height * shrink)))
    image.load()
    return ImageOps.exif_transpose(image) or image, scale * image.size[0] / width


def _scale(image: Image.Image) -> float:
    """Pixels per point: the dpi the file records over 72, or 1 (72 dpi) when it records none or nonsense."""
    dpi: Any = image.info.get("dpi")
    try:
        x = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    except (TypeError, ValueError, IndexError, ZeroDivisionError):  # none recorded, or a broken ratio
        return 1.0
    return x / 72 if 10 <= x <= 10_000 else 1.0


def _reason(exc: BaseException) -> str:
    text = _OBJECT.sub("", str(exc)).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
