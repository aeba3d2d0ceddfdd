"""The reproducer of issue 29: a document holding U+2028 (LINE SEPARATOR), through the commands users run."""

from __future__ import annotations

import json
from pathlib import Path

from qa.cli import main

TEXT = "The wind park covers 1300 mu.\u2028Its investment is 50 billion yuan."


def test_a_document_with_a_line_separator_builds_loads_and_answers(runner, tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "copied.txt").write_text(TEXT + "\n", encoding="utf-8")
    index = str(tmp_path / "i")
    built = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", index])
    assert built.exit_code == 0, built.output
    asked = runner.invoke(main, ["ask", "How many mu?", "--index", index, "--json"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.output)["passages"][0]["text"] == TEXT  # the passage as written, separator and all
    asked = runner.invoke(main, ["ask", "How many mu does the wind park cover?", "--index", index, "--json"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.output)["answer"]["text"] == "1300 mu"
