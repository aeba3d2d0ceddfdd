"""Small PDFs for the cases the shared documents lack, written with reportlab the way PDF tools lay out pages.

Each function returns a PDF's bytes: two columns, running headers and footers, a hyphenated
paragraph, a ruled table with a caption, headings, an encrypted file, a page that is only an image.
Text is set line by line at fixed places, as word processors and typesetters emit it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

reportlab = pytest.importorskip("reportlab", reason="reportlab writes the test PDFs: pip install reportlab")

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.utils import simpleSplit  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402
from reportlab.platypus import Table, TableStyle  # noqa: E402

WIDTH, HEIGHT = A4
CJK_FONT = "STSong-Light"  # one of reportlab's built-in Adobe CID fonts: no font file needed
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

ENGLISH_LEFT = (
    "Alpha column opens the story. The harbour town grew around its old market, where fishermen sold the "
    "morning catch and traders from the hills brought wool and cheese. The market hall was rebuilt twice, "
    "once after a fire and once after a storm, and both times the town paid for it together. Alpha column ends here."
)
ENGLISH_RIGHT = (
    "Omega column continues it. Each spring the town holds a fair that fills the square with music, and the "
    "council counts the visitors to plan the next year. Last year more people came than ever, and the buses "
    "from the city ran every hour until midnight to bring them home again. Omega column ends here."
)
CHINESE_LEFT = (
    "甲栏开头：海港小镇围绕旧市场发展起来，渔民在这里出售清晨的渔获，山里的商人带来羊毛和奶酪。"
    "市场大厅重建过两次，一次在火灾之后，一次在风暴之后，两次都由全镇共同出资。甲栏结束。"
)
CHINESE_RIGHT = (
    "乙栏接续：每年春天小镇举办集市，音乐充满广场，镇议会统计游客人数以规划来年。"
    "去年来的人比以往任何时候都多，城里的公共汽车每小时一班，一直开到午夜。乙栏结束。"
)


def pdf(draw: Callable[[Any], None], **options: Any) -> bytes:
    """A PDF whose pages `draw(canvas)` paints (it calls showPage between pages)."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, **options)
    draw(c)
    c.showPage()
    c.save()
    return buffer.getvalue()


def paragraph(c: Any, text: str, x: float, y: float, width: float, font: str = "Helvetica", size: float = 10) -> float:
    """Set text wrapped to width from the baseline y down; returns the next free baseline."""
    c.setFont(font, size)
    for line in _wrap(text, font, size, width):
        c.drawString(x, y, line)
        y -= size * 1.3
    return y


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    if " " in text:
        return simpleSplit(text, font, size, width)
    lines = [""]  # Chinese breaks between any two characters
    for char in text:
        if pdfmetrics.stringWidth(lines[-1] + char, font, size) > width:
            lines.append("")
        lines[-1] += char
    return lines


def two_columns(chinese: bool = False) -> bytes:
    """A title across the page, then two columns of the same size with their lines side by side."""
    font = CJK_FONT if chinese else "Helvetica"
    left, right = (CHINESE_LEFT, CHINESE_RIGHT) if chinese else (ENGLISH_LEFT, ENGLISH_RIGHT)

    def draw(c: Any) -> None:
        c.setFont("Helvetica-Bold", 20)
        c.drawString(72, HEIGHT - 80, "A Town by the Sea")
        gutter = 14  # under one and a half ems: columns set as close as journals set them
        column = (WIDTH - 144 - gutter) / 2
        paragraph(c, left, 72, HEIGHT - 130, column, font)
        paragraph(c, right, 72 + column + gutter, HEIGHT - 130, column, font)

    return pdf(draw)


HEADER = "ACME Corporation Annual Report 2023"
BODIES = [
    "The first chapter describes the company and its history since it was founded in a small workshop.",
    "The second chapter covers the markets the company sells in and the customers it serves.",
    "The third chapter explains the results of the year, with revenue and profit by segment.",
    "The fourth chapter lists the risks the board sees and how the company manages them.",
]


def running_headers() -> bytes:
    """Four pages with a running header, a footer with a changing page number, and a lone page number."""

    def draw(c: Any) -> None:
        for n, body in enumerate(BODIES, 1):
            c.setFont("Helvetica", 8)
            c.drawString(72, HEIGHT - 40, HEADER)
            c.drawString(72, 30, f"Printed for the shareholders, page {n} of {len(BODIES)}")
            c.drawString(WIDTH / 2, 50, str(n))
            paragraph(c, body, 72, HEIGHT - 120, WIDTH - 144)
            if n < len(BODIES):
                c.showPage()

    return pdf(draw)


def hyphenated() -> bytes:
    """A paragraph whose lines end in a word broken by a hyphen, and Chinese lines broken mid-phrase."""

    def draw(c: Any) -> None:
        c.setFont("Helvetica", 11)
        y = HEIGHT - 100
        for line in (
            "The committee published a compre-",
            "hensive review of the city water",
            "supply and of the cost of its main-",
            "tenance over the last ten years.",
        ):
            c.drawString(72, y, line)
            y -= 14
        c.setFont(CJK_FONT, 11)
        y -= 30
        for line in ("委员会发布了一份关于供水系统的全面", "审查报告，涵盖十年的维护费用。"):
            c.drawString(72, y, line)
            y -= 14

    return pdf(draw)


def ruled_table() -> bytes:
    """A caption, then a ruled table: a header row, a row label column and figures."""
    data = [["Region", "Sales", "Profit", "Staff"], ["North", "120.5", "15.2", "40"], ["South", "98.1", "7.9", "31"]]

    def draw(c: Any) -> None:
        paragraph(c, "Sales by region are shown below for the year.", 72, HEIGHT - 90, WIDTH - 144)
        c.setFont("Helvetica-Bold", 10)
        c.drawString(72, HEIGHT - 130, "Table 3: Sales by region")
        table = Table(data, colWidths=[110, 80, 80, 80])
        table.setStyle(
            TableStyle([("GRID", (0, 0), (-1, -1), 0.8, colors.black), ("FONT", (0, 0), (-1, -1), "Helvetica", 10)])
        )
        table.wrapOn(c, WIDTH, HEIGHT)
        table.drawOn(c, 72, HEIGHT - 140 - table._height)

    return pdf(draw)


CHECKS_HEADER = ["State", "Permit", "Handgun", "Long Gun"]
CHECKS = [
    ["Alabama", "24,141", "16,877", "12,342"],
    ["Alaska", "210", "3,203", "2,817"],
    ["Indiana", "130,333", "21,004", "15,870"],
    ["Iowa", "8,560", "1,021", "4,788"],
    ["Kansas", "1,011", "6,322", "4,907"],
    ["Ohio", "19,652", "24,505", "17,118"],
]


def _grid(c: Any, data: list[list[str]], widths: list[float], top: float) -> None:
    table = Table(data, colWidths=widths)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.8, colors.black), ("FONT", (0, 0), (-1, -1), "Helvetica", 10)])
    )
    table.wrapOn(c, WIDTH, HEIGHT)
    table.drawOn(c, 72, top - table._height)


def table_over_pages(pages: int = 2, repeat_header: bool = False) -> bytes:
    """A captioned ruled table at the foot of page 1 going on at the top of the next pages, two rows a page;
    its header row on page 1 only, or printed again on every page (`repeat_header`)."""
    widths = [110.0, 80.0, 80.0, 80.0]

    def draw(c: Any) -> None:
        paragraph(c, "Background checks by state are shown below for the month.", 72, HEIGHT - 90, WIDTH - 144)
        c.setFont("Helvetica-Bold", 10)
        c.drawString(72, HEIGHT - 130, "Table 4: Background checks by state")
        for n in range(pages):
            rows = CHECKS[2 * n : 2 * n + 2]
            header = [CHECKS_HEADER] if n == 0 or repeat_header else []
            _grid(c, header + rows, widths, HEIGHT - 140 if n == 0 else HEIGHT - 72)
            if n < pages - 1:
                c.showPage()

    return pdf(draw)


def another_table_after(columns: int) -> bytes:
    """The table of `table_over_pages` on page 1; then on page 2 another table of `columns` columns that
    opens with a row of figures (5 columns: four at the same places and one more; 4: the same columns,
    with a header row of its own)."""
    widths = [110.0, 80.0, 80.0, 80.0]

    def draw(c: Any) -> None:
        c.setFont("Helvetica-Bold", 10)
        c.drawString(72, HEIGHT - 90, "Table 4: Background checks by state")
        _grid(c, [CHECKS_HEADER, *CHECKS[:2]], widths, HEIGHT - 100)
        c.showPage()
        if columns == len(widths):
            _grid(c, [["Month", "Permits", "Denials", "Appeals"], ["May", "1,204", "310", "22"]], widths, HEIGHT - 72)
        else:
            _grid(
                c, [["12", "1,204", "310", "22", "7"], ["13", "1,377", "295", "19", "4"]], [*widths, 60.0], HEIGHT - 72
            )

    return pdf(draw)


def headings(title: str | None = None) -> bytes:
    """A large title, a bold heading at body size, body paragraphs; `title` goes into the metadata."""

    def draw(c: Any) -> None:
        if title is not None:
            c.setTitle(title)
        c.setFont("Helvetica-Bold", 22)
        c.drawString(72, HEIGHT - 90, "Water Supply Review")
        y = paragraph(
            c,
            "The review looks at every pipe and pump the city owns, and at what they cost.",
            72,
            HEIGHT - 130,
            WIDTH - 144,
        )
        c.setFont("Helvetica-Bold", 10)
        c.drawString(72, y - 16, "Findings")
        paragraph(
            c, "Most pumps are older than thirty years and use more power than new ones.", 72, y - 36, WIDTH - 144
        )

    return pdf(draw)


def text_then_scan() -> bytes:
    """A text page, then a page that is only an image (a scan of one line of text), then another text page."""
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.new("RGB", (1000, 1300), "white")
    ImageDraw.Draw(picture).text((60, 200), "The second page is a scan.", fill="black", font=ImageFont.load_default(48))
    image = io.BytesIO()
    picture.save(image, format="PNG")

    def draw(c: Any) -> None:
        paragraph(c, "The first page has a text layer.", 72, HEIGHT - 100, WIDTH - 144)
        c.showPage()
        from reportlab.lib.utils import ImageReader

        c.drawImage(ImageReader(io.BytesIO(image.getvalue())), 72, 200, width=400, height=520)
        c.showPage()
        paragraph(c, "The third page has a text layer too.", 72, HEIGHT - 100, WIDTH - 144)

    return pdf(draw)


def encrypted(user_password: str = "secret", owner_password: str = "owner") -> bytes:
    """A PDF that needs `user_password` to open ("" opens it: only printing and copying are restricted)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    def draw(c: Any) -> None:
        paragraph(c, "Confidential figures for the board only.", 72, HEIGHT - 100, WIDTH - 144)

    return pdf(draw, encrypt=StandardEncryption(user_password, ownerPassword=owner_password, canPrint=0))


# A structurally valid PDF whose page tree is empty (PDF tools refuse to write one).
NO_PAGES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
