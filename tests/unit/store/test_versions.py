"""The index root's life cycle on real FAISS files: versions, pointer, checksums, lock, pruning, crashes.

These build small indexes from random unit vectors (no model needed), through the same
`qa.store` code `ragqa index` uses.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.errors import IndexUnavailable
from qa.store import dense as dense_index
from qa.store import files, versions


def publish(root: Path, rows: int = 16, keep: int = versions.DEFAULT_KEEP, tag: str = "") -> versions.Version:
    rng = np.random.default_rng(rows)
    vectors = rng.normal(size=(rows, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    built = dense_index.build(vectors, [{"text": f"{tag}{n}"} for n in range(rows)], {"model": {"id": "toy"}})

    def extra(folder: Path) -> None:
        (folder / "bm25").mkdir()
        (folder / "bm25" / "params.json").write_text(json.dumps({"tag": tag}))

    with versions.build_lock(root):
        return dense_index.save(built, root, extra=extra, keep=keep)


def load(root: Path) -> dense_index.DenseIndex:
    """The live (or only) version of root, read and verified as the pipeline reads it."""
    return dense_index.from_files(files.read_files(root))


def test_each_build_is_a_new_version_and_the_pointer_moves(tmp_path: Path) -> None:
    root = tmp_path / "index"
    first = publish(root, tag="a")
    assert versions.pointer(root) == first.name and load(root).records[0]["text"] == "a0"
    before = {p: p.read_bytes() for p in first.path.rglob("*") if p.is_file()}
    second = publish(root, tag="b")
    assert versions.pointer(root) == second.name != first.name
    loaded = load(root)
    assert loaded.version == second.name and loaded.records[0]["text"] == "b0"
    assert {
        p: p.read_bytes() for p in first.path.rglob("*") if p.is_file()
    } == before  # the old version was not touched
    assert load(first.path).records[0]["text"] == "a0"


def test_old_versions_are_pruned_keeping_the_last_n(tmp_path: Path) -> None:
    root = tmp_path / "index"
    made = [publish(root, keep=2, tag=str(n)).name for n in range(4)]
    assert versions.names(root) == made[-2:]
    assert versions.pointer(root) == made[-1]


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete", "extra"])
@pytest.mark.parametrize("name", [dense_index.VECTORS, dense_index.RECORDS, "bm25/params.json"])
def test_a_damaged_file_is_refused_with_the_reason(tmp_path: Path, damage: str, name: str) -> None:
    root = tmp_path / "index"
    live = publish(root)
    path = live.path / name
    if damage == "flip":
        blob = bytearray(path.read_bytes())
        blob[len(blob) // 2] ^= 0x01
        path.write_bytes(bytes(blob))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:-1])
    elif damage == "delete":
        path.unlink()
    else:
        (path.parent / "stray.bin").write_bytes(b"x")
    with pytest.raises(IndexUnavailable) as err:
        load(root)
    reason = str(err.value)
    assert ("corrupt" in reason or "does not list" in reason) and "ragqa index" in reason


def test_a_manifest_cannot_make_the_loader_read_outside_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "index"
    live = publish(root)
    (tmp_path / "secret").write_text("x")
    manifest = json.loads((live.path / "manifest.json").read_text())
    manifest["files"]["../../secret"] = "0" * 64
    (live.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable, match="corrupt"):
        load(root)


def test_the_bytes_verified_are_the_bytes_loaded(tmp_path: Path, monkeypatch) -> None:
    """Damage written after the check cannot reach the loaded index: parsers never reopen the files."""
    root = tmp_path / "index"
    live = publish(root, tag="good")
    found = files.read_files(root)
    (live.path / dense_index.RECORDS).write_text("tampered\n")
    shutil.rmtree(live.path / "bm25")
    assert dense_index.from_files(found).records[0]["text"] == "good0"
    assert json.loads(found.under("bm25")["params.json"]) == {"tag": "good"}


def test_a_pointer_to_a_missing_version_says_rebuild(tmp_path: Path) -> None:
    root = tmp_path / "index"
    publish(root)
    (root / versions.POINTER).write_text("20990101T000000000000Z-000000\n")
    with pytest.raises(IndexUnavailable, match="ragqa index"):
        load(root)
    (root / versions.POINTER).write_text("../../etc\n")
    with pytest.raises(IndexUnavailable, match="not there"):
        load(root)


def test_an_index_of_older_ragqa_loads_and_is_replaced_by_the_first_build(tmp_path: Path) -> None:
    root = tmp_path / "index"
    source = publish(tmp_path / "new", tag="old")
    shutil.copytree(source.path, root)  # the flat layout older ragqa wrote: manifest.json at the top
    old = load(root)
    assert old.version == versions.LEGACY and old.records[0]["text"] == "old0"
    (root / "notes.txt").write_text("kept: the old manifest does not list it")
    fresh = publish(root, tag="new")
    assert load(root).version == fresh.name
    assert sorted(p.name for p in root.iterdir()) == [versions.LOCK, versions.POINTER, "notes.txt", versions.VERSIONS]


def test_a_passage_with_a_line_separator_reads_back(tmp_path: Path) -> None:
    """U+2028, U+2029, U+0085 and a few control characters end a line for str.splitlines(), not for JSON lines."""
    root = tmp_path / "index"
    texts = [
        "The wind park covers 1300 mu.\u2028Its investment is 50 billion yuan.",
        "a\u2029b\x85c\x1cd\x1de\x1ef\x0bg\x0ch\r\ni\rj",
    ]
    built = dense_index.build(np.eye(2, 8, dtype=np.float32), [{"text": t} for t in texts], {"model": {"id": "toy"}})
    with versions.build_lock(root):
        dense_index.save(built, root)
    assert [r["text"] for r in load(root).records] == texts


@pytest.mark.parametrize("how", ["absolute", "through a link", "dot-dot"])
def test_a_legacy_manifest_cannot_make_a_build_delete_files_outside_the_root(tmp_path: Path, how: str) -> None:
    root = tmp_path / "index"
    source = publish(tmp_path / "new", tag="old")
    shutil.copytree(source.path, root)  # an older ragqa's flat index, which the next build removes
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "victim.txt"
    victim.write_text("not the index's")
    (root / "link").symlink_to(elsewhere)
    name = {"absolute": str(victim), "through a link": "link/victim.txt", "dot-dot": "../elsewhere/victim.txt"}[how]
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["files"][name] = "0" * 64
    (root / "manifest.json").write_text(json.dumps(manifest))
    fresh = publish(root, tag="new")
    assert victim.read_text() == "not the index's"
    assert load(root).version == fresh.name  # the older index's own files are still removed
    assert sorted(p.name for p in root.iterdir()) == [versions.LOCK, versions.POINTER, "link", versions.VERSIONS]


def test_a_manifest_cannot_make_the_loader_follow_a_link_out_of_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "index"
    live = publish(root)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    (live.path / "bm25" / "more").symlink_to(outside)
    manifest = json.loads((live.path / "manifest.json").read_text())
    manifest["files"]["bm25/more/secret"] = hashlib.sha256(b"secret").hexdigest()
    (live.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable, match="corrupt"):
        load(root)


def test_a_first_build_that_writes_nothing_leaves_no_folder_behind(tmp_path: Path) -> None:
    root = tmp_path / "new-index"
    with pytest.raises(RuntimeError), versions.build_lock(root):
        raise RuntimeError("refused before writing")
    assert not root.exists()
    assert versions.busy(root) is None and not root.exists()
    with versions.build_lock(root):
        (root / "versions").mkdir()
    assert (root / "versions").is_dir()  # a root that holds anything stays
