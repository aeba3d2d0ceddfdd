"""`ragqa serve`: check the index once, then hand the settings to gunicorn (`web.server`)."""

from __future__ import annotations

from typing import Any

import click

from qa.cli.options import backend_options, backend_settings, index_option, model_option, reader_inference_option


@click.command()
@index_option(help="Index directory.")
@model_option(help="Embedding model; must match the index.")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="RAGQA_HOST")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), envvar="RAGQA_PORT")
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
@reader_inference_option
@backend_options(None)
@click.option(
    "--data",
    "data_dir",
    default=None,
    envvar="RAGQA_DATA",
    help="Folder of the collections managed over HTTP (one folder each).  [default: var/collections]",
)
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
    data_dir: str | None,
) -> None:
    """Serve the chat page, the admin page and the JSON API with gunicorn."""
    from qa.store import check_model, read_manifest

    manifest = read_manifest(index_dir)  # fail here, in one line, rather than in every worker
    check_model(manifest, model, None, index_dir)
    _check_served_backend(manifest, index_dir, backend, milvus_uri, workers)
    from web.server import DEFAULT_DEPTH, DEFAULT_THREADS, DEFAULT_WAIT, ServeSettings
    from web.server import serve as run_server

    settings = ServeSettings(
        index_dir,
        model,
        host,
        port,
        workers,
        timeout,
        threads=DEFAULT_THREADS if threads is None else threads,
        queue_depth=DEFAULT_DEPTH if queue_depth is None else queue_depth,
        queue_wait=DEFAULT_WAIT if queue_wait is None else queue_wait,
        reload_interval=reload_interval,
        engine_threads=engine_threads,
        reader_inference=reader_inference,
        milvus_uri=milvus_uri,
        milvus_bm25=milvus_bm25,
        data_dir=data_dir,
    )
    settings.check()
    click.echo(f"serving {index_dir} ({manifest['count']} passages, {manifest['model']['id']}) on http://{host}:{port}")
    run_server(settings)


def _check_served_backend(
    manifest: dict[str, Any], index_dir: str, backend: str | None, milvus_uri: str | None, workers: int
) -> None:
    """Refuse, in one line, a backend the index was not built with, or Milvus Lite shared by workers."""
    from qa.store.spec import IndexSpec

    built = IndexSpec.from_manifest(manifest).backend
    if (reason := IndexSpec(backend=backend).mismatch(IndexSpec.from_manifest(manifest))) is not None:
        raise click.ClickException(
            f"{reason.replace('the index', f'index at {index_dir}', 1)}; "
            f"build it with `ragqa index --backend {backend}` or serve it without --backend"
        )
    if built != "milvus":
        return
    backend_settings("milvus", milvus_uri or manifest["backend"].get("uri"))  # says which extra is missing
    uri = milvus_uri or manifest["backend"].get("uri", "")
    if "://" not in uri and workers > 1:
        raise click.ClickException(
            f"Milvus Lite ({uri}) opens its file in one process only; serve with --workers 1, "
            "or point --milvus-uri at a Milvus server"
        )
