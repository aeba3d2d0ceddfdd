"""Show in document (`/context`, `/context/page`): a PDF's page drawn with the passage and the answer
boxed, and every other kind's text with the answer highlighted under its own headings (issue 30).
A real index over a PDF (reportlab, two pages) and a plain-text page of two articles."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from tests.unit.ingest.readers import pdf_samples
from web import create_app

NEWS = """海边小城

海边小城的老市场建于一百年前，渔民每天早上在这里出售新鲜的渔获，山里的商人带来羊毛和奶酪。

山城新闻

山城的图书馆今年扩建，新馆藏书达到十二万册，每天开放十个小时。
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, encoder):
    work = tmp_path_factory.mktemp("context")
    corpus = work / "corpus"
    corpus.mkdir()
    (corpus / "town.pdf").write_bytes(pdf_samples.running_headers())
    (corpus / "news.txt").write_text(NEWS, encoding="utf-8")
    build_index(corpus, work / "index", encoder)
    pipeline = Pipeline.load(work / "index", encoder=encoder)
    app = create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": str(work / "feedback.sqlite3")}, pipeline=pipeline)
    return app.test_client(), pipeline, corpus


def _passage(pipeline: Pipeline, path: str, holding: str):
    return next(p for p in pipeline.passages if p.path == path and holding in p.text)


def _context(client, passage, start: int | None = None, end: int | None = None):
    span = "" if start is None else f"&start={start}&end={end}"
    return client.get(f"/context?passage={quote(passage.id, safe='')}&lang=en{span}")


def test_pdf_answers_and_passages_carry_their_boxes(served) -> None:
    client, pipeline, _ = served
    data = client.post("/api/ask", json={"question": "What does the third chapter explain?"}).get_json()
    by_id = {p.id: p for p in pipeline.passages}
    for shown in data["passages"]:
        passage = by_id[shown["id"]]
        if passage.path == "town.pdf":
            assert shown["boxes"] == [list(r) for r in passage.rectangles() or []] and shown["boxes"]
        else:
            assert "boxes" not in shown  # a text file has no geometry
    answer = data["answer"]
    assert answer is not None and by_id[answer["passage_id"]].path == "town.pdf", data
    assert answer["page"] == 3
    assert answer["boxes"] == [list(r) for r in by_id[answer["passage_id"]].rectangles(answer["start"], answer["end"])]


def test_show_in_document_draws_the_page_with_the_answer_boxed(served) -> None:
    client, pipeline, _ = served
    passage = _passage(pipeline, "town.pdf", "third chapter")
    start = passage.text.index("revenue and profit")
    end = start + len("revenue and profit")
    html = _context(client, passage, start, end).get_data(as_text=True)
    view = re.search(r'<svg viewBox="0 0 ([\d.]+) ([\d.]+)"', html)
    assert view and (float(view[1]), float(view[2])) == pytest.approx(pdf_samples.A4, abs=0.5)
    answer_rects = re.findall(r'<rect class="answer-box" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"', html)
    expected = passage.rectangles(start, end) or []
    assert len(answer_rects) == len(expected) == 1
    assert float(answer_rects[0][0]) == pytest.approx(expected[0][0] - 1, abs=0.1)
    assert html.count('class="passage-box"') == len(passage.rectangles() or [])
    assert '<mark class="hl-answer">revenue and profit</mark>' in html
    # The picture is that page, drawn in the page's proportions.
    src = re.search(r'<image href="([^"]+)"', html)[1].replace("&amp;", "&")  # type: ignore[index]
    picture = client.get(src)
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    from PIL import Image

    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.size[1] / image.size[0] == pytest.approx(pdf_samples.HEIGHT / pdf_samples.WIDTH, rel=0.01)
        # Page 3 shows its own body text, not a blank or another page: dark pixels where the answer's box is.
        x0, top, x1, bottom = expected[0]
        scale = image.size[0] / pdf_samples.WIDTH
        crop = image.convert("L").crop((int(x0 * scale), int(top * scale), int(x1 * scale), int(bottom * scale)))
        assert min(crop.getdata()) < 100


def test_a_file_gone_or_changed_since_indexing_shows_the_text_only(served, tmp_path: Path, monkeypatch) -> None:
    client, pipeline, _ = served
    passage = _passage(pipeline, "town.pdf", "third chapter")
    monkeypatch.setitem(pipeline.index.manifest["corpus"], "path", str(tmp_path))  # the files are not there
    html = _context(client, passage).get_data(as_text=True)
    assert "<svg viewBox" not in html and 'id="cited"' in html
    assert client.get(f"/context/page?passage={quote(passage.id, safe='')}").status_code == 404
    # Another PDF under the same name, its pages smaller than the boxes: refused, not drawn wrong.
    # The same pages with other bytes (an edited file whose boxes would still fit): refused by its digest.
    (tmp_path / "town.pdf").write_bytes(pdf_samples.running_headers() + b"\n%edited after indexing\n")
    page = client.get(f"/context/page?passage={quote(passage.id, safe='')}")
    assert page.status_code == 404 and "changed since it was indexed" in page.get_data(as_text=True)
    (tmp_path / "town.pdf").unlink()
    (tmp_path / "town.pdf").write_bytes(_small_pdf())
    assert "<svg viewBox" not in _context(client, passage).get_data(as_text=True)
    page = client.get(f"/context/page?passage={quote(passage.id, safe='')}")
    assert page.status_code == 404 and "changed since it was indexed" in page.get_data(as_text=True)


def _small_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(100, 100))
    for _ in range(4):
        c.drawString(10, 10, "small")
        c.showPage()
    c.save()
    return out.getvalue()


def test_text_shows_the_answer_under_its_own_article(served) -> None:
    client, pipeline, _ = served
    passage = _passage(pipeline, "news.txt", "十二万册")
    start = passage.text.index("十二万册")
    html = _context(client, passage, start, start + 4).get_data(as_text=True)
    assert "<svg" not in html
    cited = re.search(r'<p id="cited"[^>]*>(.*?)</p>', html, flags=re.S)
    assert cited and '<mark class="hl-answer">十二万册</mark>' in cited[1]
    # Under the heading it stands under (the page's layout makes the second headline a section here),
    # not under the first article's title alone.
    headings = re.findall(r"<h[23]>(.*?)</h[23]>", html[: cited.start()])
    assert headings[-1] == "山城新闻" and headings[0] == "海边小城"


@pytest.mark.parametrize("span", ["&start=5&end=2", "&start=a&end=3", "&start=0&end=100000", "&start=1"])
def test_a_bad_answer_span_is_a_readable_error(served, span: str) -> None:
    client, pipeline, _ = served
    passage = _passage(pipeline, "news.txt", "十二万册")
    response = client.get(f"/context?passage={quote(passage.id, safe='')}{span}")
    assert response.status_code == 400 and "start and end" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_text_passage_has_no_page_to_draw(served) -> None:
    client, pipeline, _ = served
    passage = _passage(pipeline, "news.txt", "十二万册")
    response = client.get(f"/context/page?passage={quote(passage.id, safe='')}")
    assert response.status_code == 404
