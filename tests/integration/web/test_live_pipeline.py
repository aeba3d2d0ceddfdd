"""Hot reload: a running app follows the index pointer, refuses a corrupt version and keeps serving the
last good one; an app started on a corrupt live version serves the newest good one and says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.pipeline import Pipeline
from qa.store import versions
from web import create_app, state
from web.live import LivePipeline

QUESTION = {"question": "福建三峡海上风电国际产业园占地多少亩？", "top_k": 2}


def new_version(root: Path, name: str, damage: str | None = None, source: str | None = None) -> str:
    """Publish a copy of a version (the live one by default) under a new name, as a build does, optionally damaged."""
    live = versions.resolve(root, source)
    target = root / versions.VERSIONS / name
    shutil.copytree(live.path, target)
    if damage == "flip":
        path = target / "vectors.faiss"
        blob = bytearray(path.read_bytes())
        blob[-10] ^= 0xFF
        path.write_bytes(bytes(blob))
    elif damage == "truncate":
        path = target / "records.jsonl"
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    versions._switch(root, name)
    return name


def live_app(root: Path, tmp_path: Path):
    return create_app(
        {
            "TESTING": True,
            "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            "RAGQA_INDEX": str(root),
            "RAGQA_RELOAD_INTERVAL": 0,
        }
    )


@pytest.fixture()
def root(index_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    return copy


def test_a_new_version_is_picked_up_after_the_interval_with_the_same_encoder(root: Path, encoder) -> None:
    now = [0.0]
    loads: list[str | None] = []

    def loader(where: Path, version: str | None, serving: Pipeline | None) -> Pipeline:
        loads.append(version)
        return Pipeline.load(where, encoder=serving.encoder if serving else encoder, version=version)

    live = LivePipeline(root, loader, interval=5.0, clock=lambda: now[0])
    first = live.current()
    assert first.version == versions.pointer(root)
    second = new_version(root, "20990101T000000000000Z-aaaaaa")
    now[0] = 4.0
    assert live.current() is first  # not looked at again before the interval
    now[0] = 5.1
    assert live.current().version == second and live.current().encoder is first.encoder
    now[0] = 20.0
    assert live.current().version == second and len(loads) == 2  # an unchanged pointer loads nothing


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_the_app_answers_from_the_new_version_and_refuses_a_corrupt_one(
    root: Path, damage: str, caplog, tmp_path: Path
) -> None:
    client = live_app(root, tmp_path).test_client()
    first = client.post("/api/ask", json=QUESTION).get_json()
    assert first["index_version"] == versions.pointer(root) and first["answer"]["text"] == "1000亩"
    good = new_version(root, "20990101T000000000000Z-bbbbbb")
    data = client.post("/api/ask", json=QUESTION).get_json()
    assert data["index_version"] == good and data["answer"]["text"] == "1000亩"
    bad = new_version(root, "20990101T000000000001Z-cccccc", damage=damage)
    response = client.post("/api/ask", json=QUESTION)
    assert response.status_code == 200 and response.get_json()["index_version"] == good
    assert client.get("/readyz").get_json() == {"status": "ready"}
    ready = client.get("/api/status")
    body = ready.get_json()
    assert ready.status_code == 200 and body["index_version"] == good
    assert body["refused"]["version"] == bad and "corrupt" in body["refused"]["reason"]
    assert any(bad in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    # A good version after the bad one is taken, and readiness forgets the refusal.
    fixed = new_version(root, "20990101T000000000002Z-dddddd", source=good)
    assert client.post("/api/ask", json=QUESTION).get_json()["index_version"] == fixed
    assert "refused" not in client.get("/api/status").get_json()


def test_a_server_started_before_any_index_serves_once_one_is_built(root: Path, tmp_path: Path) -> None:
    empty = tmp_path / "later"
    client = live_app(empty, tmp_path).test_client()
    assert client.get("/readyz").status_code == 503
    assert client.post("/api/ask", json=QUESTION).status_code == 503
    shutil.copytree(root, empty)
    assert client.get("/readyz").status_code == 200
    assert client.post("/api/ask", json=QUESTION).get_json()["index_version"] == versions.pointer(empty)


def test_a_server_started_on_a_damaged_live_version_serves_the_newest_good_one(
    root: Path, caplog, tmp_path: Path
) -> None:
    newest_good = new_version(root, "20990101T000000000000Z-aaaaaa")
    bad = new_version(root, "20990101T000000000001Z-bbbbbb", damage="flip")
    assert versions.pointer(root) == bad
    app = live_app(root, tmp_path)
    client = app.test_client()
    data = client.post("/api/ask", json=QUESTION).get_json()
    assert data["index_version"] == newest_good and data["answer"]["text"] == "1000亩"
    with app.app_context():
        said = state.state().source.status()
    assert said["ready"] and said["serving"] == newest_good and said["fallback"] is True
    assert said["refused"]["version"] == bad and "corrupt" in said["refused"]["reason"]
    response = client.get("/api/status")
    body = response.get_json()
    assert response.status_code == 200 and body["index_version"] == newest_good and body["fallback"] is True
    assert body["refused"]["version"] == bad
    assert any(
        bad in r.getMessage() and newest_good in r.getMessage() and "instead" in r.getMessage()
        for r in caplog.records
        if r.levelname == "ERROR"
    )
    # The next good build is served as usual, and the fallback is over.
    fixed = new_version(root, "20990101T000000000002Z-cccccc", source=newest_good)
    assert client.post("/api/ask", json=QUESTION).get_json()["index_version"] == fixed
    with app.app_context():
        assert state.state().source.status() == {"ready": True, "serving": fixed, "fallback": False}
