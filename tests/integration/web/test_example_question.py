"""The question box's example: configured, else drawn from the collection serving, never the demo
question over a collection that does not answer it; escaped, in both languages, per index version."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from qa.store import versions
from tests.helpers import ROOT
from web import create_app

DEMO = "福建三峡海上风电国际产业园占地多少亩？"
TITLE = "Bees <script>alert(1)</script> & hives"
BEES = [
    "A colony of honeybees lives in a hive built from wax combs. The queen lays up to 2,000 eggs a day in spring.",
    "Worker bees forage for nectar within about three kilometres of the hive and turn it into honey in the combs.",
    "Beekeepers harvest honey in late summer, leaving the colony enough stores to survive the winter months.",
]


@pytest.fixture(scope="module")
def other_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    """A collection without the shipped page: a three-passage note on bees and a short one on tides."""
    corpus = tmp_path_factory.mktemp("other-corpus")
    records = [
        {"id": "tides", "title": "Tide tables", "text": "High tide at the harbour is at 06:40 and 19:05 today."},
        {"id": "bees", "title": TITLE, "text": "\n\n".join(BEES)},
    ]
    (corpus / "notes.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    target = tmp_path_factory.mktemp("other-var") / "index"
    build_index(corpus, target, encoder)
    return target


@pytest.fixture(scope="module")
def other_pipeline(other_index: Path, encoder) -> Pipeline:
    return Pipeline.load(other_index, encoder=encoder, reader_dir="heuristic")


def placeholder(client, lang: str) -> str:
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    found = re.search(r'<textarea id="question"[^>]*\splaceholder="([^"]*)"', page)
    assert found, "no placeholder on the question box"
    return found.group(1)


def app_over(pipeline: Pipeline | None, tmp_path: Path, **config):
    base = {"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3")}
    if pipeline is None:
        base["RAGQA_INDEX"] = str(tmp_path / "missing")
    return create_app({**base, **config}, pipeline=pipeline)


@pytest.mark.parametrize("lang,expected", [("zh", f"例如：{DEMO}"), ("en", f"e.g. {DEMO}")])
def test_the_shipped_page_offers_its_question(client, lang: str, expected: str) -> None:
    assert placeholder(client, lang) == expected


@pytest.mark.parametrize(
    "lang,expected", [("zh", f"例如：问一个关于《{TITLE}》的问题"), ("en", f"e.g. ask something about “{TITLE}”")]
)
def test_another_collection_offers_its_own_title(other_pipeline, tmp_path: Path, lang: str, expected: str) -> None:
    client = app_over(other_pipeline, tmp_path).test_client()
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert "福建" not in page  # the demo question is about nothing this collection holds
    assert "<script>alert(1)</script>" not in page  # the title is text, not markup
    assert html.unescape(placeholder(client, lang)) == expected


@pytest.mark.parametrize("served", ["shipped", "other", "none"])
@pytest.mark.parametrize("lang,prefix", [("zh", "例如："), ("en", "e.g. ")])
def test_the_configured_question_wins(
    served: str, lang: str, prefix: str, pipeline, other_pipeline, tmp_path: Path, monkeypatch
) -> None:
    question = 'How tall is the "tower" <b>?'
    monkeypatch.setenv("RAGQA_EXAMPLE_QUESTION", f"  {question} ")
    chosen = {"shipped": pipeline, "other": other_pipeline, "none": None}[served]
    client = app_over(chosen, tmp_path).test_client()
    shown = placeholder(client, lang)
    assert "<b>" not in shown and html.unescape(shown) == prefix + question


@pytest.mark.parametrize("lang,expected", [("zh", "输入关于文档的问题"), ("en", "Type a question about the documents")])
def test_no_example_while_nothing_serves(tmp_path: Path, lang: str, expected: str) -> None:
    client = app_over(None, tmp_path).test_client()
    assert placeholder(client, lang) == expected


def test_the_example_follows_a_new_index_version(index_dir: Path, other_index: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    shutil.copytree(index_dir, root)
    client = app_over(None, tmp_path, RAGQA_INDEX=str(root), RAGQA_RELOAD_INTERVAL=0, RAGQA_READER="heuristic")
    client = client.test_client()
    assert placeholder(client, "en") == f"e.g. {DEMO}"
    name = versions.pointer(other_index)
    assert name is not None
    shutil.copytree(other_index / versions.VERSIONS / name, root / versions.VERSIONS / name)
    versions._switch(root, name)
    assert html.unescape(placeholder(client, "en")) == f"e.g. ask something about “{TITLE}”"


def test_the_script_does_not_carry_the_demo_question() -> None:
    script = (ROOT / "web" / "static" / "chat.js").read_text(encoding="utf-8")
    assert "福建三峡" not in script
