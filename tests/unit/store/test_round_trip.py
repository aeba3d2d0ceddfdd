"""Every file of an index version reads back as it was written, whatever the text holds.

Real parts throughout: a whole version is published through `qa.store.index.save_index` (FAISS,
bm25s over the product's tokenizer, sentence vectors, the document list, the manifest, the
pointer) and opened with `open_index`, as a server opens it, short of the model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import IndexUnavailable
from qa.store import bm25, catalog, files, index, jsonl, sentences, versions
from qa.text import index_tokens, split_sentences

# What has broken or could break a line-oriented file: the other line ends of str.splitlines(),
# NUL, byte order marks, CR/LF mixes, JSON's own quote and escape, and text beside them.
NASTY = [
    "\u2028",
    "\u2029",
    "\x85",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x0b",
    "\x0c",
    "\x00",
    "\ufeff",
    "\r\n",
    "\r",
    "\n",
    "\n\r",
    '"',
    "\\",
    "\\u2028",
    "\u200b",
    "e\u0301",
    "\U0001f600",
    "风电。",
    "1300 mu. ",
    "Its investment? ",
]
TEXT = st.lists(st.one_of(st.sampled_from(NASTY), st.text(st.characters(codec="utf-8"), max_size=4)), max_size=10).map(
    "".join
)
RECORD = st.fixed_dictionaries(
    {"id": TEXT, "title": TEXT, "text": TEXT}, optional={"extra": st.dictionaries(TEXT, TEXT, max_size=2)}
)
ENTRY = st.builds(catalog.Entry, id=TEXT, hash=TEXT, passages=st.integers(0, 3))
ROUND_TRIP = settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(records=st.lists(RECORD, min_size=1, max_size=4), entries=st.lists(ENTRY, max_size=3), note=TEXT)
@ROUND_TRIP
def test_a_version_of_nasty_text_reads_back_identically(
    records: list[dict[str, Any]], entries: list[catalog.Entry], note: str
) -> None:
    records = [{"id": "anchor", "title": "", "text": "The wind park covers 1300 mu."}, *records]  # bm25s needs a word
    texts = [r["text"] for r in records]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(records), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    lexical = bm25.build(texts)
    said = sentences.passage_sentences(texts)
    sentence_vectors = np.arange(len(said) * 4, dtype=np.float16).reshape(len(said), 4)
    manifest = {"model": {"id": "toy", "note": note}, "note": note}
    with tempfile.TemporaryDirectory() as tmp:  # one root per example; tmp_path is one per test
        root = Path(tmp) / "index"
        with versions.build_lock(root):
            published = index.save_index(root, vectors, records, manifest, lexical, sentence_vectors, documents=entries)
        found = files.read_files(root)
        opened = index.open_index(found)
        assert versions.pointer(root) == published.name == opened.version  # CURRENT
    assert found.manifest["note"] == note and found.manifest["model"]["note"] == note  # manifest.json
    assert opened.records == records  # records.jsonl
    assert opened.documents == entries  # documents.jsonl
    assert opened.bm25.vocab_dict == lexical.vocab_dict  # bm25/: its tokens hold whatever the text held
    for tokens in [index_tokens(t) for t in texts if index_tokens(t)]:
        assert np.array_equal(opened.bm25.get_scores(tokens), lexical.get_scores(tokens))
    # sentences.npy: the sentences are split again from the passages read back, and split the same
    assert [split_sentences(r["text"]) for r in opened.records] == [split_sentences(t) for t in texts]
    expected = dict(zip(said, sentence_vectors.astype(np.float32)))
    assert opened.sentence_vectors.keys() == expected.keys()
    assert all(np.array_equal(opened.sentence_vectors[s], v) for s, v in expected.items())


@given(records=st.lists(RECORD, max_size=6))
@settings(max_examples=200, derandomize=True)
def test_json_lines_read_back_identically(records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        jsonl.write(path, records)
        blob = path.read_bytes()
    assert blob.count(b"\n") == len(records)  # one line a record, whatever the text holds
    assert jsonl.parse(blob) == records


@pytest.mark.parametrize("written", ["{name}\n", "{name}", "{name}\r\n", "\ufeff{name}\n", " {name} \n\n"])
def test_the_pointer_reads_back_the_version_it_names(tmp_path: Path, written: str) -> None:
    name = versions._new_name()
    versions._switch(tmp_path, name)
    assert versions.pointer(tmp_path) == name
    (tmp_path / versions.POINTER).write_text(written.format(name=name), encoding="utf-8")  # edited by hand
    assert versions.pointer(tmp_path) == name


def test_text_that_cannot_be_written_as_utf8_is_refused_naming_the_record(tmp_path: Path) -> None:
    """A lone surrogate (a decoding fault upstream) is refused when written, not found when read."""
    root = tmp_path / "index"
    records = [{"id": "p-1", "text": "fine"}, {"id": "p-7", "text": "half a pair \ud800 here"}]
    vectors = np.eye(2, 8, dtype=np.float32)
    with versions.build_lock(root), pytest.raises(ValueError, match=r"record 'p-7'.*UTF-8"):
        index.save_index(root, vectors, records, {"model": {"id": "toy"}}, bm25.build(["fine"]), np.zeros((0, 4)))
    assert versions.pointer(root) is None and versions.names(root) == []  # nothing half-written was kept
    assert [p.name for p in (root / versions.VERSIONS).iterdir()] == []
    with pytest.raises(ValueError, match="record 'doc-1'"):
        catalog.save([catalog.Entry("doc-1", "\udcff", 1)], tmp_path)
    with versions.build_lock(root), pytest.raises(ValueError, match="manifest"):
        index.save_index(
            root, vectors[:1], records[:1], {"model": {"id": "toy\udcff"}}, bm25.build(["fine"]), np.zeros((1, 4))
        )


def test_a_build_whose_version_cannot_be_read_back_is_not_published(tmp_path: Path) -> None:
    root = tmp_path / "index"
    texts = ["First sentence. Second one.", "Another passage."]
    records = [{"id": str(n), "text": t} for n, t in enumerate(texts)]
    vectors = np.eye(2, 8, dtype=np.float32)
    good = np.zeros((len(sentences.passage_sentences(texts)), 4), dtype=np.float16)
    with versions.build_lock(root):
        live = index.save_index(root, vectors, records, {"model": {"id": "toy"}}, bm25.build(texts), good)
        # One sentence vector too many: what a builder splitting sentences otherwise than the loader writes.
        bad = np.zeros((len(good) + 1, 4), dtype=np.float16)
        with pytest.raises(IndexUnavailable) as err:
            index.save_index(root, vectors, records, {"model": {"id": "toy"}}, bm25.build(texts), bad)
    message = str(err.value)
    assert "could not be read back" in message and "live version is unchanged" in message
    assert "sentence" in message
    assert versions.pointer(root) == live.name and versions.names(root) == [live.name]
    assert [p.name for p in (root / versions.VERSIONS).iterdir()] == [live.name]  # the refused folder is gone
    assert index.open_index(files.read_files(root)).records == records
