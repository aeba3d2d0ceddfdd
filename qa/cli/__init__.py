"""The `ragqa` command: build an index, serve it, ask it, measure it.

Settings come from the flags, else from the environment variables each flag names (click's
`envvar`, read when the command runs), else from the defaults in `qa.config.Settings`.

One module per command group; each imports its heavy parts inside the command, so that
`ragqa --help` and every command start without loading torch, FAISS or flask.
"""

from __future__ import annotations

import logging
from typing import Any

import click

from qa.cli import ask, collections, evaluate, feedback, index, models, serve, training
from qa.errors import RagqaError


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
    from embeddings.progress import show_steps

    show_steps()


for _command in (
    index.index,
    serve.serve,
    ask.ask,
    evaluate.evaluate,
    evaluate.calibrate_reader,
    training.train_reader,
    training.reader_data,
    models.model,
    feedback.feedback,
    collections.collections,
):
    main.add_command(_command)

__all__ = ["main"]
