"""Every kind of page that can be shown (`qa.ingest.page_view.VIEWS`) keeps one contract: its size in
the points its boxes are measured in, a picture in that page's proportions no larger than LONG_SIDE,
and PageUnavailable (never another error) for a page it does not have or a file it cannot open."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qa.ingest.page_view import LONG_SIDE, VIEWS, PageUnavailable
from tests.unit.ingest.readers import pdf_samples


def _tiff(pages: int, dpi: int) -> bytes:
    """A scan of `pages` frames, A4 at `dpi`, each with a dark bar where a line of text would be."""
    frames = []
    for n in range(pages):
        frame = Image.new("RGB", (int(8.27 * dpi), int(11.69 * dpi)), "white")
        frame.paste((20, 20, 20), (dpi, dpi * (n + 1), dpi * 4, dpi * (n + 1) + dpi // 5))
        frames.append(frame)
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], dpi=(dpi, dpi))
    return out.getvalue()


SAMPLES = {
    "pdf": (lambda: pdf_samples.running_headers(), 4, (pdf_samples.WIDTH, pdf_samples.HEIGHT)),
    "image": (lambda: _tiff(2, 150), 2, (8.27 * 72, 11.69 * 72)),
}


@pytest.fixture(params=sorted(VIEWS))
def kind(request: pytest.FixtureRequest) -> str:
    assert set(SAMPLES) == set(VIEWS), "a new kind of page view needs its sample here"
    return request.param


def test_size_is_in_points_and_the_picture_keeps_its_proportions(kind: str) -> None:
    make, pages, (width, height) = SAMPLES[kind]
    data, view = make(), VIEWS[kind]
    for page in range(1, pages + 1):
        size = view.size(data, page)
        assert (size.width, size.height) == pytest.approx((width, height), abs=1.0)
        drawn = view.picture(data, page)
        assert drawn.size == size
        with Image.open(io.BytesIO(drawn.png)) as image:
            assert max(image.size) <= LONG_SIDE
            assert image.size[1] / image.size[0] == pytest.approx(height / width, rel=0.01)


def test_a_page_it_does_not_have_is_unavailable(kind: str) -> None:
    make, pages, _ = SAMPLES[kind]
    data = make()
    for page in (0, pages + 1):
        with pytest.raises(PageUnavailable):
            VIEWS[kind].size(data, page)
        with pytest.raises(PageUnavailable):
            VIEWS[kind].picture(data, page)


@pytest.mark.parametrize("damaged", [b"", b"%PDF-1.7 cut short", b"\x89PNG\r\n\x1a\n\x00\x00", b"II*\x00 broken"])
def test_a_file_it_cannot_open_is_unavailable(kind: str, damaged: bytes) -> None:
    with pytest.raises(PageUnavailable):
        VIEWS[kind].picture(damaged, 1)
