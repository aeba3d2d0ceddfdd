"""Sentence vectors pooled from the passages' own pass (the default) against sentences encoded apart:
the same passage vectors, sentence vectors of the same kind (each closest to its own sentence), one
pass fewer, and the way recorded in the manifest and kept by updates."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import load_encoder
from qa.ingest.corpus import read_corpus
from qa.ingest.indexer import build_index
from qa.ingest.passages import split_passages
from qa.ingest.update import update_index
from qa.store import read_files, read_manifest, sentences


@pytest.fixture(scope="module")
def page_passages(corpus_dir: Path, encoder):
    return split_passages(read_corpus(corpus_dir).documents, fits=encoder.fits)


@pytest.mark.parametrize("inference", ["torch", "onnx-int8"])
def test_pooled_vectors_are_the_sentences_own(encoder, page_passages, inference: str) -> None:
    engine = encoder if inference == "torch" else load_encoder(inference=inference)
    texts = [p.embedding_text() for p in page_passages]
    bodies = [p.text for p in page_passages]
    vectors, pooled = sentences.with_passages(texts, bodies, engine)
    # The passage vectors are the ones a plain pass gives.
    assert np.allclose(vectors, engine.encode_passages(texts), atol=2e-3)
    encoded = sentences.encode(bodies, engine).astype(np.float32)
    assert pooled.dtype == np.float16 and pooled.shape == encoded.shape
    pooled = pooled.astype(np.float32)
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=2e-3)
    # Same kind of vector: each pooled sentence is near its own encoding, and the encoded sentence
    # nearest to it is of its own passage (which passage a sentence is about is what it keeps; its
    # passage around it makes it closer to its neighbours, docs/performance.md).
    agreement = (pooled * encoded).sum(axis=1)
    assert float(np.median(agreement)) >= 0.9
    passage_of = np.array([i for i, body in enumerate(bodies) for _ in sentences.passage_sentences([body])])
    nearest = (pooled @ encoded.T).argmax(axis=1)
    assert (passage_of[nearest] == passage_of).mean() >= 0.8  # 0.89 on the page; by chance, 1 in 55


def test_build_records_its_way_and_pooled_costs_one_pass(corpus_dir: Path, encoder, tmp_path: Path) -> None:
    calls: list[int] = []
    real = encoder.encode_passages

    def counted(texts, progress=False):
        calls.append(len(texts))
        return real(texts, progress)

    encoder.encode_passages = counted
    try:
        build_index(corpus_dir, tmp_path / "pooled", encoder)
        pooled_calls = list(calls)
        calls.clear()
        build_index(corpus_dir, tmp_path / "encoded", encoder, sentence_vectors="encoded")
    finally:
        del encoder.encode_passages
    assert read_manifest(tmp_path / "pooled")["sentences"] == {"vectors": "pooled"}
    assert read_manifest(tmp_path / "encoded")["sentences"] == {"vectors": "encoded"}
    assert sum(pooled_calls) <= 1  # the cosine scale, at most; the passages went through passage_states
    assert len(calls) >= 2  # passages, then sentences
    files_p, files_e = read_files(tmp_path / "pooled"), read_files(tmp_path / "encoded")
    assert files_p.data["records.jsonl"] == files_e.data["records.jsonl"]
    shapes = [np.load(io.BytesIO(f.data[sentences.FILE])).shape for f in (files_p, files_e)]
    assert shapes[0] == shapes[1]


def test_an_update_keeps_the_live_versions_way(corpus_dir: Path, encoder, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    root = tmp_path / "index"
    build_index(corpus, root, encoder, sentence_vectors="encoded")
    first = sorted(p for p in corpus.rglob("*.txt") if p.is_file())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n\n新增的一段文字，用来检验更新。", encoding="utf-8")
    report = update_index(corpus, root, encoder)  # the default would pool; the live version encoded
    assert report.version is not None
    assert read_manifest(root)["sentences"] == {"vectors": "encoded"}


def test_an_unknown_way_is_refused(corpus_dir: Path, encoder, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pooled, encoded"):
        build_index(corpus_dir, tmp_path / "i", encoder, sentence_vectors="averaged")
