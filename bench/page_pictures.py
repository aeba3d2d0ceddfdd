"""Seconds to draw a page for "Show in document" (`qa.ingest.page_view`), and the PNG's size.

Draws every page of each PDF given (the first time a page is shown; the server keeps the last 16
drawn per worker, so a second look costs nothing) and prints the median and slowest page.

    python bench/page_pictures.py ../shared/documents/*.pdf
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.ingest.page_view import VIEWS  # noqa: E402


def main() -> None:
    print("| file | pages | median s/page | slowest s | median PNG KB |")
    print("|---|---|---|---|---|")
    for name in sys.argv[1:]:
        data = Path(name).read_bytes()
        view = VIEWS["pdf"]
        seconds, sizes, page = [], [], 1
        while True:
            start = time.perf_counter()
            try:
                picture = view.picture(data, page)
            except Exception:  # PageUnavailable past the last page
                break
            seconds.append(time.perf_counter() - start)
            sizes.append(len(picture.png) / 1024)
            page += 1
        if seconds:
            print(
                f"| {Path(name).name} | {len(seconds)} | {statistics.median(seconds):.2f} | {max(seconds):.2f} "
                f"| {statistics.median(sizes):.0f} |"
            )


if __name__ == "__main__":
    main()
