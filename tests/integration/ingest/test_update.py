"""`ragqa index --update` with the real model: after adding, changing and deleting documents the
updated index holds what a full rebuild of the same corpus holds, and answers the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main
from qa.ingest.indexer import build_index
from qa.ingest.update import update_index
from qa.pipeline import Pipeline
from qa.store import open_index, read_files, versions
from tests.helpers import DATA

PAGE_QUESTIONS = [json.loads(line)["question"] for line in (DATA / "seed_labels.jsonl").read_text().splitlines()]
# The same text embedded in another batch comes out a few float32 ulps apart: sentence-transformers
# batches by length, so a passage's batch mates (and padding) differ between an update and a rebuild.
VECTOR_ATOL = 1e-5


def edit(corpus: Path) -> None:
    """A day's changes: a document added, one changed, one deleted, one JSONL record changed."""
    (corpus / "english" / "geysers.txt").write_text(
        "El Tatio Geysers\n\nEl Tatio in northern Chile has more than 80 active geysers at 4,320 metres.\n",
        encoding="utf-8",
    )
    atacama = corpus / "english" / "atacama.txt"
    atacama.write_text(atacama.read_text() + "\nIn 2023 the plant supplied power to 380,000 homes.\n")
    (corpus / "qinghai.html").unlink()
    faq = corpus / "faq.jsonl"
    faq.write_text(faq.read_text(encoding="utf-8").replace("60元", "80元"), encoding="utf-8")


@pytest.fixture()
def updated(tmp_path: Path, corpus_dir: Path, encoder) -> tuple[Path, Path, Path]:
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    root = tmp_path / "index"
    build_index(corpus, root, encoder)
    edit(corpus)
    return corpus, root, tmp_path / "rebuilt"


def test_an_update_equals_a_full_rebuild_and_answers_the_same(updated, encoder) -> None:
    corpus, root, rebuilt = updated
    report = update_index(corpus, root, encoder)
    assert (report.changes.added, report.changes.changed, report.changes.deleted) == (
        ["english/geysers.txt"],
        ["english/atacama.txt", "faq-2"],
        ["qinghai.html"],
    )
    assert report.embedded < report.passages / 4  # the newspaper page was not embedded again
    build_index(corpus, rebuilt, encoder)
    mine, full = read_files(root), read_files(rebuilt)
    a, b = open_index(mine), open_index(full)
    assert a.records == b.records
    for name in ("documents.jsonl", *(n for n in full.data if n.startswith("bm25/"))):
        assert mine.data[name] == full.data[name], name
    vectors = [x.dense.faiss_index.reconstruct_n(0, x.dense.size) for x in (a, b)]
    np.testing.assert_allclose(vectors[0], vectors[1], atol=VECTOR_ATOL)
    assert a.sentence_vectors.keys() == b.sentence_vectors.keys()
    questions = [*PAGE_QUESTIONS, "How tall is the tower of Cerro Dominador?", "How many geysers are at El Tatio?"]
    answers = [
        [(r.answer.text if r.answer else None, [p.passage.id for p in r.passages]) for r in p.ask_many(questions)]
        for p in (Pipeline.load(root, encoder=encoder), Pipeline.load(rebuilt, encoder=encoder))
    ]
    assert answers[0] == answers[1]
    assert any(text == "80" or (text and "80" in text) for text, _ in answers[0][-1:])


def test_the_command_prints_progress_and_a_summary(updated, runner) -> None:
    corpus, root, _ = updated
    live = versions.pointer(root)
    result = runner.invoke(main, ["index", "--update", "--corpus", str(corpus), "--index", str(root)])
    assert result.exit_code == 0, result.output
    assert "1 added, 2 changed, 1 deleted, 2 unchanged documents" in result.output
    assert "embedding " in result.output and versions.pointer(root) != live
    again = runner.invoke(main, ["index", "--update", "--corpus", str(corpus), "--index", str(root)])
    assert again.exit_code == 0 and "up to date" in again.output
