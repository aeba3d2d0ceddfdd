"""Pages per second and peak memory of the PDF reader (text layer), one PDF at a time, as a build reads it.

    python bench/pdf_pages.py ../shared/documents/*.pdf
    python bench/pdf_pages.py --repeat 20 ../shared/documents/en_federal_register_2020-17221.pdf

--no-ocr reads the text layer alone (as without the `ocr` extra). --repeat N first writes a PDF
of the file's pages repeated N times (pypdfium2), so a 15-page file
gives the 300-page case. Each PDF is read in a fresh process, so every peak RSS is that file's own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_ONE = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from qa.ingest.readers import ocr
from qa.ingest.readers.pdf import PdfReader
if sys.argv[3] == "no-ocr":
    ocr.available = lambda: False  # the text layer alone: pages that are images are skipped
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
[doc] = PdfReader().read("bench.pdf", data, lambda where, why: None)
seconds = time.perf_counter() - started
pages = len({b.page for b in doc.blocks})
print(json.dumps({"pages": pages, "chars": sum(len(b.text) for b in doc.blocks), "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: Path, use_ocr: bool) -> dict:
    mode = "ocr" if use_ocr else "no-ocr"
    out = subprocess.run(
        [sys.executable, "-c", _ONE, str(path), str(ROOT), mode], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def repeated(path: Path, times: int, folder: Path) -> Path:
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(str(path))
    out = pdfium.PdfDocument.new()
    for _ in range(times):
        out.import_pages(source)
    target = folder / f"{path.stem}-x{times}.pdf"
    out.save(str(target))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=1, help="read each PDF's pages repeated this many times")
    parser.add_argument(
        "--no-ocr", action="store_true", help="the text layer alone (image pages skipped, as without OCR)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.pdfs:
            target = repeated(path, args.repeat, Path(tmp)) if args.repeat > 1 else path
            got = measure(target, not args.no_ocr)
            print(
                f"{target.name}: {got['pages']} pages, {got['chars']:,} chars in {got['seconds']:.2f} s = "
                f"{got['pages'] / got['seconds']:.1f} pages/s; peak RSS {got['peak_rss_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()
