"""`ragqa eval` and `ragqa calibrate-reader`: score answers on labelled questions, and tune the reader on them."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from qa.cli.options import (
    download_option,
    encoder_from,
    inference_option,
    model_option,
    query_backend_option,
    reader_inference_option,
    reader_option,
    sentence_vectors_option,
)
from qa.config import Settings

if TYPE_CHECKING:
    from qa.evaluation.datasets import Dataset
    from qa.reading.reader import Reader


@click.command(name="eval")
@click.argument("datasets", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--index",
    "index_dir",
    default=None,
    help="Evaluate this existing index (default: RAGQA_INDEX); with --build, write the new index here and keep it.",
)
@click.option("--build", is_flag=True, help="Index the datasets' own contexts first (one document per article).")
@model_option(help="Embedding model for --build. [default: multilingual-e5-small]")
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
@reader_option
@query_backend_option
@click.option(
    "--fold",
    default=None,
    metavar="K/N",
    help="Only the questions of articles K, K+N, K+2N... (e.g. 2/2; see calibrate-reader).",
)
@inference_option
@sentence_vectors_option
@reader_inference_option
@download_option
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
            encoder = encoder_from(model, allow_download, inference)
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


@click.command(name="calibrate-reader")
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
