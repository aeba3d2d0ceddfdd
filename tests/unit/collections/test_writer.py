"""The collection writer with a stand-in for the index build (the real one embeds with the model: see
tests/integration/web/test_documents_api.py). The stand-in reads the corpus folder as it is when the
build runs and answers with an ingest report: `*bad*` files are skipped with a reason, `*blank*` files
read into no passage, the rest into one passage each. Everything else is real: the queue, the folder,
the fields file, the lock."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from qa.collections.collection import Collection, Collections, Upload
from qa.collections.queue import DELETING, FAILED, INDEXING, QUEUED, READY
from qa.collections.uploads import UploadLimits
from qa.collections.writer import NO_TEXT, Writer, WriterLoop, empty_index
from qa.errors import IndexBusy
from qa.ingest.folder import FIELDS, list_files, read_fields
from qa.store import versions

LIMITS = UploadLimits(max_file_bytes=10_000, max_files=5)


class FakeBuild:
    """Records each build: the folder's files and fields then, and whether it was a full one."""

    def __init__(self) -> None:
        self.builds: list[dict[str, Any]] = []
        self.fail: BaseException | None = None
        self.during: Any = None  # called while "building": an upload landing mid-pass

    def __call__(self, collection: Collection, full: bool) -> dict[str, Any]:
        files = list_files(collection.corpus).files
        self.builds.append({"files": files, "fields": read_fields(collection.corpus)[0], "full": full})
        if self.during is not None:
            self.during()
            self.during = None
        if self.fail is not None:
            fail, self.fail = self.fail, None
            raise fail
        # A build publishes a version: the pointer the server follows.
        (collection.index / versions.VERSIONS / "v1").mkdir(parents=True, exist_ok=True)
        (collection.index / versions.POINTER).write_text("v1\n")
        read = [{"path": f, "passages": 0 if "blank" in f else 1} for f in files if "bad" not in f]
        skipped = [{"path": f, "reason": "the file is damaged"} for f in files if "bad" in f]
        return {"read": read, "skipped": skipped}


@pytest.fixture()
def build() -> FakeBuild:
    return FakeBuild()


@pytest.fixture()
def reports(tmp_path: Path) -> Collection:
    return Collections(tmp_path / "data", tmp_path / "corpus", tmp_path / "index").create("reports")


def add(collection: Collection, *names: str, meta: str | None = None, data: bytes = b"some text") -> list[str]:
    entries = collection.add([Upload(name, io.BytesIO(data + name.encode())) for name in names], meta, LIMITS)
    return [entry.id for entry in entries]


def status(collection: Collection, doc_id: str) -> tuple[str, str | None]:
    entry = collection.queue.get(doc_id)
    return entry.status, entry.reason


def test_uploads_are_moved_in_built_and_ready(reports: Collection, build: FakeBuild) -> None:
    a, b = add(reports, "a.txt", "b.md", meta='{"team": "ops"}')
    done = Writer(reports, build).run()
    assert done is not None and sorted(done.ready) == sorted([a, b]) and not done.full
    assert build.builds[0]["files"] == ["a.txt", "b.md"]
    assert build.builds[0]["fields"] == {"a.txt": {"team": "ops"}, "b.md": {"team": "ops"}}
    assert status(reports, a) == (READY, None) and reports.queue.get(a).passages == 1
    assert (reports.corpus / "a.txt").read_bytes() == b"some texta.txt"
    assert list(reports.incoming.iterdir()) == []
    assert Writer(reports, build).run() is None  # nothing left to do: no build
    assert len(build.builds) == 1


def test_a_failed_file_never_blocks_the_others_and_leaves_the_folder(reports: Collection, build: FakeBuild) -> None:
    good, bad, blank = add(reports, "good.txt", "bad.txt", "blank.txt", meta='{"k": 1}')
    Writer(reports, build).run()
    assert status(reports, good) == (READY, None)
    assert status(reports, bad) == (FAILED, "the file is damaged")
    assert status(reports, blank) == (FAILED, NO_TEXT)
    assert list_files(reports.corpus).files == ["good.txt"]  # not read again at every later pass
    assert read_fields(reports.corpus)[0] == {"good.txt": {"k": 1}}


def test_a_delete_takes_the_file_out_and_the_last_one_empties_the_index(reports: Collection, build: FakeBuild) -> None:
    a, b = add(reports, "a.txt", "b.txt")
    Writer(reports, build).run()
    reports.remove(a)
    assert status(reports, a) == (DELETING, None)
    Writer(reports, build).run()
    assert [e.id for e in reports.queue.all()] == [b]
    assert build.builds[-1]["files"] == ["b.txt"]
    assert versions.pointer(reports.index) == "v1"
    reports.remove(b)
    Writer(reports, build).run()
    assert reports.queue.all() == [] and len(build.builds) == 2  # nothing left to build from
    assert versions.pointer(reports.index) is None  # so nothing answers from the deleted documents
    assert not (reports.corpus / FIELDS).exists()


def test_a_delete_before_the_move_drops_the_staged_bytes_only(reports: Collection, build: FakeBuild) -> None:
    (old,) = add(reports, "a.txt")
    Writer(reports, build).run()
    (new,) = add(reports, "a.txt", data=b"newer ")  # the same name again, then deleted before it is applied
    reports.remove(new)
    Writer(reports, build).run()
    assert [e.id for e in reports.queue.all()] == [old]
    assert (reports.corpus / "a.txt").read_bytes() == b"some texta.txt"
    assert list(reports.incoming.iterdir()) == []


def test_a_later_upload_of_a_name_replaces_the_earlier(reports: Collection, build: FakeBuild) -> None:
    (first,) = add(reports, "a.txt")
    Writer(reports, build).run()
    (second,) = add(reports, "a.txt", data=b"second ", meta='{"v": 2}')
    done = Writer(reports, build).run()
    assert done is not None and first in done.removed
    assert [e.id for e in reports.queue.all()] == [second]
    assert (reports.corpus / "a.txt").read_bytes() == b"second a.txt"
    assert read_fields(reports.corpus)[0] == {"a.txt": {"v": 2}}


def test_new_fields_on_the_same_bytes_ask_for_a_full_build(reports: Collection, build: FakeBuild) -> None:
    add(reports, "a.txt", meta='{"v": 1}')
    Writer(reports, build).run()
    add(reports, "a.txt", meta='{"v": 2}')  # same bytes: an update would carry the old fields over
    Writer(reports, build).run()
    assert build.builds[-1]["full"] and build.builds[-1]["fields"] == {"a.txt": {"v": 2}}


def test_a_reindex_is_a_full_build_and_judges_every_document_again(reports: Collection, build: FakeBuild) -> None:
    (a,) = add(reports, "a.txt")
    Writer(reports, build).run()
    reports.reindex()
    done = Writer(reports, build).run()
    assert done is not None and done.full and done.ready == [a]
    assert not reports.queue.reindex_requested()


def test_an_upload_during_a_pass_waits_for_the_next(reports: Collection, build: FakeBuild) -> None:
    (a,) = add(reports, "a.txt")
    later: list[str] = []
    build.during = lambda: later.extend(add(reports, "b.txt"))
    Writer(reports, build).run()
    assert status(reports, a)[0] == READY and status(reports, later[0])[0] == QUEUED
    assert build.builds[0]["files"] == ["a.txt"]  # staged aside: not read half-way by this pass
    Writer(reports, build).run()
    assert status(reports, later[0])[0] == READY


def test_a_delete_during_a_pass_is_applied_by_the_next(reports: Collection, build: FakeBuild) -> None:
    (a,) = add(reports, "a.txt")
    build.during = lambda: reports.remove(a)
    Writer(reports, build).run()
    assert status(reports, a)[0] == DELETING  # not overwritten by the pass's "ready"
    Writer(reports, build).run()
    assert reports.queue.all() == []


def test_a_pass_killed_half_way_is_finished_by_the_next(reports: Collection, build: FakeBuild) -> None:
    a, b = add(reports, "a.txt", "b.txt")
    build.fail = KeyboardInterrupt()  # the process dies in the middle of the build
    with pytest.raises(KeyboardInterrupt):
        Writer(reports, build).run()
    assert status(reports, a)[0] == INDEXING and (reports.corpus / "a.txt").is_file()
    Writer(reports, build).run()  # after the restart
    assert status(reports, a) == (READY, None) and status(reports, b) == (READY, None)


def test_a_kill_between_the_move_and_its_record_loses_nothing(reports: Collection, build: FakeBuild) -> None:
    (a,) = add(reports, "a.txt")
    staged = reports.queue.get(a).staged
    assert staged is not None
    reports.corpus.mkdir(exist_ok=True)
    (reports.incoming / staged).rename(reports.corpus / "a.txt")  # moved; the row never heard of it
    Writer(reports, build).run()
    assert status(reports, a) == (READY, None)


def test_one_writer_at_a_time(reports: Collection, build: FakeBuild) -> None:
    add(reports, "a.txt")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with Writer(reports, build).lock() as held:
            assert held
            holding.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    holding.wait(10)
    try:
        assert Writer(reports, build).run() is None  # the other holds the lock: no pass, no wait
    finally:
        release.set()
        other.join()
    assert Writer(reports, build).run() is not None


def test_the_loop_defers_a_collection_whose_build_fails_and_writes_the_others(tmp_path: Path) -> None:
    collections = Collections(tmp_path / "data", tmp_path / "corpus", tmp_path / "index")
    broken, fine = collections.create("broken"), collections.create("fine")
    add(broken, "a.txt")
    (b,) = add(fine, "b.txt")
    real = FakeBuild()

    def apply(collection: Collection, full: bool) -> dict[str, Any]:
        if collection.name == "broken":
            raise IndexBusy("another `ragqa index` is building it")
        return real(collection, full)

    loop = WriterLoop(collections, apply)
    done = loop.run_once()
    assert list(done) == ["fine"] and status(fine, b)[0] == READY
    assert loop.run_once() == {}  # the broken one waits its back-off out
    assert status(broken, broken.queue.all()[0].id)[0] == INDEXING


def test_the_loop_thread_applies_an_upload(reports: Collection, tmp_path: Path, build: FakeBuild) -> None:
    collections = Collections(tmp_path / "data", tmp_path / "corpus", tmp_path / "index")
    loop = WriterLoop(collections, build, interval=0.05)
    loop.start()
    try:
        (a,) = add(reports, "a.txt")
        loop.wake()
        for _ in range(200):
            if status(reports, a)[0] == READY:
                break
            threading.Event().wait(0.05)
    finally:
        loop.stop()
    assert status(reports, a)[0] == READY


def test_emptying_an_index_leaves_no_version(tmp_path: Path) -> None:
    root = tmp_path / "index"
    (root / versions.VERSIONS / "v1").mkdir(parents=True)
    (root / versions.POINTER).write_text("v1\n")
    (root / "ingest-report.json").write_text(json.dumps({}))
    empty_index(root)
    assert versions.pointer(root) is None and versions.names(root) == []
    assert not (root / "ingest-report.json").exists()
