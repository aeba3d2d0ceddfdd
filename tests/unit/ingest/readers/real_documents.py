"""The shared test documents (../shared/documents from the repository root) and their questions.

The files are real public documents; tests read them where they lie (they are never copied into
the project) and skip, saying why, where the folder is missing. Answers are compared as the
folder's README says: whitespace ignored for Chinese, collapsed for other text.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from tests.helpers import ROOT

DOCUMENTS = (ROOT / ".." / "shared" / "documents").resolve()
_CJK = re.compile(r"[\u3400-\u9fff]")


def document(name: str) -> bytes:
    """A shared document's bytes; the test is skipped when the shared folder is not there."""
    path = DOCUMENTS / name
    if not path.is_file():
        pytest.skip(f"shared test document {path} is missing (the shared documents folder is not checked out)")
    return path.read_bytes()


def question_params(suffix: str) -> list[Any]:
    """pytest params, one a question about a shared document ending in `suffix`."""
    path = DOCUMENTS / "questions.jsonl"
    if not path.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path} is missing"))]
    found = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [pytest.param(q, id=f"{q['file']}:{q['answer'][:24]}") for q in found if q["file"].lower().endswith(suffix)]


def squeeze(text: str, like: str) -> str:
    """Text as answers are compared: no whitespace when `like` (the answer) is Chinese, else single spaces."""
    return re.sub(r"\s+", "", text) if _CJK.search(like) else " ".join(text.split())


@cache
def read_shared(name: str) -> list[Any]:
    """The documents the registry's reader makes of a shared file (read once per test session)."""
    from qa.ingest import readers

    data = document(name)
    problems: list[tuple[str, str]] = []
    docs = readers.choose(name, data).read(name, data, lambda where, why: problems.append((where, why)))
    assert not problems, problems
    return docs


def assert_offsets(blocks: list[Any]) -> None:
    """Every block's text is its slice of the source: the blocks' texts joined by blank lines."""
    source = "\n\n".join(b.text for b in blocks)
    for block in blocks:
        assert source[block.start : block.end] == block.text
        assert block.boxes is None


def saved(document: Any) -> bytes:
    """The bytes of a python-docx / python-pptx / openpyxl object as its format writes them."""
    import io

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def holding_blocks(doc: Any, question: dict) -> list[Any]:
    """The blocks whose text holds a question's answer (compared as the documents' README says); never none."""
    answer = squeeze(question["answer"], question["answer"])
    holding = [b for b in doc.blocks if answer in squeeze(b.text, question["answer"])]
    assert holding, f"{question['answer']!r} is in no block"
    return holding
