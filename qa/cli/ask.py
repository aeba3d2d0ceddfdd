"""`ragqa ask`: one question answered on the terminal, or as the API's JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from qa.cli.collections import data_option
from qa.cli.options import index_option, model_option, query_backend_option, reader_inference_option, reader_option


@click.command()
@click.argument("question")
@index_option(help="Index directory.")
@model_option(help="Embedding model; must match the index.")
@click.option("--top-k", default=5, show_default=True, type=int, help="Passages to return (1-20).")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as POST /api/ask.")
@click.option(
    "--filters",
    "filters_json",
    metavar="JSON",
    help='Search only documents whose metadata matches, as /api/ask\'s "filters": \'{"type": "pdf"}\'.',
)
@click.option(
    "--collection",
    default=None,
    help="Ask a collection managed over HTTP (under --data) instead of the index; 'default' is the index.",
)
@data_option
@reader_option
@reader_inference_option
@query_backend_option
def ask(
    question: str,
    index_dir: str,
    model: str | None,
    top_k: int,
    as_json: bool,
    filters_json: str | None,
    reader_dir: str | None,
    reader_inference: str,
    query_backend: str | None,
    collection: str | None,
    data_dir: str,
) -> None:
    """Answer one question from the command line."""
    from qa.pipeline import Pipeline, check_question, check_top_k

    check_question(question)
    check_top_k(top_k)
    filters = _filters(filters_json)
    if collection is not None:
        from qa.collections.collection import Collections
        from qa.config import Settings

        index_dir = str(Collections(data_dir, Settings.corpus_dir, index_dir).get(collection).index)
    pipeline = Pipeline.load(
        index_dir, model=model, query_backend=query_backend, reader_dir=reader_dir, reader_inference=reader_inference
    )
    result = pipeline.ask(question, top_k, filters).to_dict()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    answer = result["answer"]
    click.echo(
        f"answer: {click.style(answer['text'], bold=True)} (score {answer['score']:.2f})"
        if answer
        else "answer: none found"
    )
    if result.get("note"):
        click.echo(result["note"])
    for n, p in enumerate(result["passages"], start=1):
        section = f" · {p['section']}" if p["section"] else ""
        page = f", page {p['page']}" if p.get("page") else ""
        click.echo(f"\n[{n}] {p['title']}{section}  ({p['id']}{page}, score {p['score']:.4f})")
        click.echo(_terminal_highlight(p["text"], p["highlights"]))


def _filters(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f'not JSON ({exc}); e.g. \'{{"type": "pdf"}}\'', param_hint="--filters") from None


def _terminal_highlight(text: str, highlights: list[dict[str, Any]]) -> str:
    answer = next((h for h in highlights if h["kind"] == "answer"), None)
    if answer is None:
        return text
    s, e = answer["start"], answer["end"]
    return text[:s] + click.style(text[s:e], bold=True, underline=True) + text[e:]
