"""A page of a source document as a picture, so a person can see an answer where it stands.

The readers that give characters boxes (`qa.ingest.boxes`) are the ones whose pages can be shown:
PDFs, rendered by PDFium (pypdfium2, which the PDF reader already uses for scanned pages), and
images, the frame itself. Both say a page's size in the points the boxes are in, so a viewer
places a box at `box / size` of the picture whatever its pixels.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

# Pixels across the longest side of a shown page: sharp on a laptop's screen at full width, a few
# hundred kilobytes of PNG for a text page.
LONG_SIDE = 1600


@dataclass(frozen=True)
class PageSize:
    width: float  # points
    height: float


@dataclass(frozen=True)
class PagePicture:
    png: bytes
    size: PageSize  # of the page in points, as its boxes are measured


class PageSource(Protocol):
    """One kind of document whose pages can be shown (keyed by the reader's name in `VIEWS`)."""

    def size(self, data: bytes, page: int) -> PageSize:
        """The page's size in points (1-based page). Raises PageUnavailable."""
        ...

    def picture(self, data: bytes, page: int) -> PagePicture:
        """The page drawn as a PNG no larger than LONG_SIDE pixels. Raises PageUnavailable."""
        ...


class PageUnavailable(Exception):
    """The file no longer holds the page (changed or damaged since it was indexed)."""


class PdfPages:
    def size(self, data: bytes, page: int) -> PageSize:
        with _pdf_page(data, page) as drawn:
            width, height = drawn.get_size()  # as shown: PDFium turns a rotated page's size too
            return PageSize(float(width), float(height))

    def picture(self, data: bytes, page: int) -> PagePicture:
        with _pdf_page(data, page) as drawn:
            width, height = drawn.get_size()
            bitmap = drawn.render(scale=LONG_SIDE / max(width, height, 1.0))
            return PagePicture(_png(bitmap.to_pil()), PageSize(float(width), float(height)))


class ImagePages:
    def size(self, data: bytes, page: int) -> PageSize:
        return self._frame(data, page)[1]

    def picture(self, data: bytes, page: int) -> PagePicture:
        frame, size = self._frame(data, page)
        frame = frame.convert("RGB")  # a copy: the decoded frame may be a palette or 16-bit image
        frame.thumbnail((LONG_SIDE, LONG_SIDE))
        return PagePicture(_png(frame), size)

    @staticmethod
    def _frame(data: bytes, page: int) -> tuple[Any, PageSize]:
        # The image reader's own decoding, so the page is the one its boxes were measured on.
        from qa.ingest.readers import image as reader

        try:
            opened, count = reader.open_image(data)
        except Exception as exc:
            raise PageUnavailable(str(exc)) from None
        if not 1 <= page <= count:
            raise PageUnavailable(f"the image has {count} page(s), not {page}")
        try:
            frame, scale = reader.upright_page(opened, page - 1)
        except Exception as exc:  # Pillow's many decoding errors (see the image reader)
            raise PageUnavailable(f"page {page} cannot be decoded ({type(exc).__name__})") from None
        width, height = frame.size
        return frame, PageSize(width / scale, height / scale)


VIEWS: dict[str, PageSource] = {"pdf": PdfPages(), "image": ImagePages()}


@contextmanager
def _pdf_page(data: bytes, page: int) -> Iterator[Any]:
    """A PDF page, open while the `with` lasts (PDFium wants a page closed before its document)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PageUnavailable(f"the PDF cannot be opened ({exc})") from None
    try:
        if not 1 <= page <= len(document):
            raise PageUnavailable(f"the PDF has {len(document)} page(s), not {page}")
        drawn = document[page - 1]
        try:
            yield drawn
        finally:
            drawn.close()
    finally:
        document.close()


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    # 128 colours: a text page's PNG is a third of its full-colour size, and quicker to make.
    image.convert("RGB").quantize(colors=128).save(out, format="PNG", compress_level=6)
    return out.getvalue()
