"""Collections under a data folder: created whole or not at all, found by name, the default read-only;
an upload request is acknowledged whole or not at all."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from qa.collections.collection import (
    CollectionExists,
    Collections,
    ReadOnlyCollection,
    UnknownCollection,
    Upload,
)
from qa.collections.queue import QUEUED
from qa.collections.uploads import UnsupportedUpload, UploadLimits, UploadTooLarge
from qa.errors import BadRequest

LIMITS = UploadLimits(max_file_bytes=1000, max_files=2)


def upload(name: str, data: bytes) -> Upload:
    return Upload(name, io.BytesIO(data))


@pytest.fixture()
def collections(tmp_path: Path) -> Collections:
    return Collections(tmp_path / "data", tmp_path / "corpus", tmp_path / "index")


def test_a_missing_data_folder_has_the_default_collection_only(collections: Collections) -> None:
    assert collections.names() == ["default"]
    assert not collections.data_dir.exists()  # listing creates nothing
    default = collections.get("default")
    assert default.read_only and default.index == collections.default.index


def test_created_collections_are_listed_and_found(collections: Collections) -> None:
    made = collections.create("reports")
    collections.create("a-team")
    assert collections.names() == ["default", "a-team", "reports"]
    found = collections.get("reports")
    assert found == made and found.corpus == collections.data_dir / "reports" / "corpus"
    assert found.summary() == {
        "name": "reports",
        "documents": {"queued": 0, "indexing": 0, "ready": 0, "failed": 0},
        "read_only": False,
    }
    assert not [p for p in os.listdir(collections.data_dir) if p.startswith(".")]  # no half-made leftovers


def test_a_taken_name_is_409_and_a_bad_one_400(collections: Collections) -> None:
    collections.create("reports")
    for taken in ("reports", "default"):
        with pytest.raises(CollectionExists) as caught:
            collections.create(taken)
        assert caught.value.status == 409 and caught.value.code == "exists"
    with pytest.raises(BadRequest):
        collections.create("../etc")


@pytest.mark.parametrize("name", ["nope", "../data", "Reports", ".tmp-x"])
def test_unknown_collections_are_404(collections: Collections, name: str) -> None:
    (collections.data_dir / "nope").mkdir(parents=True)  # a folder that is not a collection
    with pytest.raises(UnknownCollection) as caught:
        collections.get(name)
    assert caught.value.status == 404 and caught.value.code == "not_found"


def test_the_default_collection_is_read_only(collections: Collections) -> None:
    default = collections.get("default")
    for write in (
        lambda: default.add([upload("a.txt", b"x")], None, LIMITS),
        lambda: default.remove("x"),
        default.reindex,
    ):
        with pytest.raises(ReadOnlyCollection) as caught:
            write()
        assert caught.value.status == 409 and caught.value.code == "read_only"


def test_an_upload_is_staged_and_queued(collections: Collections) -> None:
    reports = collections.create("reports")
    added = reports.add([upload("../a.txt", "一".encode()), upload("b.md", b"# b")], '{"team": "ops"}', LIMITS)
    assert [(e.name, e.status, e.metadata) for e in added] == [
        ("a.txt", QUEUED, {"team": "ops"}),
        ("b.md", QUEUED, {"team": "ops"}),
    ]
    assert (reports.incoming / added[0].staged).read_bytes() == "一".encode()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([("a.txt", b"fine"), ("b.exe", b"MZ")], UnsupportedUpload),
        ([("a.txt", b"fine"), ("b.txt", b"x" * 1001)], UploadTooLarge),
        ([("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")], UploadTooLarge),
        ([], BadRequest),
    ],
)
def test_a_request_with_one_bad_file_keeps_nothing(
    collections: Collections, files: list[tuple[str, bytes]], error: type[Exception]
) -> None:
    reports = collections.create("reports")
    with pytest.raises(error):
        reports.add([upload(name, data) for name, data in files], None, LIMITS)
    assert reports.queue.all() == [] and os.listdir(reports.incoming) == []


def test_bad_metadata_refuses_the_upload(collections: Collections) -> None:
    reports = collections.create("reports")
    with pytest.raises(BadRequest) as caught:
        reports.add([upload("a.txt", b"x")], "[1]", LIMITS)
    assert caught.value.code == "invalid_metadata" and reports.queue.all() == []
