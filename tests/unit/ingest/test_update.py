"""`update_index` against a full build of the same corpus, with a hashing encoder instead of the model.

The fake encoder (a stand-in: loading the real model belongs to tests/integration) gives every text
a fixed vector, so an update and a rebuild must agree bit for bit; it also records what it was
asked to embed, which is how these tests see that only changed documents are embedded.
tests/integration/ingest/test_update.py makes the same comparison with the real model.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.ingest.indexer import build_index
from qa.ingest.update import update_index
from qa.store import files, open_index, read_files, versions
from qa.store.spec import IndexSpec


class HashingEncoder:
    """Deterministic unit vectors from a text's sha256; counts what it embeds."""

    def __init__(self, model_id: str = "hashing", dim: int = 16) -> None:
        self.model_id = model_id
        self.fingerprint = model_id + "-1"
        self.prompts = {"query": "query: ", "passage": "passage: "}
        self.inference = "torch"
        self.mean_pooled = False  # no token states: sentence vectors come from their own pass
        self.dim = dim
        self.embedded: list[str] = []
        self.fail = False

    def fits(self, text: str) -> bool:
        return True

    def _vectors(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256((prompt + text).encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).normal(size=self.dim))
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts, self.prompts["query"])

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if self.fail and texts:
            raise RuntimeError("the encoder broke half-way")
        self.embedded.extend(texts)
        return self._vectors(texts, self.prompts["passage"])


DOCS = {
    "a.txt": "上海张江科学城集聚了大量研发机构。\n\n园区去年新增企业一千二百家，产值增长百分之十五。",
    "b.txt": "The Cerro Dominador plant began operation in June 2021.\n\nIts tower stands 252 metres tall.",
    "c.md": "# 青海湖\n\n青海湖是中国最大的内陆咸水湖，面积约4400平方千米。\n\n每年春天斑头雁在鸟岛繁殖。",
    "sub/d.txt": "福建三峡海上风电国际产业园总投资40亿元，占地1000亩。",
}
RECORDS = [
    {"id": "faq-1", "title": "Opening hours", "text": "The museum opens at 9:30 and closes at 17:00."},
    {"id": "faq-2", "title": "门票", "text": "博物馆成人门票为60元，学生凭学生证半价。"},
]


def write_corpus(root: Path, docs: dict[str, str], records: Sequence[Mapping[str, object]]) -> Path:
    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for name, text in docs.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "faq.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    return root


def edited() -> tuple[dict[str, str], list[dict[str, str]]]:
    """The corpus after a day's work: one file added, one changed, one deleted, one JSONL record changed."""
    docs = dict(DOCS)
    docs["b.txt"] = DOCS["b.txt"] + "\n\nIt stores heat in molten salt for 17.5 hours."
    del docs["c.md"]
    docs["e.txt"] = "深圳湾实验室聚焦生命信息与生物医药，已建成十个公共平台。"
    records = [RECORDS[0], {**RECORDS[1], "text": "博物馆成人门票为80元，学生凭学生证半价。"}]
    return docs, records


def contents(root: Path) -> dict[str, object]:
    """What a version holds, everything but when it was built and the model's measured scale."""
    found = read_files(root)
    opened = open_index(found)
    vectors = opened.dense.faiss_index.reconstruct_n(0, opened.dense.size)
    manifest = {k: v for k, v in found.manifest.items() if k not in ("built_at", "files")}
    manifest["corpus"] = {k: v for k, v in manifest["corpus"].items() if k != "path"}
    return {
        "records": opened.records,
        "vectors": vectors.tobytes(),
        "sentences": found.data["sentences.npy"],
        "documents": found.data["documents.jsonl"],
        "bm25": {name: blob for name, blob in found.data.items() if name.startswith("bm25/")},
        "manifest": manifest,
    }


@pytest.fixture(autouse=True)
def model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cosine scale a build measures is cached with the models: keep the fake's out of the user's cache."""
    monkeypatch.setenv("RAGQA_MODELS", str(tmp_path / "models"))


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path, HashingEncoder]:
    corpus = write_corpus(tmp_path / "corpus", DOCS, RECORDS)
    root = tmp_path / "index"
    encoder = HashingEncoder()
    build_index(corpus, root, encoder)  # type: ignore[arg-type]
    encoder.embedded.clear()
    return corpus, root, encoder


def test_an_update_holds_exactly_what_a_full_rebuild_does(built, tmp_path: Path) -> None:
    corpus, root, encoder = built
    write_corpus(corpus, *edited())
    report = update_index(corpus, root, encoder)  # type: ignore[arg-type]
    rebuilt = tmp_path / "rebuilt"
    build_index(corpus, rebuilt, HashingEncoder())  # type: ignore[arg-type]
    assert contents(root) == contents(rebuilt)
    assert report.version == versions.pointer(root)
    assert (report.changes.added, report.changes.changed, report.changes.deleted) == (
        ["e.txt"],
        ["b.txt", "faq-2"],
        ["c.md"],
    )
    assert sorted(report.changes.unchanged) == ["a.txt", "faq-1", "sub/d.txt"]


def test_only_new_and_changed_documents_are_embedded(built) -> None:
    corpus, root, encoder = built
    write_corpus(corpus, *edited())
    report = update_index(corpus, root, encoder)  # type: ignore[arg-type]
    embedded = "\n".join(encoder.embedded)
    for unchanged in ("张江", "福建三峡", "9:30"):
        assert unchanged not in embedded
    for new in ("molten salt", "深圳湾", "80元"):
        assert new in embedded
    records = open_index(read_files(root)).records
    assert report.embedded == sum(r["doc"] in {"b.txt", "e.txt", "faq-2"} for r in records) > 0
    assert report.passages == len(records)


def test_nothing_changed_writes_no_version(built) -> None:
    corpus, root, encoder = built
    before = versions.names(root)
    report = update_index(corpus, root, encoder)  # type: ignore[arg-type]
    assert report.version is None and not report.changes.any and encoder.embedded == []
    assert versions.names(root) == before


def test_a_failed_update_leaves_the_live_version_untouched(built) -> None:
    corpus, root, encoder = built
    live = versions.pointer(root)
    before = contents(root)
    write_corpus(corpus, *edited())
    encoder.fail = True
    with pytest.raises(RuntimeError):
        update_index(corpus, root, encoder)  # type: ignore[arg-type]
    assert versions.pointer(root) == live and contents(root) == before
    assert versions.names(root) == [live] and versions.busy(root) is None


def test_another_model_embeds_every_document_and_says_why(built, tmp_path: Path) -> None:
    corpus, root, _ = built
    other = HashingEncoder("other-model")
    lines: list[str] = []
    report = update_index(corpus, root, other, progress=lines.append)  # type: ignore[arg-type]
    assert report.full_reason is not None and "other" not in report.full_reason  # names the live model
    assert "hashing" in report.full_reason and any("every document embedded" in line for line in lines)
    rebuilt = tmp_path / "rebuilt"
    build_index(corpus, rebuilt, HashingEncoder("other-model"))  # type: ignore[arg-type]
    assert contents(root) == contents(rebuilt)


def test_an_update_of_an_empty_root_is_a_full_build(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", DOCS, RECORDS)
    root = tmp_path / "index"
    report = update_index(corpus, root, HashingEncoder())  # type: ignore[arg-type]
    assert report.full_reason and report.version == versions.pointer(root)
    assert len(report.changes.added) == 6
    files.read_files(root)  # complete and verified


def _reading(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files readers are asked to parse from now on (the text and JSONL readers, in this process)."""
    from qa.ingest.readers.jsonl import JsonlReader
    from qa.ingest.readers.text import TextReader

    parsed: list[str] = []
    for cls in (TextReader, JsonlReader):
        original = cls.read

        def read(self, rel, data, problems, original=original):  # type: ignore[no-untyped-def]
            parsed.append(rel)
            return original(self, rel, data, problems)

        monkeypatch.setattr(cls, "read", read)
    return parsed


def test_files_whose_bytes_are_unchanged_are_not_parsed_again(built, tmp_path: Path, monkeypatch) -> None:
    corpus, root, encoder = built
    write_corpus(corpus, *edited())
    parsed = _reading(monkeypatch)
    report = update_index(corpus, root, encoder)  # type: ignore[arg-type]
    # a.txt and sub/d.txt are byte for byte as built: carried over unread (an unchanged scan is not OCR'd again)
    assert sorted(parsed) == ["b.txt", "e.txt", "faq.jsonl"]
    assert sorted(report.changes.unchanged) == ["a.txt", "faq-1", "sub/d.txt"]
    rebuilt = tmp_path / "rebuilt"
    build_index(corpus, rebuilt, HashingEncoder())  # type: ignore[arg-type]
    assert contents(root) == contents(rebuilt)  # the file digests of the carried documents included
    written = json.loads((root / "ingest-report.json").read_text(encoding="utf-8"))
    unchanged = {f["path"] for f in written["read"] if f.get("unchanged")}
    assert unchanged == {"a.txt", "sub/d.txt"}


def test_after_an_upgrade_of_the_readers_every_file_is_parsed_again(built, monkeypatch) -> None:
    corpus, root, encoder = built
    write_corpus(corpus, *edited())
    monkeypatch.setattr("qa.ingest.update.fingerprint", lambda: "readers of another release")
    parsed = _reading(monkeypatch)
    update_index(corpus, root, encoder)  # type: ignore[arg-type]
    assert sorted(parsed) == ["a.txt", "b.txt", "e.txt", "faq.jsonl", "sub/d.txt"]


def test_an_index_without_file_digests_is_updated_by_parsing_every_file(built, monkeypatch) -> None:
    """A version written before digests were kept (its catalog entries carry none) still updates."""
    corpus, root, encoder = built
    from qa.store import catalog

    original = catalog.load
    monkeypatch.setattr(
        "qa.store.index.catalog.load",
        lambda data: [catalog.Entry(e.id, e.hash, e.passages) for e in original(data) or []],
    )
    write_corpus(corpus, *edited())
    parsed = _reading(monkeypatch)
    report = update_index(corpus, root, encoder)  # type: ignore[arg-type]
    assert sorted(parsed) == ["a.txt", "b.txt", "e.txt", "faq.jsonl", "sub/d.txt"]
    assert sorted(report.changes.unchanged) == ["a.txt", "faq-1", "sub/d.txt"]  # carried by content hash


def test_if_stale_notices_another_engine_sentence_vector_mode_or_backend(tmp_path: Path) -> None:
    """`ragqa index --if-stale` rebuilds when a flag would make other vectors than the index holds,
    not only when the model or the corpus changed."""
    from qa.ingest.indexer import stale_reason

    corpus = write_corpus(tmp_path / "corpus", DOCS, RECORDS)
    root = tmp_path / "index"
    build_index(corpus, root, HashingEncoder(), sentence_vectors="encoded")  # type: ignore[arg-type]
    built = IndexSpec(model_id="hashing", inference="torch", sentence_vectors="encoded", backend="faiss")
    assert stale_reason(corpus, root, built) is None
    assert stale_reason(corpus, root, IndexSpec(model_id="hashing")) is None  # what it is not told, it does not ask
    reasons = {
        "inference": "embedded by the torch engine, not onnx-int8",
        "sentence_vectors": "sentence vectors were encoded, not pooled",
        "backend": "keeps its vectors in faiss, not milvus",
    }
    changed = {"inference": "onnx-int8", "sentence_vectors": "pooled", "backend": "milvus"}
    for field, value in changed.items():
        assert reasons[field] in (stale_reason(corpus, root, replace(built, **{field: value})) or ""), field


def test_an_update_after_a_new_onnx_export_embeds_every_document(tmp_path: Path) -> None:
    """Vectors of two exports of the graph are never mixed under a manifest that names one of them:
    the update embeds every document again, as it does for another model, and `--if-stale` agrees."""
    from embeddings.onnx_engine import GRAPH_VERSION
    from qa.ingest.indexer import stale_reason

    corpus = write_corpus(tmp_path / "corpus", DOCS, RECORDS)
    root = tmp_path / "index"
    encoder = HashingEncoder()
    encoder.inference = "onnx-int8"  # its vectors are recorded as those of the current export
    build_index(corpus, root, encoder)  # type: ignore[arg-type]
    live = versions.resolve(root).path / files.MANIFEST
    manifest = json.loads(live.read_text(encoding="utf-8"))
    assert manifest["model"]["graph"] == GRAPH_VERSION
    manifest["model"]["graph"] = GRAPH_VERSION - 1  # as built before the export changed
    live.write_text(json.dumps(manifest), encoding="utf-8")
    encoder.embedded.clear()
    report = update_index(corpus, root, encoder)  # type: ignore[arg-type]  # no document changed
    assert report.full_reason is not None and "ONNX export has changed" in report.full_reason
    assert report.embedded == report.passages > 0 and not report.changes.any
    assert all(text in "\n".join(encoder.embedded) for text in ("张江", "福建三峡", "9:30"))
    assert json.loads((versions.resolve(root).path / files.MANIFEST).read_text())["model"]["graph"] == GRAPH_VERSION
    rebuilt = tmp_path / "rebuilt"
    fresh = HashingEncoder()
    fresh.inference = "onnx-int8"
    build_index(corpus, rebuilt, fresh)  # type: ignore[arg-type]
    assert contents(root) == contents(rebuilt)
    assert stale_reason(corpus, rebuilt, IndexSpec(model_id="hashing")) is None
    live = versions.resolve(rebuilt).path / files.MANIFEST
    live.write_text(json.dumps(manifest), encoding="utf-8")  # the older export's manifest again
    assert "ONNX export has changed" in (stale_reason(corpus, rebuilt, IndexSpec(model_id="hashing")) or "")


def test_every_document_carries_its_metadata_and_a_jsonl_records_own_fields(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", DOCS, [{**RECORDS[0], "lang": "en", "year": 2021, "tags": ["x"]}])
    os.utime(corpus / "sub" / "d.txt", (0, 1_700_000_000))
    root = tmp_path / "index"
    build_index(corpus, root, HashingEncoder())  # type: ignore[arg-type]
    metas = {e.id: e.meta for e in open_index(read_files(root)).documents or []}
    assert metas["sub/d.txt"] == {
        "path": "sub/d.txt",
        "folder": "sub",
        "type": "text",
        "title": "d",
        "modified": "2023-11-14T22:13:20Z",
    }
    assert metas["c.md"] is not None and metas["c.md"]["type"] == "markdown"
    faq = metas["faq-1"]
    assert faq is not None and faq["title"] == "Opening hours" and faq["path"] == "faq.jsonl"
    assert (faq["type"], faq["lang"], faq["year"]) == ("jsonl", "en", 2021) and "tags" not in faq


def test_a_file_touched_but_not_changed_gets_its_new_time_as_a_rebuild_would(built, tmp_path: Path) -> None:
    corpus, root, encoder = built
    os.utime(corpus / "a.txt", (0, 1_800_000_000))
    report = update_index(corpus, root, encoder)  # type: ignore[arg-type]
    assert report.version == versions.pointer(root) and not report.changes.any and encoder.embedded == []
    rebuilt = tmp_path / "rebuilt"
    build_index(corpus, rebuilt, HashingEncoder())  # type: ignore[arg-type]
    assert contents(root) == contents(rebuilt)
    metas = {e.id: e.meta for e in open_index(read_files(root)).documents or []}
    assert metas["a.txt"] is not None and metas["a.txt"]["modified"] == "2027-01-15T08:00:00Z"


def test_an_index_without_metadata_gets_it_from_an_update_without_embedding(built, tmp_path: Path) -> None:
    corpus, root, encoder = built
    from qa.store import catalog

    original = catalog.load
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "qa.store.index.catalog.load",
            lambda data: [catalog.Entry(e.id, e.hash, e.passages, e.file, e.path) for e in original(data) or []],
        )
        report = update_index(corpus, root, encoder)  # type: ignore[arg-type]
    assert report.version is not None and encoder.embedded == []
    rebuilt = tmp_path / "rebuilt"
    build_index(corpus, rebuilt, HashingEncoder())  # type: ignore[arg-type]
    assert contents(root) == contents(rebuilt)
