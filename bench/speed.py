"""Speed side by side, in one run: ragqa as shipped against the torch fp32 reference and txtai 9.14.

    .venv/bin/python bench/speed.py --out bench/results/speed.json --plot docs/img/speed.png

The collection is the shipped page plus every context of ../shared/datasets/ (DRCD dev and test,
CMRC 2018 dev: ~4.7k passages, one document per article). In order:

1. Build speed, everything an index needs (passages, passage vectors, sentence vectors, BM25, the
   manifest): the reference build (torch fp32, sentence vectors from their own encoder pass, as
   ragqa built before the ONNX engines) and the shipped defaults, on the same seeded sample of
   `--sample` documents, then the shipped build of the whole collection (the index served next).
2. `POST /api/ask` through a real `ragqa serve` (gunicorn) on that index: held-out questions
   (DRCD test fold 2/2, which no shipped reader saw), top_k 5, reader on, from 1 client one after
   another, then from 8 clients at once; p50/p95/mean per request; EM/F1 of the answers the server gave;
   resident and proportional memory of every worker afterwards.
3. The reference reader (torch fp32) in process on the same index and questions, for EM/F1.
4. The peer: txtai 9.14 in its own environment (bench/peer_setup.sh; never a ragqa dependency) on the
   same passages and questions, the same e5 folder and reader weights (bench/peer_txtai.py);
   skipped with a note when its environment is missing and --no-peer-setup is given.

Latencies are only meaningful on a quiet machine: nothing else may run during the bench.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from timing import latency_summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATASETS = ROOT.parent / "shared" / "datasets"
PEER_VENV = ROOT / "bench" / ".venv-txtai"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=200, help="held-out questions asked (DRCD test fold 2/2)")
    parser.add_argument("--sample", type=int, default=150, help="documents in the build-speed sample")
    parser.add_argument("--clients", default="1,8", help="concurrent clients, one run each")
    parser.add_argument(
        "--workers", default="1,2", help="`ragqa serve --workers`, one server each (the first gives the ratios)"
    )
    parser.add_argument("--skip-reference", action="store_true", help="no torch fp32 build or reading")
    parser.add_argument("--no-peer", action="store_true", help="leave txtai out")
    parser.add_argument("--no-peer-setup", action="store_true", help="do not create bench/.venv-txtai")
    parser.add_argument("--work", default=None, help="keep the indexes here (default: a temporary folder)")
    parser.add_argument("--report-only", action="store_true", help="redo the ratios and plot of --out")
    parser.add_argument("--serve-only", metavar="INDEX", help="only the serving figures, of this index")
    parser.add_argument("--serve-args", default="", help="more `ragqa serve` options, e.g. '--engine-threads 2'")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "speed.json"))
    parser.add_argument("--plot", default=None, help="also draw the figures to this PNG (needs .[plot])")
    args = parser.parse_args()

    from qa.evaluation import evaluate as ev
    from qa.evaluation.datasets import fold, load_dataset
    from qa.ingest.corpus import read_corpus

    datasets = [load_dataset(DATASETS / name) for name in ("DRCD_dev.json", "DRCD_test.json", "cmrc2018_dev.json")]
    documents = read_corpus(ROOT / "corpus").documents + ev.dataset_documents(datasets)
    asked = ev.sample(fold(datasets[1], 2, 2), args.questions)
    work = Path(args.work or tempfile.mkdtemp(prefix="ragqa-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": f"{platform.node()} · {os.cpu_count()} cores · {platform.processor() or platform.machine()}",
        "command": " ".join(["python", *sys.argv]),
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "documents": len(documents),
        "questions": len(asked),
    }

    if args.report_only:
        report = json.loads(Path(args.out).read_text(encoding="utf-8"))
        report["ratios"] = ratios(report)
        _save(report, args.out)
        print(json.dumps(report["ratios"], indent=1))
        if args.plot:
            plot(report, Path(args.plot))
        return
    if args.serve_only:
        clients = [int(c) for c in args.clients.split(",")]
        report["serving"] = serve_each(Path(args.serve_only), asked, clients, args.workers, args.serve_args.split())
        _save(report, args.out)
        return
    sample = random.Random(0).sample(documents, min(args.sample, len(documents)))
    builds: dict[str, Any] = {}
    if not args.skip_reference:
        builds["reference sample"] = build(sample, work / "reference-sample", reference=True)
    builds["ragqa sample"] = build(sample, work / "ragqa-sample", reference=False)
    builds["ragqa full"] = build(documents, work / "ragqa", reference=False)
    report["builds"] = builds
    if "reference sample" in builds:
        report["build_speedup"] = round(
            builds["ragqa sample"]["chars_per_s"] / builds["reference sample"]["chars_per_s"], 2
        )
    _save(report, args.out)

    clients = [int(c) for c in args.clients.split(",")]
    report["serving"] = serve_each(work / "ragqa", asked, clients, args.workers, args.serve_args.split())
    _save(report, args.out)
    if not args.skip_reference:
        report["reference_reader"] = read_in_process(work / "ragqa", asked, "torch")
        _save(report, args.out)
    if not args.no_peer:
        report["txtai"] = run_peer(work, asked, setup=not args.no_peer_setup)
        _save(report, args.out)
    report["ratios"] = ratios(report)
    _save(report, args.out)
    print(json.dumps(report["ratios"], indent=1))
    if args.plot:
        plot(report, Path(args.plot))


def build(documents: list[Any], index_dir: Path, reference: bool) -> dict[str, Any]:
    """Index the documents with the shipped settings, or as ragqa built before issue 20 (torch fp32,
    sentence vectors from their own encoder pass, the cosine scale measured by every build); the
    model is loaded before the clock starts."""
    from embeddings.encoder import load_encoder
    from qa.config import Settings
    from qa.ingest.indexer import index_documents
    from qa.retrieval import cosine_scale

    settings = Settings()
    encoder = load_encoder(inference="torch" if reference else settings.inference)
    sentence_vectors = "encoded" if reference else settings.sentence_vectors
    if reference:
        cosine_scale.cache_path(encoder).unlink(missing_ok=True)
    started = time.perf_counter()
    built = index_documents(
        documents, {"path": "bench", "checksum": ""}, index_dir, encoder, sentence_vectors=sentence_vectors
    )
    seconds = time.perf_counter() - started
    chars = sum(len(r["text"]) for r in _records(index_dir))
    row = {
        "inference": encoder.inference,
        "sentence_vectors": sentence_vectors,
        "documents": len(documents),
        "passages": built.passages,
        "characters": chars,
        "seconds": round(seconds, 1),
        "passages_per_s": round(built.passages / seconds, 2),
        "chars_per_s": round(chars / seconds),
    }
    print(f"build {'reference' if reference else 'ragqa':9s} {row}", flush=True)
    return row


def serve_each(
    index_dir: Path, asked: list[Any], clients: list[int], workers: str, serve_args: list[str]
) -> dict[str, Any]:
    """One server per worker count, one after the other."""
    return {
        f"{n} worker{'s' if n > 1 else ''}": serve_and_ask(index_dir, asked, clients, n, serve_args)
        for n in (int(w) for w in workers.split(","))
    }


def serve_and_ask(
    index_dir: Path, asked: list[Any], clients: list[int], workers: int, serve_args: list[str]
) -> dict[str, Any]:
    """Ask through a real `ragqa serve`; memory of its workers read from /proc after the runs."""
    from qa.evaluation.metrics import exact_match, f1
    from web.server_process import running_server

    out: dict[str, Any] = {"workers": workers, "serve_args": serve_args}
    options = ["--workers", str(workers), *serve_args]
    with tempfile.TemporaryDirectory() as tmp, running_server(index_dir, Path(tmp) / "server.log", *options) as base:
        _post(base, "预热 warm-up")  # each worker warms itself up before it reports ready
        for n in clients:
            answers, latencies, refused = _ask_concurrently(base, [e.question for e in asked], n)
            row: dict[str, Any] = {
                "requests": len(latencies),
                "refused_429": refused,
                **latency_summary(latencies),
                "req_per_s": round(len(latencies) / (sum(latencies) / 1000 / n), 2),
            }
            if n == 1:
                row["em"] = round(100 * statistics.fmean(exact_match(a, e.answers) for a, e in zip(answers, asked)), 1)
                row["f1"] = round(100 * statistics.fmean(f1(a, e.answers) for a, e in zip(answers, asked)), 1)
            out[f"{n} client{'s' if n > 1 else ''}"] = row
            print(f"serve {workers} workers, {n} clients {row}", flush=True)
        out["memory_mb"] = _worker_memory(base)
        print(f"serve memory {out['memory_mb']}", flush=True)
    return out


def read_in_process(index_dir: Path, asked: list[Any], reader_inference: str) -> dict[str, Any]:
    """EM/F1 and latency of one reader engine on the same index, in process (no HTTP)."""
    from qa.evaluation import evaluate as ev
    from qa.evaluation.datasets import Dataset
    from qa.pipeline import Pipeline

    pipeline = Pipeline.load(index_dir, reader_inference=reader_inference)
    pipeline.ask("预热 warm-up", 5)
    outcomes = ev.run(pipeline, [Dataset("DRCD_test", asked)], top_k=5, batch_size=1, progress=False)
    summary = ev.summarize(outcomes)
    latencies = [o.latency_ms for o in outcomes]
    row = {
        "reader_inference": reader_inference,
        "em": round(summary["em"], 1),
        "f1": round(summary["f1"], 1),
        **latency_summary(latencies),
    }
    print(f"read  {reader_inference} {row}", flush=True)
    return row


def run_peer(work: Path, asked: list[Any], setup: bool) -> dict[str, Any]:
    """txtai on the passages of the served index and the same questions, in its own environment."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        if not setup:
            return {"skipped": f"no {PEER_VENV.relative_to(ROOT)}; run bench/peer_setup.sh"}
        subprocess.run(["sh", str(ROOT / "bench" / "peer_setup.sh")], check=True)
    from embeddings.encoder import resolve_model

    sys.path.insert(0, str(ROOT / "bench"))
    import peer_txtai

    reader = work / "peer-reader"
    if not (reader / "config.json").exists():
        peer_txtai.export_reader(str(reader), str(ROOT / "models" / "reader-e5-small"))
    passages = work / "peer-passages.jsonl"
    questions = work / "peer-questions.jsonl"
    with passages.open("w", encoding="utf-8") as f:
        for record, text in zip(_records(work / "ragqa"), _texts(work / "ragqa")):
            f.write(json.dumps({"id": record["id"], "text": text}, ensure_ascii=False) + "\n")
    with questions.open("w", encoding="utf-8") as f:
        for e in asked:
            f.write(json.dumps({"id": e.id, "question": e.question, "answers": e.answers}, ensure_ascii=False) + "\n")
    result = work / "peer-result.json"
    command = [
        str(python),
        str(ROOT / "bench" / "peer_txtai.py"),
        "--documents",
        str(passages),
        "--questions",
        str(questions),
        "--embedding-model",
        resolve_model("multilingual-e5-small")[1],
        "--reader",
        str(reader),
        "--out",
        str(result),
        "--threads",
        str(os.cpu_count() or 1),
    ]
    subprocess.run(command, check=True)
    peer: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    print(f"txtai {peer}", flush=True)
    return peer


def ratios(report: dict[str, Any]) -> dict[str, Any]:
    """ragqa over the reference and over txtai: build characters/s, per-question p50/mean/p95, EM/F1 points."""
    out: dict[str, Any] = {}
    full = report["builds"]["ragqa full"]
    one = next(iter(report["serving"].values())).get("1 client", {})
    if "build_speedup" in report:
        out["build vs reference (same sample)"] = report["build_speedup"]
    if "reference_reader" in report and one:
        ref = report["reference_reader"]
        out["EM/F1 vs torch reader (points)"] = [round(one["em"] - ref["em"], 1), round(one["f1"] - ref["f1"], 1)]
    peer = report.get("txtai", {})
    if "build" in peer and one:
        out["build chars/s vs txtai"] = round(full["chars_per_s"] / peer["build"]["characters_per_s"], 2)
        for stat in ("p50", "mean", "p95"):  # the mean is the time a run of questions takes, per question
            if f"{stat}_ms" in peer["ask"] and f"{stat}_ms" in one:
                out[f"{stat} vs txtai (txtai / ragqa)"] = round(peer["ask"][f"{stat}_ms"] / one[f"{stat}_ms"], 2)
        out["EM/F1 vs txtai (points)"] = [round(one["em"] - peer["em"], 1), round(one["f1"] - peer["f1"], 1)]
    return out


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    builds = report["builds"]
    peer = report.get("txtai", {})
    serving = report["serving"]
    names, speeds = [], []
    for key, label in (
        ("reference sample", "torch fp32\n(reference)"),
        ("ragqa sample", "ragqa\n(sample)"),
        ("ragqa full", "ragqa\n(full)"),
    ):
        if key in builds:
            names.append(label)
            speeds.append(builds[key]["chars_per_s"])
    if "build" in peer:
        names.append("txtai 9.14")
        speeds.append(peer["build"]["characters_per_s"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.bar(names, speeds, color="#4477aa")
    left.set_title("index build, characters/s (higher is better)")
    rows: list[tuple[str, dict[str, Any]]] = [
        (f"ragqa\n{workers}\n{key}", row)
        for workers, runs in serving.items()
        for key, row in runs.items()
        if key.endswith(("client", "clients"))
    ]
    if "reference_reader" in report:
        rows.append(("torch\nreader\nin process", report["reference_reader"]))
    if "ask" in peer:
        rows.append(("txtai 9.14\nin process", peer["ask"]))
    labels = [label for label, _ in rows]
    x = range(len(labels))
    for offset, stat, colour in ((-0.27, "p50", "#4477aa"), (0.0, "mean", "#88aa55"), (0.27, "p95", "#aa7744")):
        right.bar(
            [i + offset for i in x], [row.get(f"{stat}_ms", 0) for _, row in rows], 0.27, label=stat, color=colour
        )
    right.set_xticks(list(x), labels)
    right.set_title("per question, ms (lower is better)")
    right.legend()
    fig.suptitle(f"{report['machine']} · {report['started']}", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def _ask_concurrently(base: str, questions: list[str], clients: int) -> tuple[list[str | None], list[float], int]:
    """Every question answered once, `clients` at a time; answers in question order, latencies of the
    answered requests in ms, and how many requests were refused with 429 (a refused question waits its
    Retry-After and is asked again, as a well-behaved client does; the bench counts it, never dies on it)."""
    from load import ask

    answers: list[str | None] = [None] * len(questions)
    latencies: list[float] = []
    refused = 0
    lock = threading.Lock()
    todo = iter(range(len(questions)))

    def client() -> None:
        nonlocal refused
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            while True:
                outcome = ask(base, questions[i], top_k=5, timeout=120)
                if outcome.status != 429:
                    break
                with lock:
                    refused += 1
                time.sleep(float(outcome.retry_after or 1))
            with lock:
                latencies.append(outcome.seconds * 1000)
                answers[i] = outcome.answer if outcome.status == 200 else None

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, latencies, refused


def _post(base: str, question: str) -> dict[str, Any]:
    request = urllib.request.Request(
        base + "/api/ask",
        data=json.dumps({"question": question, "top_k": 5}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def _worker_memory(base: str) -> dict[str, Any]:
    """Resident (RSS) and proportional (PSS: shared pages split between sharers) MB of each worker."""
    port = base.rsplit(":", 1)[1]
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            rollup = (proc / "smaps_rollup").read_text()
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"serve" in cmdline and port.encode() in cmdline:
            fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if line.split()}
            found.append((int(proc.name), ppid, fields.get("Rss", 0) // 1024, fields.get("Pss", 0) // 1024))
    pids = {pid for pid, *_ in found}
    workers = [(rss, pss) for pid, ppid, rss, pss in found if ppid in pids]
    return {
        "workers": len(workers),
        "rss_mb": [rss for rss, _ in workers],
        "pss_mb": [pss for _, pss in workers],
    }


def _records(index_root: Path) -> list[dict[str, Any]]:
    from qa.store import jsonl, read_files

    files = read_files(index_root)
    return jsonl.parse(files.data["records.jsonl"])


def _texts(index_root: Path) -> list[str]:
    """The text each passage was embedded and BM25-indexed as (its title with it)."""
    from qa.ingest.passages import embedding_text

    return [embedding_text(r.get("title", ""), r.get("section", ""), r["text"]) for r in _records(index_root)]


def _save(report: dict[str, Any], out: str) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
