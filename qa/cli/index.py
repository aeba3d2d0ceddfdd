"""`ragqa index`: build a new version of the index, or update the live one with what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from qa.cli.options import (
    backend_options,
    backend_settings,
    download_option,
    encoder_from,
    index_option,
    inference_option,
    model_option,
    sentence_vectors_option,
)
from qa.config import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from embeddings.encoder import Encoder
    from qa.store.backend import BackendSettings


@click.command()
@click.option(
    "--corpus",
    "corpus_dir",
    envvar="RAGQA_CORPUS",
    show_envvar=True,
    default=Settings.corpus_dir,
    show_default=True,
    help="Folder of documents.",
)
@index_option(help="Index directory to write.")
@model_option(help="Embedding model: alias, folder or name. [default: multilingual-e5-small]")
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
@inference_option
@sentence_vectors_option
@download_option
@backend_options("faiss")
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
    from qa.store.backend import MILVUS
    from qa.store.spec import IndexSpec
    from qa.store.versions import busy

    settings = backend_settings(backend, milvus_uri, milvus_collection)
    if ray_address is not None:
        from qa.store.backend import require

        require("ray", "ray", "ragqa index --ray")  # before the model loads
    if update:
        if (refusal := busy(index_dir)) is not None:  # before spending seconds loading the model
            raise click.ClickException(refusal)
        encoder = encoder_from(model, allow_download, inference)
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
        wanted = IndexSpec(
            model_id=model or DEFAULT_MODEL,
            inference=inference,
            sentence_vectors=sentence_vectors,
            backend=settings.kind,
            # None: named after the index root, as the index's own was
            collection=settings.collection if settings.kind == MILVUS else None,
        )
        reason = stale_reason(corpus_dir, index_dir, wanted)
        if reason is None:
            click.echo(f"index at {index_dir} is up to date")
            return
        click.echo(f"rebuilding index: {reason}")
    if (refusal := busy(index_dir)) is not None:  # say so before spending seconds loading the model
        raise click.ClickException(refusal)
    encoder = encoder_from(model, allow_download, inference)
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
    settings: BackendSettings,
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
