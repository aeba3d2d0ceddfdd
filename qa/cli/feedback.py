"""`ragqa feedback`: the answer feedback people gave on the chat page, exported as labelled questions."""

from __future__ import annotations

import click

from qa.config import Settings


@click.group()
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
