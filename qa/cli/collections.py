"""`ragqa collections`: the collections a server manages over HTTP, from the shell.

`add` and `remove` queue, as the HTTP routes do; a running server's writer applies the queue, or
`apply` does it here (and waits while a server's writer holds the collection).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from qa.cli.options import download_option, inference_option, model_option
from qa.config import Settings

if TYPE_CHECKING:
    from qa.collections.collection import Collection, Collections

data_option = click.option(
    "--data",
    "data_dir",
    envvar="RAGQA_DATA",
    show_envvar=True,
    default=Settings.data_dir,
    show_default=True,
    help="Folder of the collections managed over HTTP.",
)


def open_collections(data_dir: str) -> Collections:
    """The data folder's collections, with the default one where RAGQA_INDEX and RAGQA_CORPUS say."""
    from qa.collections.collection import Collections

    settings = Settings.from_env()
    return Collections(data_dir, settings.corpus_dir, settings.index_dir)


@click.group()
def collections() -> None:
    """Collections beside the default index: create them, add and remove documents, apply the queue."""


@collections.command("list")
@data_option
def list_(data_dir: str) -> None:
    """List the collections and their documents by status."""
    found = open_collections(data_dir)
    for name in found.names():
        summary = found.get(name).summary()
        counts = ", ".join(f"{n} {status}" for status, n in summary["documents"].items() if n)
        note = " (read-only: the server's own index)" if summary["read_only"] else ""
        click.echo(f"{name}{note}: {counts or 'no documents queued or indexed here'}")


@collections.command()
@click.argument("name")
@data_option
def create(name: str, data_dir: str) -> None:
    """Create an empty collection."""
    made = open_collections(data_dir).create(name)
    click.echo(f"created {made.name} in {made.folder}")


@collections.command()
@click.argument("name")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--metadata", metavar="JSON", help='Fields for every file, filters can match: \'{"team": "ops"}\'.')
@click.option("--max-files", default=1000, show_default=True, type=click.IntRange(1), help="Files at most.")
@data_option
def add(name: str, files: tuple[str, ...], metadata: str | None, max_files: int, data_dir: str) -> None:
    """Queue files for a collection (checked as an upload is); a server's writer or `apply` indexes them."""
    from contextlib import ExitStack
    from pathlib import Path

    from qa.collections.collection import Upload
    from qa.collections.uploads import UploadLimits

    collection = open_collections(data_dir).get(name)
    limits = UploadLimits.from_settings(Settings.from_env(), max_files)
    with ExitStack() as stack:
        uploads = [Upload(Path(path).name, stack.enter_context(open(path, "rb"))) for path in files]
        added = collection.add(uploads, metadata, limits)
    for entry in added:
        click.echo(f"{entry.id}  {entry.name}  {entry.status}")


@collections.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as GET /api/collections/<name>/documents.")
@data_option
def documents(name: str, as_json: bool, data_dir: str) -> None:
    """List a collection's documents with their status (and why one failed)."""
    collection = open_collections(data_dir).get(name)
    entries = [] if collection.read_only else collection.queue.all()
    if as_json:
        click.echo(json.dumps({"documents": [e.to_dict() for e in entries]}, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        why = f"  ({entry.reason})" if entry.reason else ""
        click.echo(f"{entry.id}  {entry.status:<8}  {entry.name}{why}")


@collections.command()
@click.argument("name")
@click.argument("ids", nargs=-1, required=True)
@data_option
def remove(name: str, ids: tuple[str, ...], data_dir: str) -> None:
    """Queue documents (by id, as `documents` lists them) for removal."""
    collection = open_collections(data_dir).get(name)
    for doc_id in ids:
        entry = collection.remove(doc_id)
        click.echo(f"{entry.id}  {entry.status}  {entry.name}")


@collections.command()
@click.argument("name")
@model_option(help="Embedding model. [default: the one the collection's index was built with, else the default]")
@inference_option
@download_option
@data_option
def apply(name: str, model: str | None, inference: str, allow_download: bool, data_dir: str) -> None:
    """Apply a collection's queue now: index what was added, drop what was removed."""
    from qa.cli.options import encoder_from
    from qa.collections.writer import IndexApplier, Writer

    collection = open_collections(data_dir).get(name).writable()
    encoder = encoder_from(model or _built_with(collection), allow_download, inference)
    writer = Writer(collection, IndexApplier(lambda: encoder))
    applied = False
    while (done := writer.run(wait=True)) is not None:
        applied = True
        click.echo(f"{len(done.ready)} ready, {len(done.failed)} failed, {len(done.removed)} removed")
        for entry in (collection.queue.get(doc_id) for doc_id in done.failed):
            click.echo(f"failed {entry.name}: {entry.reason}", err=True)
    if not applied:
        click.echo(f"nothing queued in {name}")


def _built_with(collection: Collection) -> str | None:
    from qa.errors import RagqaError
    from qa.store import read_manifest

    try:
        return read_manifest(collection.index)["model"]["id"]
    except (RagqaError, KeyError, TypeError):
        return None
