"""Top-5 retrieval on the shared real documents (issue 30), in-process and quick to rerun.

Reads ../shared/documents (every file but .md/.jsonl) with the readers `ragqa index` uses, indexes
them into --index (default /tmp/docs_index) and asks ../shared/documents/questions.jsonl through
`Pipeline.load(...).ask_many` as the server loads it. Each file's parsed documents are cached under
the index folder, keyed by the file's bytes and the reader sources, so a rerun after a retrieval
change costs one embedding pass, and a scan is OCR'd once (its key leaves out the non-OCR readers:
pass --fresh after changing those if it matters). Prints, per question, the rank of the first
passage whose title, section and text (whitespace-normalised as tests/system/test_documents.py
does) hold the answer, and whether the answer was right; per kind, top-5 found / asked / right;
the misses with their top-5 passages.

    .venv/bin/python bench/documents_retrieval.py [--index /tmp/docs_index] [--fresh] [--quiet]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DOCUMENTS = ROOT.parent / "shared" / "documents"
READERS = ROOT / "qa" / "ingest" / "readers"
OCR_SOURCES = ("ocr.py", "ocr_layout.py", "image.py", "pdf.py", "pdf_page.py")


def _normal(text: str, lang: str) -> str:
    return re.sub(r"\s+", "", text) if lang == "zh" or re.search(r"[\u4e00-\u9fff]", text) else " ".join(text.split())


def _kind(q: dict) -> str:
    return q["kind"] if q["kind"] == "scan" else Path(q["file"]).suffix.lstrip(".").lower()


def _sources_hash(names: list[str] | None) -> str:
    digest = hashlib.sha256()
    for path in sorted(READERS.glob("*.py")) + sorted((ROOT / "qa" / "ingest").glob("*.py")):
        if names is None or path.name in names:
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _parse_all(files: list[Path], cache: Path, scans: set[str], fresh: bool) -> list:
    from qa.ingest.parsing import parse

    cache.mkdir(parents=True, exist_ok=True)
    documents = []
    for path in files:
        data = path.read_bytes()
        key = hashlib.sha256(data).hexdigest()[:16] + _sources_hash(list(OCR_SOURCES) if path.name in scans else None)
        cached = cache / f"{path.name}.{key}.pkl"
        if cached.is_file() and not fresh:
            parsed = pickle.loads(cached.read_bytes())
        else:
            print(f"parsing {path.name}", file=sys.stderr, flush=True)
            parsed = parse(path.name, data)
            cached.write_bytes(pickle.dumps(parsed))
        if parsed.skipped:
            print(f"skipped {path.name}: {parsed.skipped}", file=sys.stderr)
        documents.extend(parsed.documents)
    return documents


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="/tmp/docs_index")
    ap.add_argument("--fresh", action="store_true", help="parse every file again")
    ap.add_argument("--quiet", action="store_true", help="no top-5 passages for the misses")
    ap.add_argument("--query-inference", help="embed questions with this engine (onnx: fp32) instead of the index's")
    args = ap.parse_args()

    from embeddings.encoder import load_encoder
    from qa.config import Settings
    from qa.ingest.indexer import index_documents
    from qa.pipeline import Pipeline

    questions = [json.loads(line) for line in (DOCUMENTS / "questions.jsonl").read_text("utf-8").splitlines() if line]
    scans = {q["file"] for q in questions if q["kind"] == "scan"}
    files = sorted(p for p in DOCUMENTS.iterdir() if p.suffix.lower() not in {".md", ".jsonl"})
    work = Path(args.index)
    documents = _parse_all(files, work / "parsed", scans, args.fresh)
    settings = Settings()
    encoder = load_encoder(None, inference=settings.inference)
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    report = index_documents(documents, {"path": str(DOCUMENTS)}, index_dir, encoder)
    print(f"{report.documents} documents, {report.passages} passages", file=sys.stderr)
    if args.query_inference:
        from embeddings.onnx_engine import load_engine

        engine = load_engine(encoder, args.query_inference)
        prompt = encoder.prompts.get("query", "")
        encoder.query_encoder = lambda texts: engine([prompt + t for t in texts])
    pipeline = Pipeline.load(index_dir, encoder=encoder, reader_inference=settings.reader_inference)
    results = pipeline.ask_many([q["question"] for q in questions], 5)

    found: dict[str, list[bool]] = defaultdict(list)
    right: dict[str, list[bool]] = defaultdict(list)
    misses = []
    for q, result in zip(questions, results):
        gold = _normal(q["answer"], q["lang"])
        rank = next(
            (
                i + 1
                for i, p in enumerate(result.passages)
                if p.passage.path == q["file"]
                and gold in _normal(p.passage.title + p.passage.section + p.passage.text, q["lang"])
            ),
            None,
        )
        answer = result.answer.text if result.answer is not None else ""
        ok = bool(answer.strip()) and (gold in _normal(answer, q["lang"]) or _normal(answer, q["lang"]) in gold)
        found[_kind(q)].append(rank is not None)
        right[_kind(q)].append(ok)
        mark = "y" if ok else "n"
        print(f"{_kind(q):5} rank={rank or '-':<2} right={mark}  {q['file'][:32]:32} {q['question'][:80]}")
        if rank is None:
            misses.append((q, result))
    print()
    for kind in sorted(found):
        print(f"{kind:5} top5 {sum(found[kind])}/{len(found[kind])}  right {sum(right[kind])}")
    every = [hit for hits in found.values() for hit in hits]
    print(f"all   top5 {sum(every)}/{len(every)}  right {sum(sum(v) for v in right.values())}")
    if args.quiet:
        return
    for q, result in misses:
        print(f"\nMISS {q['file']}: {q['question']}  [answer: {q['answer']}]")
        for i, p in enumerate(result.passages):
            text = " ".join(p.passage.text.split())
            print(f"  {i + 1}. {p.passage.path} p{p.passage.page} {p.passage.section[:40]!r}: {text[:300]}")


if __name__ == "__main__":
    main()
