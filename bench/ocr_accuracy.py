"""How well OCR reads Simplified Chinese, Traditional Chinese and English: character accuracy on
paragraphs of the shared datasets drawn as page images (Noto Sans CJK, 36 px a line, as a page
scanned at about 250 dpi), read by `ocr.ocr_page` as the image and PDF readers run it.

Accuracy is 1 - (edit distance / characters) over the text without whitespace, after NFKC.

    python bench/ocr_accuracy.py --paragraphs 6
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.ingest.readers import ocr  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SETS = {  # script: (file, face of the .ttc)
    "Simplified (CMRC 2018 dev)": ("cmrc2018_dev.json", "Noto Sans CJK SC"),
    "Traditional (DRCD dev)": ("DRCD_dev.json", "Noto Sans CJK TC"),
    "English (XQuAD en)": ("xquad_en_part.json", "Noto Sans CJK SC"),
}


def paragraphs(name: str, count: int) -> list[str]:
    data = json.loads((DATASETS / name).read_text(encoding="utf-8"))["data"]
    return [p["context"][:260] for article in data[:count] for p in article["paragraphs"][:1]][:count]


def face(name: str, size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    for index in range(10):
        font = ImageFont.truetype(str(FONT), size, index=index)
        if " ".join(font.getname()).startswith(name):
            return font
    raise SystemExit(f"{name} is not in {FONT}")


def draw(text: str, font, size: int = 36):  # type: ignore[no-untyped-def]
    from PIL import Image, ImageDraw

    wide = any(unicodedata.east_asian_width(c) == "W" for c in text)
    lines = textwrap.wrap(text, 28 if wide else 60) if not wide else [text[i : i + 28] for i in range(0, len(text), 28)]
    image = Image.new("RGB", (1400, 120 + len(lines) * int(size * 1.6)), "white")
    pen = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        pen.text((80, 60 + n * int(size * 1.6)), line, font=font, fill="black")
    return image


def distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        last, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            last, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, last + (x != y))
    return row[-1]


def squeeze(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=6)
    args = parser.parse_args()
    if not ocr.available():
        raise SystemExit("OCR is not installed: pip install 'ragqa[ocr]'")
    ocr.warm_up()
    print("| script (paragraphs) | characters | character accuracy |")
    print("|---|---|---|")
    for label, (name, font_name) in SETS.items():
        font = face(font_name, 36)
        errors = total = 0
        for text in paragraphs(name, args.paragraphs):
            blocks = ocr.ocr_page(draw(text, font), 1, 1.0)
            read = squeeze("".join(b.text for b in blocks))
            gold = squeeze(text)
            errors += distance(gold, read)
            total += len(gold)
        print(f"| {label} ({args.paragraphs}) | {total} | {1 - errors / total:.3f} |")


if __name__ == "__main__":
    main()
