"""The feedback database's bounds and the answer signature: a rate limit per client, a size cap,
owner-only files, one key for every worker, one record per served answer, and tokens that fit
only the answer served (no model needed)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.cli import main
from qa.errors import BadRequest, FeedbackUnavailable
from qa.evaluation.datasets import load_dataset
from qa.feedback.export import to_squad
from qa.feedback.store import FeedbackFull, FeedbackStore, Limit, TooMuchFeedback
from qa.feedback.submission import Feedback
from qa.feedback.token import FeedbackSigner
from qa.ingest.passages import Passage

PASSAGE = Passage("d#1", "d", "d.txt", "标题", "", "body", "园区占地1000亩。" * 40, 0, 480)
_serving = count()


def _feedback(n: int = 0) -> Feedback:
    return Feedback(f"问题{n}？", "up", "1000亩", "d#1", None, ("d#1", "d#2"))


def _served() -> str:
    """A fresh served answer's id, as a token's nonce names one."""
    return f"served-{next(_serving)}"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def umask_022() -> Iterator[None]:
    """The usual umask, under which SQLite alone would make a database everyone can read."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_client_over_its_limit_is_refused_and_others_are_not(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    limit = Limit(count=3, seconds=3600)
    for n in range(3):
        store.add(_feedback(n), PASSAGE, _served(), client="a", limit=limit)
    with pytest.raises(TooMuchFeedback) as refused:
        store.add(_feedback(9), PASSAGE, _served(), client="a", limit=limit)
    assert refused.value.status == 429 and refused.value.retry_after == 3600
    store.add(_feedback(9), PASSAGE, _served(), client="b", limit=limit)
    assert [r.feedback.question for r in store.records()] == ["问题0？", "问题1？", "问题2？", "问题9？"]


def test_the_database_stops_growing_at_its_cap_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path, max_bytes=64 * 1024)
    stored = 0
    with pytest.raises(FeedbackFull) as full:
        for n in range(1000):
            store.add(_feedback(n), PASSAGE, _served())
            stored += 1
    assert 10 < stored < 1000
    assert full.value.status == 507 and "cap" in full.value.message and "RAGQA_FEEDBACK_MAX_MB" in full.value.message
    assert path.stat().st_size <= 64 * 1024
    assert len(store.records()) == stored  # what was stored is still there, and readable
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_feedback_token_stores_one_record_and_a_later_verdict_replaces_it(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    served = _served()
    first = store.add(_feedback(), PASSAGE, served)
    for _ in range(5):  # the same served answer, sent again and again
        again = store.add(_feedback(), PASSAGE, served)
    changed = Feedback("问题0？", "down", "1000亩", "d#1", "两千亩", ("d#1", "d#2"))
    last = store.add(changed, PASSAGE, served)  # the user changed their mind
    assert first.id == again.id == last.id
    assert [r.feedback for r in store.records()] == [changed]
    # A replaced verdict is not a new record, so it does not count against the client's limit.
    limit, other = Limit(count=2, seconds=3600), _served()
    for _ in range(4):
        store.add(_feedback(1), PASSAGE, other, client="a", limit=limit)
    store.add(_feedback(2), PASSAGE, _served(), client="a", limit=limit)
    assert len(store.records()) == 3


def test_a_passage_id_with_a_newline_reads_back(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    ids = ("faq.jsonl#第一\n行", "faq.jsonl#2", "\n")  # a JSONL record's id is whatever its author wrote
    feedback = Feedback("问题？", "up", "1000亩", ids[0], None, ids)
    store.add(feedback, PASSAGE, _served())
    assert [r.feedback.passages for r in store.records()] == [ids]


def test_feedback_database_is_owner_only(tmp_path: Path, umask_022: None) -> None:
    folder = tmp_path / "var" / "feedback"
    store = FeedbackStore(folder / "f.sqlite3")
    store.add(_feedback(), PASSAGE, _served())
    assert _mode(folder) == _mode(folder.parent) == 0o700  # the folders ragqa made
    assert _mode(store.path) == 0o600
    key = store.secret()
    assert _mode(store.key_path) == 0o600
    with sqlite3.connect(store.path, isolation_level=None) as writer:  # SQLite gives its journal the file's mode
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM feedback")
        journal = store.path.with_name(store.path.name + "-journal")
        assert _mode(journal) == 0o600
        writer.execute("ROLLBACK")
    # The key is not in the database: a copy of it signs nothing.
    with sqlite3.connect(store.path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert (
        "secret" not in tables
        and key.hex().encode() not in store.path.read_bytes()
        and key not in store.path.read_bytes()
    )


def _old_database(path: Path, secret: bytes) -> None:
    """A file as ragqa wrote it before schema versions: ids joined with "\\n", its secret inside, no client."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, question TEXT "
            "NOT NULL, rating TEXT NOT NULL, answer TEXT, passage_id TEXT, correction TEXT, passages TEXT NOT NULL, "
            "context_id TEXT NOT NULL, title TEXT NOT NULL, context TEXT NOT NULL)"
        )
        db.execute("CREATE TABLE secret (name TEXT PRIMARY KEY, value BLOB NOT NULL)")
        db.execute("INSERT INTO secret VALUES ('feedback', ?)", (secret,))
        db.execute(
            "INSERT INTO feedback (created_at, question, rating, answer, passage_id, correction, passages, "
            "context_id, title, context) VALUES ('2024-01-01T00:00:00+00:00', '问题？', 'up', '1000亩', 'd#1', NULL, "
            "'d#1\nd#2', 'd#1', '标题', ?)",
            (PASSAGE.text,),
        )
    path.chmod(0o644)


def test_an_older_world_readable_database_is_migrated_tightened_and_loses_its_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.sqlite3"
    old_secret = b"S" * 32
    _old_database(path, old_secret)
    old_token = FeedbackSigner(old_secret).sign("问题？", "1000亩", "d#1", ["d#1", "d#2"])
    store = FeedbackStore(path)
    with caplog.at_level(logging.WARNING):
        (record,) = store.records()
    assert _mode(path) == 0o600 and "readable by other users" in caplog.text and str(path) in caplog.text
    assert record.feedback == Feedback("问题？", "up", "1000亩", "d#1", None, ("d#1", "d#2"))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'secret'").fetchall() == []
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
    assert old_secret not in path.read_bytes()  # zeroed, not left in a free page
    # The secret others could read signs nothing any more: the key is new, in its own file.
    assert not FeedbackSigner(store.secret()).verify(record.feedback, old_token)
    store.add(_feedback(), PASSAGE, _served(), client="a", limit=Limit(1, 60))  # the rate limit's column is there
    with pytest.raises(TooMuchFeedback):
        store.add(_feedback(), PASSAGE, _served(), client="a", limit=Limit(1, 60))


def test_two_workers_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    start = threading.Barrier(8)
    keys: list[bytes] = []

    def worker() -> None:
        start.wait()
        keys.append(FeedbackStore(path).secret())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 32
    assert [p.name for p in tmp_path.iterdir()] == ["f.sqlite3.key"]  # no temporary file left behind
    assert FeedbackStore(tmp_path / "other.sqlite3").secret() != keys[0]


def test_a_key_file_that_holds_no_key_is_a_clear_error(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.key_path.write_text("not a key\n")
    with pytest.raises(FeedbackUnavailable) as error:
        store.secret()
    assert str(store.key_path) in error.value.message and "delete it" in error.value.message


def test_a_locked_database_is_busy_within_its_timeout(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.add(_feedback(), PASSAGE, _served())
    with sqlite3.connect(store.path, isolation_level=None) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(FeedbackUnavailable) as busy:  # FeedbackBusy: the same, with Retry-After
            store.add(_feedback(1), PASSAGE, _served())
        waited = time.monotonic() - started
        holder.execute("ROLLBACK")
    assert waited < 3 and busy.value.status == 503 and busy.value.retry_after == 1
    assert len(store.records()) == 1


# Characters that split lines somewhere (str.splitlines, JavaScript, old Macs) or end C strings.
_TRICKY = ["\u2028", "\u2029", "\x85", "\x00", "\ufeff", "\r\n", "\n\r", "\r", "\n", "\t", " "]
_texts = st.lists(
    st.sampled_from(_TRICKY) | st.text(st.characters(blacklist_categories=("Cs",)), max_size=4), max_size=6
).map("".join)
_words = _texts.filter(bool)


@st.composite
def _submissions(draw) -> tuple[Feedback, Passage]:  # type: ignore[no-untyped-def]
    passages = tuple(draw(st.lists(_words, min_size=1, max_size=4)))
    rating = draw(st.sampled_from(["up", "down"]))
    answered = draw(st.booleans())
    feedback = Feedback(
        draw(_words),
        rating,
        draw(_words) if answered else None,
        draw(st.sampled_from(passages)) if answered else None,
        draw(st.none() | _words) if rating == "down" else None,
        passages,
    )
    context = Passage(draw(st.sampled_from(passages)), "d", "d.txt", draw(_texts), "", "body", draw(_texts), 0, 1)
    return feedback, context


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(submission=_submissions())
def test_every_record_reads_back_as_stored_and_its_export_reads_back(submission, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feedback, context = submission
    store = FeedbackStore(tmp_path / "f.sqlite3")  # one file across examples: each adds a record
    stored = store.add(feedback, context, _served())
    assert next(r for r in store.records() if r.id == stored.id) == stored
    assert stored.feedback == feedback and (stored.context_id, stored.title, stored.context) == (
        context.id,
        context.title,
        context.text,
    )
    out = tmp_path / "export.json"
    exported = CliRunner().invoke(main, ["feedback", "export", "--db", str(store.path), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    export = to_squad(store.records())
    for squad, path in ((export.squad, out), (export.unreviewed, tmp_path / "export.unreviewed.json")):
        assert json.loads(path.read_text(encoding="utf-8")) == squad
        asked = {qa["id"]: qa["question"] for a in squad["data"] for p in a["paragraphs"] for qa in p["qas"]}
        if any(q.strip() for q in asked.values()):
            try:
                examples = load_dataset(path).examples
            except BadRequest as exc:  # only when every record was skipped (blank question, answer not in context)
                assert "no usable" in exc.message
                examples = []
            assert all(asked[e.id] == e.question for e in examples)


@pytest.mark.parametrize(
    "forged",
    [
        {"answer": "任何答案"},
        {"question": "别的问题？"},
        {"passage_id": "d#2"},
        {"passages": ("d#1",)},
        {"rating": "down", "correction": "x"},  # a verdict may change; what was served may not
    ],
)
def test_a_token_fits_only_the_answer_served(forged: dict) -> None:
    signer = FeedbackSigner(b"k" * 32)
    token = signer.sign(" 问题0？", "1000亩 ", "d#1", ["d#1", "d#2"])
    nonce = signer.verify(_feedback(), token)
    assert nonce is not None and token.startswith(nonce + ".")
    changed = Feedback(**{**_feedback().__dict__, **forged})
    assert (signer.verify(changed, token) == nonce) == ("rating" in forged)
    assert not signer.verify(_feedback(), token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not signer.verify(_feedback(), ("A" if token[0] != "A" else "B") + token[1:])  # the nonce is signed
    assert not FeedbackSigner(b"x" * 32).verify(_feedback(), token)
    assert not signer.verify(_feedback(), None) and not signer.verify(_feedback(), "令牌")
    assert not signer.verify(_feedback(), token.split(".", 1)[1])  # a token of the old format


def test_each_serving_of_an_answer_gets_its_own_token() -> None:
    signer = FeedbackSigner(b"k" * 32)
    tokens = {signer.sign("问题0？", "1000亩", "d#1", ["d#1", "d#2"]) for _ in range(50)}
    assert len(tokens) == 50 and len({signer.verify(_feedback(), t) for t in tokens}) == 50


def test_a_record_reference_names_only_its_own_record() -> None:
    signer = FeedbackSigner(b"k" * 32)
    reference = signer.sign_record(41)
    assert signer.record_id(reference) == 41
    _, _, mac = reference.partition(".")
    for forged in (f"42.{mac}", f"41.{mac[:-1]}", "41", "", None, "٤١." + mac, "1" * 40 + "." + mac):
        assert signer.record_id(forged) is None, forged
    assert FeedbackSigner(b"x" * 32).record_id(reference) is None
