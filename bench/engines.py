"""Side by side, in one run: index builds and answers on each inference engine.

For each embedding engine (torch fp32, the reference; ONNX Runtime fp32; ONNX Runtime int8) the
same collection is indexed with everything an index needs (passages, sentence vectors, BM25, the
cosine scale as the build gets it), and passages/s and characters/s are printed. Then the
held-out questions are asked one at a time of the torch-built index with each reader engine:
p50/p95 of `Pipeline.ask` (top_k 5, reader on), EM/F1 and recall@5.

    python bench/engines.py --data ../shared/datasets/DRCD_test.json --fold 2/2 --limit 200

The collection is the shipped page plus the dataset's contexts (one document per article), as
`ragqa eval --build` indexes them. The scale is measured once per model and engine and then read
from the model cache, so builds after the first pay nothing for it; `--cold-scale` clears that
cache before each build to show the first build's cost.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.encoder import load_encoder  # noqa: E402
from embeddings.models import models_dir  # noqa: E402
from qa.evaluation import evaluate as ev  # noqa: E402
from qa.evaluation.datasets import fold, load_dataset, parse_fold  # noqa: E402
from qa.ingest.corpus import read_corpus  # noqa: E402
from qa.ingest.indexer import index_documents  # noqa: E402
from qa.pipeline import Pipeline  # noqa: E402

ENGINES = ("torch", "onnx", "onnx-int8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets" / "DRCD_test.json"))
    parser.add_argument("--fold", default="2/2", help="the held-out questions asked (K/N)")
    parser.add_argument("--limit", type=int, default=200, help="questions asked per reader engine")
    parser.add_argument("--articles", type=int, default=0, help="index only the first N articles (0: all)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--reader-engines", default=",".join(ENGINES))
    parser.add_argument("--cold-scale", action="store_true")
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args()

    dataset = load_dataset(args.data)
    documents = read_corpus(ROOT / "corpus").documents + ev.dataset_documents([dataset])
    if args.articles:
        documents = documents[: args.articles + 1]
    report: dict[str, object] = {"data": args.data, "documents": len(documents), "builds": {}, "reading": {}}
    work = Path(tempfile.mkdtemp(prefix="ragqa-bench-"))
    try:
        for engine in args.engines.split(","):
            encoder = load_encoder(inference=engine)
            if args.cold_scale:
                shutil.rmtree(models_dir() / "scales", ignore_errors=True)
            started = time.perf_counter()
            built = index_documents(documents, {"path": args.data, "checksum": ""}, work / engine, encoder)
            seconds = time.perf_counter() - started
            chars = sum(len(p["text"]) for p in _records(work / engine))
            row = {
                "passages": built.passages,
                "seconds": round(seconds, 1),
                "passages_per_s": round(built.passages / seconds, 2),
                "chars_per_s": round(chars / seconds),
            }
            report["builds"][engine] = row  # type: ignore[index]
            print(f"build {engine:10s} {row}", flush=True)
        part, parts = parse_fold(args.fold)
        asked = [fold(dataset, part, parts)]
        reference = args.engines.split(",")[0]
        for engine in args.reader_engines.split(","):
            pipeline = Pipeline.load(work / reference, reader_inference=engine)
            pipeline.ask("预热 warm-up", 5)
            outcomes = ev.run(pipeline, asked, top_k=5, limit=args.limit, batch_size=1, progress=False)
            summary = ev.summarize(outcomes)
            latencies = sorted(o.latency_ms for o in outcomes)
            row = {
                "questions": len(outcomes),
                "em": round(summary["em"], 1),
                "f1": round(summary["f1"], 1),
                "recall@5": round(summary["recall@5"], 3),
                "p50_ms": round(statistics.median(latencies), 1),
                "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
            }
            report["reading"][engine] = row  # type: ignore[index]
            print(f"read  {engine:10s} {row}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")


def _records(index_root: Path) -> list[dict]:
    from qa.store import jsonl, read_files

    files = read_files(index_root)
    return jsonl.parse(files.data["records.jsonl"])


if __name__ == "__main__":
    main()
