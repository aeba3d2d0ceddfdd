"""Seconds per page and peak memory of OCR on a scanned PDF, as the PDF reader will run it.

Each page is rendered with pypdfium2 at `render_scale` (its longest side 2,000 pixels, what the
engine reads) unless --scale says otherwise, then read by `ocr.ocr_page`. Prints the engine's load
time, each page's seconds and paragraphs, the median and total, and the process's peak RSS.

    python bench/ocr.py ../shared/documents/zh_scanned_book_small_ocr.pdf
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.ingest.readers import ocr  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--scale", type=float, default=None, help="pixels per point (default: render_scale)")
    args = parser.parse_args()

    import pypdfium2

    if not ocr.available():
        sys.exit("OCR is not installed: pip install 'ragqa[ocr]'")
    start = time.perf_counter()
    ocr.warm_up()
    print(f"engine loaded in {time.perf_counter() - start:.2f} s")
    pdf = pypdfium2.PdfDocument(args.pdf)
    times = []
    for number in range(1, len(pdf) + 1):
        page = pdf[number - 1]
        width, height = page.get_size()
        scale = args.scale or ocr.render_scale(width, height)
        start = time.perf_counter()
        image = page.render(scale=scale).to_pil()
        rendered = time.perf_counter() - start
        blocks = ocr.ocr_page(image, number, scale)
        times.append(time.perf_counter() - start)
        chars = sum(len(block.text) for block in blocks)
        print(
            f"page {number}: {image.width}x{image.height} px (scale {scale:.2f}), render {rendered:.2f} s, "
            f"total {times[-1]:.2f} s, {len(blocks)} paragraphs, {chars} characters"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{len(times)} pages: median {statistics.median(times):.2f} s/page, total {sum(times):.1f} s")
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
