"""The contract every vector store keeps (`qa.store.writer.VectorStore`), as test classes to inherit.

As in Haystack's `haystack/testing/document_store.py`, each class tests one part of the contract
and needs one fixture from the class that inherits it: `backend`, the `BackendSettings` that make
the store under test (`qa.store.factory.store`). tests/integration/store/test_vector_stores.py
runs every class against FAISS and Milvus Lite, so a second store cannot drift from the first.

Real parts throughout: real FAISS, real Milvus Lite, versions published through `qa.store.publish`
and opened back through `qa.store.open_index`, as a server opens them. The vectors are random unit
vectors (no model: what is tested is where vectors go and which rows a version sees), so a row's
own vector finds it first with a score of one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.errors import IndexUnavailable
from qa.store import bm25, catalog, factory, open_index, read_files, sentences, versions
from qa.store.backend import BackendSettings
from qa.store.index import StoredIndex
from qa.store.publish import publish
from qa.store.writer import Rows, VectorStore, VersionParts

DIM = 16
DOCS = {"a": 3, "b": 2, "c": 4}  # document -> passages


def vectors(count: int, seed: int) -> np.ndarray:
    found = np.random.default_rng(seed).normal(size=(count, DIM)).astype(np.float32)
    return found / np.linalg.norm(found, axis=1, keepdims=True)


def passages(docs: dict[str, int], seed: int = 0) -> tuple[list[dict[str, str]], list[str], np.ndarray]:
    """Records, texts and vectors of each document's passages, in document order."""
    records = [
        {"id": f"{doc}-{n}", "doc": doc, "text": f"Passage {n} of document {doc}."}
        for doc, count in docs.items()
        for n in range(count)
    ]
    return records, [r["text"] for r in records], vectors(len(records), seed)


def parts(records: list[dict[str, str]]) -> VersionParts:
    texts = [r["text"] for r in records]
    counts: dict[str, int] = {}
    for record in records:
        counts[record["doc"]] = counts.get(record["doc"], 0) + 1
    entries = [catalog.Entry(doc, f"hash-{doc}", count) for doc, count in counts.items()]
    sentence_vectors = np.zeros((len(sentences.passage_sentences(texts)), DIM), dtype=np.float16)
    return VersionParts({"model": {"id": "toy", "dimension": DIM}}, bm25.build(texts), sentence_vectors, entries)


NOTHING = Rows.fresh([], [], np.zeros((0, DIM), dtype=np.float32))  # to publish what a store has staged


def published(
    root: Path,
    store: VectorStore,
    rows: Rows,
    keep: int = versions.DEFAULT_KEEP,
    version: list[dict[str, str]] | None = None,
) -> StoredIndex:
    """Publish rows as a new version of root and open it as a server would.

    Args:
        version: every record of the version, where the store staged some before (else `rows.records`).
    """
    with versions.build_lock(root):
        publish(root, rows, parts(rows.records if version is None else version), store, keep=keep)
    return open_index(read_files(root))


def ids(records: list[dict[str, str]], rows: np.ndarray) -> list[list[str]]:
    return [[records[r]["id"] for r in row if r >= 0] for row in rows]


class StoreFixtures:
    """What every contract class needs: the store under test, made from `backend` (the inheritor's)."""

    @pytest.fixture()
    def backend(self, tmp_path: Path) -> BackendSettings:
        raise NotImplementedError("a store's test class gives the BackendSettings that make it")

    @pytest.fixture()
    def root(self, tmp_path: Path) -> Path:
        return tmp_path / "index"

    @pytest.fixture()
    def store(self, backend: BackendSettings, root: Path) -> VectorStore:
        return factory.store(backend, root)


class WriteRowsTest(StoreFixtures):
    def test_written_rows_are_counted_and_each_finds_itself_first(self, store: VectorStore) -> None:
        records, texts, found = passages(DOCS)
        store.write(Rows.fresh(records, texts, found))
        assert store.count() == len(records) == sum(DOCS.values())
        scores, rows = store.search(found, 3)
        assert rows[:, 0].tolist() == list(range(len(records)))
        np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)

    def test_a_second_write_comes_after_the_first(self, store: VectorStore) -> None:
        first, texts, found = passages({"a": 2})
        second, more, other = passages({"b": 3}, seed=1)
        store.write(Rows.fresh(first, texts, found))
        store.write(Rows.fresh(second, more, other))
        assert store.count() == 5
        _, rows = store.search(other, 1)
        assert rows[:, 0].tolist() == [2, 3, 4]

    def test_rows_and_vectors_that_do_not_match_are_refused(self, store: VectorStore) -> None:
        records, texts, found = passages({"a": 3})
        with pytest.raises(ValueError):
            store.write(Rows.fresh(records, texts, found[:2]))
        assert store.count() == 0

    def test_rows_carried_over_without_a_base_are_refused(self, store: VectorStore) -> None:
        records, texts, found = passages({"a": 2})
        assert store.carries() is not None
        with pytest.raises(ValueError, match="base"):
            store.write(Rows(records, texts, np.array([0, -1]), found[1:]))


class DeleteRowsTest(StoreFixtures):
    def test_deleting_a_document_drops_its_rows_only(self, store: VectorStore) -> None:
        records, texts, found = passages(DOCS)
        store.write(Rows.fresh(records, texts, found))
        assert store.delete({"b"}) == DOCS["b"]
        assert store.count() == len(records) - DOCS["b"]
        kept = [r for r in records if r["doc"] != "b"]
        _, rows = store.search(found, len(records))
        assert all(kept[r]["doc"] != "b" for row in rows for r in row if r >= 0)
        assert store.delete({"nothing-like-it"}) == 0

    def test_a_deleted_document_is_gone_from_the_published_version(self, store: VectorStore, root: Path) -> None:
        records, texts, found = passages(DOCS)
        store.write(Rows.fresh(records, texts, found))
        store.delete({"a"})
        opened = published(root, store, NOTHING, version=[r for r in records if r["doc"] != "a"])
        assert [r["doc"] for r in opened.records] == ["b"] * DOCS["b"] + ["c"] * DOCS["c"]
        _, rows = opened.dense.search(found[: DOCS["a"]], len(opened.records))
        assert {opened.records[r]["doc"] for row in rows for r in row if r >= 0} == {"b", "c"}


class SaveOpenTest(StoreFixtures):
    def test_a_published_version_finds_what_was_written(self, store: VectorStore, root: Path) -> None:
        records, texts, found = passages(DOCS)
        store.write(Rows.fresh(records, texts, found))
        staged_scores, staged_rows = store.search(found, 4)
        opened = published(root, store, NOTHING, version=records)
        assert opened.records == records
        assert opened.manifest["count"] == len(records) and opened.manifest["model"]["dimension"] == DIM
        assert opened.backend == store.kind and opened.store is not None and opened.store.kind == store.kind
        scores, rows = opened.dense.search(found, 4)
        assert ids(records, rows) == ids(records, staged_rows)
        np.testing.assert_allclose(scores, staged_scores, atol=1e-5)

    def test_an_opened_version_can_be_carried_over(self, store: VectorStore, root: Path) -> None:
        records, texts, found = passages(DOCS)
        live = published(root, store, Rows.fresh(records, texts, found))
        assert live.store is not None and live.store.carries() is None

    def test_a_version_that_cannot_be_read_back_is_not_published(
        self, store: VectorStore, root: Path, backend: BackendSettings
    ) -> None:
        records, texts, found = passages(DOCS)
        published(root, store, Rows.fresh(records, texts, found))
        before = versions.pointer(root)
        other, more, again = passages({"d": 2}, seed=5)
        broken = parts(other)
        broken = VersionParts(broken.manifest, broken.lexical, broken.sentence_vectors[:-1], broken.documents)
        fresh = factory.store(backend, root)
        with versions.build_lock(root), pytest.raises(IndexUnavailable, match="could not be read back"):
            publish(root, Rows.fresh(other, more, again), broken, fresh)
        assert versions.pointer(root) == before
        assert open_index(read_files(root)).records == records


class CarryOverTest(StoreFixtures):
    """An update: the live version opened as the base, its unchanged rows carried, the rest new."""

    def test_an_update_finds_what_a_full_build_finds(
        self, store: VectorStore, root: Path, backend: BackendSettings
    ) -> None:
        records, texts, found = passages(DOCS)
        live = published(root, store, Rows.fresh(records, texts, found), keep=1)
        # b changed (new vectors), c deleted, d added; a carried over as it was.
        changed, changed_texts, changed_vectors = passages({"b": 2, "d": 1}, seed=9)
        a = [n for n, r in enumerate(records) if r["doc"] == "a"]
        update = Rows(
            [records[n] for n in a] + changed,
            [texts[n] for n in a] + changed_texts,
            np.array(a + [-1] * len(changed), dtype=np.int64),
            changed_vectors,
        )
        assert live.store is not None
        updated = published(root, live.store, update, keep=1)
        full = published(
            root.parent / "rebuilt",
            factory.store(backend, root.parent / "rebuilt"),
            Rows.fresh(update.records, update.texts, np.concatenate([found[a], changed_vectors])),
        )
        assert updated.records == full.records == update.records
        queries = vectors(10, seed=4)
        updated_scores, updated_rows = updated.dense.search(queries, 5)
        full_scores, full_rows = full.dense.search(queries, 5)
        assert ids(updated.records, updated_rows) == ids(full.records, full_rows)
        np.testing.assert_allclose(updated_scores, full_scores, atol=1e-5)
        _, rows = updated.dense.search(found[a], 1)  # carried rows keep their very vectors
        assert rows[:, 0].tolist() == list(range(len(a)))

    def test_a_carried_version_outlives_its_base_being_pruned(self, store: VectorStore, root: Path) -> None:
        records, texts, found = passages(DOCS)
        live = published(root, store, Rows.fresh(records, texts, found), keep=1)
        assert live.store is not None
        carried = Rows(records, texts, np.arange(len(records), dtype=np.int64), np.zeros((0, DIM), dtype=np.float32))
        again = published(root, live.store, carried, keep=1)
        assert versions.names(root) == [versions.pointer(root)]  # the base version was pruned
        _, rows = again.dense.search(found, 1)
        assert rows[:, 0].tolist() == list(range(len(records)))


class VectorStoreContract(WriteRowsTest, DeleteRowsTest, SaveOpenTest, CarryOverTest):
    """The whole contract: inherit it and give the `backend` fixture."""
