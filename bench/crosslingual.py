"""Which graph should embed questions: English questions over Chinese text, Chinese questions, speed, memory.

    .venv/bin/python bench/crosslingual.py [--work /tmp/ragqa-crosslingual] [--graphs int8,query,fp32,...]
    .venv/bin/python bench/crosslingual.py --flips --graphs int8,query    # questions gained and lost
    .venv/bin/python bench/crosslingual.py --worker --graphs int8,default   # a server worker's memory

Passages are embedded once, by the int8 graph (`--passages torch`: by torch), into one index:
XQuAD's 32 Chinese articles plus the first 250 articles of CMRC 2018 dev as distractors (their own
questions are asked too). Only the question vectors change between rows: each candidate graph is
derived from the exported fp32 graph (`query` is embeddings.query_graph's, the shipped one), torch
fp32 (sentence-transformers) is the reference. For each:
dense-only and hybrid (dense + BM25 + literal terms, the product's fusion) recall@1/5 of XQuAD's
English questions over the Chinese paragraphs, of its Chinese questions and of CMRC's; the seed
sets end to end (retrieval and the default reader, run by torch) on the shipped page; the cosine of its question
vectors to torch's; one question per call on 1 and 2 threads; and the memory a fresh process
gains by loading the graph and embedding 50 questions (RSS, /proc/self/status).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "datasets"
SEEDS = [ROOT / "tests" / "data" / f"seed_{name}.jsonl" for name in ("english", "heldout", "labels")]
CMRC_ARTICLES = 250
GRAPHS = "int8,query,fp32,torch"

Embed = Callable[[Sequence[str]], np.ndarray]


def graphs(work: Path, wanted: list[str]) -> dict[str, Path]:
    """Every ONNX candidate, derived once from the exported fp32 graph into `work`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from embeddings.encoder import load_encoder
    from embeddings.onnx_engine import exported_path
    from embeddings.query_graph import write_query_graph

    encoder = load_encoder(inference="onnx-int8")  # exports the fp32 and int8 graphs if they never were
    fp32 = exported_path(encoder.model_id, encoder.fingerprint, quantized=False)
    made = {"fp32": fp32, "int8": exported_path(encoder.model_id, encoder.fingerprint, quantized=True)}
    options = {"DefaultTensorType": onnx.TensorProto.FLOAT}
    recipes: dict[str, Callable[[Path], None]] = {
        "int8-reduce-range": lambda out: quantize_dynamic(
            str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True, extra_options=options
        ),
        # The brief's candidate: ORT quantizes only the Gathers (one scale per table), matmuls stay fp32.
        "matmul-fp32": lambda out: quantize_dynamic(
            str(fp32), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"], extra_options=options
        ),
        "attention-fp32": lambda out: int8_except(fp32, out, lambda n, layer: n.op_type == "Attention"),
        "ffn-fp32": lambda out: int8_except(
            fp32,
            out,
            lambda n, layer: "/intermediate/" in n.name or ("/output/dense" in n.name and "/attention/" not in n.name),
        ),
        **{f"first{k}-fp32": partial(write_query_graph, fp32, layers=k) for k in range(1, 12)},
        "last6-fp32": lambda out: int8_except(fp32, out, lambda n, layer: layer is not None and layer >= 6),
        "rowwise-table": lambda out: rowwise_table(fp32, out, matmuls="int8"),
        "rowwise-table-matmul-fp32": lambda out: rowwise_table(fp32, out, matmuls="fp32"),
        "query": lambda out: write_query_graph(fp32, out),  # the questions' graph as shipped
    }
    for name in wanted:
        if name in recipes:
            made[name] = work / "graphs" / f"{name}.onnx"
            if not made[name].is_file():
                made[name].parent.mkdir(parents=True, exist_ok=True)
                print(f"writing {made[name]}", file=sys.stderr)
                recipes[name](made[name])
    return {name: made[name] for name in wanted if name in made}


def rowwise_table(fp32: Path, out: Path, matmuls: str) -> None:
    """The word table int8 with a scale per row (ORT gives a Gather's table one scale), the other
    embedding tables fp32, the matmuls int8 as exported or fp32: does the table's rounding matter?"""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(fp32))
    graph = model.graph
    tables = {init.name: init for init in graph.initializer}
    node = next(n for n in graph.node if n.op_type == "Gather" and "word_embeddings" in n.input[0])
    name, ids, result = node.input[0], node.input[1], node.output[0]
    table = numpy_helper.to_array(tables[name]).astype(np.float32)
    scales = np.maximum(np.abs(table).max(axis=1, keepdims=True) / 127.0, 1e-12).astype(np.float32)
    rows = np.clip(np.rint(table / scales), -127, 127).astype(np.int8)
    graph.initializer.remove(tables[name])
    graph.initializer.extend(
        [numpy_helper.from_array(rows, "rows_int8"), numpy_helper.from_array(scales, "row_scales")]
    )
    at = list(graph.node).index(node)
    graph.node.remove(node)
    new = [
        helper.make_node("Gather", ["rows_int8", ids], ["rows_q"], name=node.name),
        helper.make_node("Cast", ["rows_q"], ["rows_f"], to=TensorProto.FLOAT, name="rows_cast"),
        helper.make_node("Gather", ["row_scales", ids], ["rows_s"], name="rows_scale"),
        helper.make_node("Mul", ["rows_f", "rows_s"], [result], name="rows_dequantize"),
    ]
    for offset, n in enumerate(new):
        graph.node.insert(at + offset, n)
    gathers = [n.name for n in graph.node if n.op_type == "Gather"]
    if matmuls == "fp32":
        onnx.save(model, str(out))
        return
    from embeddings.onnx_engine import quantize

    staged = out.with_name("rows-staged.onnx")
    onnx.save(model, str(staged))
    quantize(staged, out, keep_fp32=gathers)
    staged.unlink()


def prompted(engine: Any, prompt: str) -> Embed:
    """The engine embedding questions with the model's query prompt."""
    return lambda texts: engine([prompt + t for t in texts])


def int8_except(fp32: Path, out: Path, keep: Callable[[Any, int | None], bool]) -> None:
    """The int8 graph (as exported) with the nodes `keep(node, layer)` picks left fp32."""
    import re

    import onnx

    def layer(node: Any) -> int | None:
        found = re.search(r"(?:Attention_|layer\.)(\d+)", node.name)
        return int(found.group(1)) if found else None

    from embeddings.onnx_engine import quantize

    nodes = onnx.load(str(fp32), load_external_data=False).graph.node
    quantize(fp32, out, keep_fp32=[n.name for n in nodes if n.op_type in ("MatMul", "Attention") and keep(n, layer(n))])


def xquad() -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """(English question, Chinese answers) and (Chinese question, Chinese answers), paired by id."""
    english = {
        qa["id"]: qa["question"]
        for article in json.loads((DATA / "xquad_en_part.json").read_text(encoding="utf-8"))["data"]
        for p in article["paragraphs"]
        for qa in p["qas"]
    }
    en, zh = [], []
    for article in json.loads((DATA / "xquad_zh_part.json").read_text(encoding="utf-8"))["data"]:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                en.append((english[qa["id"]], answers))
                zh.append((qa["question"], answers))
    return en, zh


def build(work: Path, inference: str) -> tuple[Path, list[tuple[str, list[str]]]]:
    """The index of XQuAD zh and CMRC dev's first articles (built once), and those CMRC questions."""
    from dataclasses import replace

    from embeddings.encoder import load_encoder
    from qa.evaluation.datasets import load_dataset
    from qa.evaluation.evaluate import dataset_documents
    from qa.ingest.indexer import index_documents

    cmrc = load_dataset(DATA / "cmrc2018_dev.json")
    cmrc = replace(cmrc, articles=cmrc.articles[:CMRC_ARTICLES])
    questions = [(e.question, e.answers) for e in cmrc.examples if e.article is not None and e.article < CMRC_ARTICLES]
    index = work / ("index" if inference == "onnx-int8" else f"index-{inference}")
    if not (index / "CURRENT").exists():
        docs = dataset_documents([load_dataset(DATA / "xquad_zh_part.json"), cmrc])
        source = {"path": "xquad_zh_part.json + cmrc2018_dev.json", "checksum": ""}
        report = index_documents(docs, source, index, load_encoder(inference=inference))
        print(f"indexed {report.passages} passages in {report.seconds:.0f} s", file=sys.stderr)
    return index, questions


def seed_index(work: Path, inference: str = "onnx-int8") -> Path:
    """The shipped page's index (`ragqa index`), built once."""
    index = work / ("seed-index" if inference == "onnx-int8" else f"seed-index-{inference}")
    if not index.exists():
        command = ["index", "--index", str(index), "--inference", inference]
        subprocess.run([sys.executable, "-m", "qa", *command], cwd=ROOT, check=True)
    return index


def first_hits(pipeline: Any, embed: Embed, cases: list[tuple[str, list[str]]]) -> dict[str, np.ndarray]:
    """Per question, whether its first passage (dense only, hybrid) holds a gold answer."""
    from qa.evaluation.metrics import contains_answer

    questions = [q for q, _ in cases]
    vectors = embed(questions)
    _, dense_rows = pipeline.retriever.dense.search(vectors, 1)
    hybrid_rows = [[h.row for h in hits] for hits in pipeline.retriever.search_many(questions, vectors, 1)]
    return {
        kind: np.array(
            [bool(row) and contains_answer(pipeline.passages[row[0]].text, a) for row, (_, a) in zip(rows, cases)]
        )
        for kind, rows in (("dense", [list(r) for r in dense_rows]), ("hybrid", hybrid_rows))
    }


def flips(args: argparse.Namespace, wanted: list[str]) -> None:
    """English questions whose first passage turns right / wrong against the first graph named."""
    from embeddings.onnx_engine import OnnxEngine
    from qa.pipeline import Pipeline

    paths = graphs(args.work, wanted)
    pipeline = Pipeline.load(build(args.work, args.passages)[0])
    prompt = pipeline.encoder.prompts.get("query", "")
    en, _ = xquad()
    hits = {}
    for name in wanted:
        engine = OnnxEngine(paths[name], pipeline.encoder.card)
        hits[name] = first_hits(pipeline, prompted(engine, prompt), en)
    base = wanted[0]
    for name in wanted[1:]:
        for kind in ("dense", "hybrid"):
            a, b = hits[base][kind], hits[name][kind]
            gained, lost = int((b & ~a).sum()), int((a & ~b).sum())
            print(f"{name} vs {base}, {kind} R@1 of {len(en)} English questions: +{gained} -{lost}")


def recall(pipeline: Any, embed: Embed, cases: list[tuple[str, list[str]]]) -> dict[str, float]:
    """Dense-only and hybrid recall@1/5 of these (question, answers) with these question vectors."""
    from qa.evaluation.metrics import contains_answer

    questions = [q for q, _ in cases]
    vectors = embed(questions)
    _, dense_rows = pipeline.retriever.dense.search(vectors, 5)
    hybrid_rows = [[h.row for h in hits] for hits in pipeline.retriever.search_many(questions, vectors, 5)]
    out = {}
    for kind, rows in (("dense", dense_rows), ("hybrid", hybrid_rows)):
        ranks = [
            next((k for k, r in enumerate(row, 1) if r >= 0 and contains_answer(pipeline.passages[r].text, a)), 0)
            for row, (_, a) in zip(rows, cases)
        ]
        out[f"{kind} R@1"] = float(np.mean([r == 1 for r in ranks]))
        out[f"{kind} R@5"] = float(np.mean([r > 0 for r in ranks]))
    return out


def seeds(pipeline: Any) -> dict[str, float]:
    """The seed sets end to end with the pipeline's question vectors: R@1 and EM (top_k 5)."""
    from qa.evaluation import evaluate as ev
    from qa.evaluation.datasets import load_dataset

    out = {}
    for path in SEEDS:
        ds = load_dataset(path)
        outcomes = [o for o in ev.run(pipeline, [ds], top_k=5, progress=False) if o.answers]
        name = path.stem.removeprefix("seed_")
        out[f"seed {name} R@1"] = float(np.mean([o.rank == 1 for o in outcomes]))
        out[f"seed {name} EM"] = 100 * float(np.mean([o.em for o in outcomes]))
    return out


def latency(embed: Embed, questions: list[str], rounds: int = 3) -> tuple[float, float]:
    """p50 and p95 ms of one question per call (what `/api/ask` does)."""
    embed(questions[:1])
    times = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            embed([q])
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def graph_memory(path: Path) -> float:
    """MB a fresh process gains by loading this graph and embedding 50 questions (tokenizer loaded before)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from bench.crosslingual import rss_mb, xquad; "
        "from embeddings.encoder import resolve_model; from embeddings.model_card import read_card; "
        "from embeddings.onnx_engine import OnnxEngine; from pathlib import Path; "
        "card = read_card(Path(resolve_model(None)[1])); card.tokenizer('warm'); qs = [q for q, _ in xquad()[0][:50]]; "
        "before = rss_mb(); engine = OnnxEngine(Path(sys.argv[2]), card, 1); [engine([q]) for q in qs]; "
        "print(rss_mb() - before)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(path)], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def worker(work: Path, graph: Path | None) -> None:
    """A server worker's resident memory: the loads it does, then 80 questions; with `graph` as the
    questions' graph instead of the shipped one (the int8 graph: as a worker was before)."""
    import embeddings.onnx_engine
    from qa.pipeline import Pipeline

    if graph is not None:
        embeddings.onnx_engine.query_graph_path = lambda model_id, fingerprint: graph
    seed = seed_index(work)
    before = rss_mb()
    pipeline = Pipeline.load(seed, threads=1)
    loaded = rss_mb()
    en, zh = xquad()
    for q, _ in en[:40] + zh[:40]:
        pipeline.ask(q)
    encoder = pipeline.encoder
    print(
        f"worker, questions by {encoder.query_engine and encoder.query_engine.session._model_path}: "
        f"{before:.0f} MB before the load, {loaded:.0f} MB loaded, {rss_mb():.0f} MB after 80 questions; "
        f"passages' graph loaded: {encoder._engine is not None}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=Path("/tmp/ragqa-crosslingual"))
    parser.add_argument("--graphs", default=GRAPHS)
    parser.add_argument("--passages", default="onnx-int8", help="the engine that embeds the passages")
    parser.add_argument("--flips", action="store_true", help="only: questions gained and lost against the first graph")
    parser.add_argument(
        "--worker",
        action="store_true",
        help="only: a server worker's memory, questions by each graph (default: the shipped one)",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.worker:  # one worker per process, so that each starts from nothing
        for name in args.graphs.split(","):
            path = graphs(args.work, [name])[name] if name != "default" else None
            script = "import sys; sys.path.insert(0, sys.argv[1]); from bench.crosslingual import worker; "
            script += "from pathlib import Path; worker(Path(sys.argv[2]), Path(sys.argv[3]) if sys.argv[3] else None)"
            subprocess.run([sys.executable, "-c", script, str(ROOT), str(args.work), str(path or "")], check=True)
        return
    from embeddings.encoder import load_encoder
    from embeddings.onnx_engine import OnnxEngine
    from qa.pipeline import Pipeline

    wanted = args.graphs.split(",")
    if args.flips:
        flips(args, wanted)
        return
    paths = graphs(args.work, wanted)
    index, cmrc = build(args.work, args.passages)
    pipeline = Pipeline.load(index)
    page = Pipeline.load(seed_index(args.work, args.passages), encoder=pipeline.encoder)
    en, zh = xquad()
    prompt = pipeline.encoder.prompts.get("query", "")
    reference = load_encoder("multilingual-e5-small") if "torch" in wanted else None
    torch_en = reference.encode_queries([q for q, _ in en]) if reference else None
    timed = [q for q, _ in en[:40] + zh[:40]]
    rows = []
    for name in wanted:
        embeds: dict[int, Embed] = {}
        if name == "torch":
            assert reference is not None
            embeds = {n: reference.encode_queries for n in (1, 2)}  # torch uses its own threads (all cores)
        else:
            for threads in (1, 2):
                engine = OnnxEngine(paths[name], pipeline.encoder.card, threads)
                embeds[threads] = prompted(engine, prompt)
        pipeline.encoder.query_encoder = page.encoder.query_encoder = embeds[2]
        row: dict[str, Any] = {"graph": name}
        for label, cases in (("en→zh", en), ("zh", zh), ("cmrc", cmrc)):
            row.update({f"{label} {k}": v for k, v in recall(pipeline, embeds[2], cases).items()})
        row.update(seeds(page))
        if torch_en is not None:
            cos = (embeds[2]([q for q, _ in en]) * torch_en).sum(axis=1)
            row["cos to torch (en) median/min"] = f"{np.median(cos):.4f}/{cos.min():.4f}"
        for threads in (1, 2):
            p50, p95 = latency(embeds[threads], timed)
            row[f"ms p50/p95 {threads} thread(s)"] = f"{p50:.1f}/{p95:.1f}"
        row["graph MB (file)"] = round(paths[name].stat().st_size / 2**20) if name in paths else None
        row["RSS +MB"] = round(graph_memory(paths[name])) if name in paths else None
        rows.append(row)
        print(json.dumps(row), flush=True)
    (args.work / f"results-{args.passages}.json").write_text(json.dumps(rows, indent=1))
    print(f"{len(en)} English / {len(zh)} Chinese XQuAD questions, {len(cmrc)} CMRC; {len(pipeline.passages)} passages")


if __name__ == "__main__":
    main()
