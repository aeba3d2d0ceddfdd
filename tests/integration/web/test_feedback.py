"""Answer feedback: validation, the JSON and form endpoints, the SQLite store and the SQuAD export."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from qa.cli import main
from qa.errors import BadRequest
from qa.evaluation.datasets import load_dataset
from qa.feedback.store import FeedbackStore
from qa.feedback.submission import check_feedback
from tests.helpers import feedback_on
from web import create_app

ANSWERED = "福建三峡海上风电国际产业园占地多少亩？"
UNANSWERABLE = "量子计算机的工作原理是什么？"


def _submission(client, question: str, rating: str, correction: str | None = None) -> dict:
    """Ask through the API, then build the body the page would send for that answer."""
    return feedback_on(client.post("/api/ask", json={"question": question}).get_json(), rating, correction)


GOOD = {"question": "q?", "rating": "up", "answer": "a", "passage_id": "d#1", "passages": ["d#1", "d#2"]}


@pytest.mark.parametrize(
    "change,code",
    [
        ({"rating": "meh"}, "invalid_rating"),
        ({"rating": None}, "invalid_rating"),
        ({"question": "  "}, "empty_question"),
        ({"question": 3}, "invalid_question"),
        ({"answer": "x" * 513}, "invalid_answer"),
        ({"answer": 5}, "invalid_answer"),
        ({"rating": "down", "correction": "c" * 513}, "invalid_correction"),
        ({"correction": "b"}, "invalid_correction"),  # a correction comes with a thumbs down
        ({"passages": []}, "invalid_passages"),
        ({"passages": ["d#1"] * 21}, "invalid_passages"),
        ({"passages": "d#1"}, "invalid_passages"),
        ({"passages": ["d#1", ""]}, "invalid_passages"),
        ({"passage_id": "elsewhere#9"}, "invalid_passage_id"),
        ({"passage_id": None}, "invalid_passage_id"),  # an answer needs its passage
        ({"extra": 1}, "unknown_field"),
    ],
)
def test_malformed_feedback_is_refused_with_its_code(change: dict, code: str) -> None:
    with pytest.raises(BadRequest) as err:
        check_feedback({**GOOD, **change})
    assert err.value.code == code and err.value.message


def test_well_formed_feedback_is_normalised() -> None:
    fb = check_feedback({**GOOD, "rating": "down", "correction": "  right  ", "question": " q? "})
    assert (fb.question, fb.correction, fb.gold, fb.passages) == ("q?", "right", "right", ("d#1", "d#2"))
    assert check_feedback({**GOOD, "answer": None, "passage_id": None}).gold is None


def test_api_stores_feedback_and_refuses_bad_input_as_json(client, app) -> None:
    body = _submission(client, ANSWERED, "up")
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["context_id"] == body["passage_id"]
    assert Path(app.config["RAGQA_FEEDBACK_DB"]).is_file()
    # Served before a rebuild: signed, but its passage is no longer in the index.
    gone = {**body, "passages": ["nowhere#1"], "passage_id": None, "answer": None}
    gone["token"] = app.extensions["ragqa"].signer().sign(body["question"], None, None, ["nowhere#1"])
    for sent, status, code in [
        ({**body, "rating": "sideways"}, 400, "invalid_rating"),
        (gone, 400, "unknown_passage"),
        ({**gone, "token": body["token"]}, 403, "not_served"),
        ([1, 2], 400, "invalid_body"),
    ]:
        response = client.post("/api/feedback", json=sent)
        assert response.status_code == status
        assert response.get_json()["error"]["code"] == code and response.get_json()["error"]["message"]
    assert (
        client.post("/api/feedback", data="{", content_type="application/json").get_json()["error"]["code"]
        == "invalid_json"
    )
    assert client.post("/api/feedback", data="rating=up").status_code == 415
    assert client.post("/api/feedback", data=b"x" * 20000, content_type="application/json").status_code == 413


def test_form_post_stores_feedback_and_shows_thanks(client) -> None:
    body = _submission(client, ANSWERED, "down")
    form = {
        **{k: v for k, v in body.items() if k != "passages"},
        "correction": "1000亩",
        "lang": "en",
        "passages": body["passages"],
    }
    response = client.post("/feedback", data=form)
    assert response.status_code == 303
    target = urlparse(response.headers["Location"])
    query = parse_qs(target.query)
    assert set(query) == {"lang", "feedback", "rated"} and query["feedback"] == ["saved"]  # no question in the URL
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your feedback was saved" in page and '<p class="answer-text">1000亩</p>' in page
    # The reference is signed: another record's number shows only the thanks.
    forged = client.get(f"/?lang=en&feedback=saved&rated={int(query['rated'][0].split('.')[0]) + 1}.AAAA")
    assert "Your feedback was saved" in forged.get_data(as_text=True) and "answer-text" not in forged.get_data(
        as_text=True
    )


def test_form_post_with_bad_input_is_a_readable_page(client) -> None:
    response = client.post("/feedback?lang=en", data={"question": ANSWERED, "rating": "maybe", "passages": ["x"]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "rating" in html and "Traceback" not in html


def test_export_is_squad_that_eval_reads(client, app, runner, index_dir: Path, tmp_path: Path) -> None:
    db = app.config["RAGQA_FEEDBACK_DB"]
    sent = [
        _submission(client, ANSWERED, "up"),  # the shown answer is gold
        _submission(
            client, "襄阳高新区此次集中开工的重大项目总投资多少？", "down", "31.9亿元"
        ),  # the correction is gold
        _submission(client, UNANSWERABLE, "up"),  # agreed: no answer in the corpus
        _submission(client, ANSWERED, "down"),  # wrong, but no better answer given
    ]
    for body in sent:
        assert client.post("/api/feedback", json=body).status_code == 201
    out = tmp_path / "feedback.json"
    result = runner.invoke(main, ["feedback", "export", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 2" in result.output and "skipped 1" in result.output and "1 corrections" in result.output
    assert {e.question for e in load_dataset(tmp_path / "feedback.unreviewed.json").examples} == {
        "襄阳高新区此次集中开工的重大项目总投资多少？"
    }
    # The operator who trusts every client's corrections takes them as gold.
    result = runner.invoke(main, ["feedback", "export", "--db", db, "--out", str(out), "--trust-corrections"])
    assert result.exit_code == 0, result.output
    assert "exported 3" in result.output and "skipped 1" in result.output
    squad = json.loads(out.read_text(encoding="utf-8"))
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                for answer in qa["answers"]:  # answer_start points at the answer in its context
                    assert paragraph["context"][answer["answer_start"] :].startswith(answer["text"])
    examples = {e.question: e for e in load_dataset(out).examples}
    assert examples[ANSWERED].answers == ["1000亩"] and examples[
        "襄阳高新区此次集中开工的重大项目总投资多少？"
    ].answers == ["31.9亿元"]
    assert examples[UNANSWERABLE].answerable is False and len(examples) == 3
    report = tmp_path / "report.json"
    evaluated = runner.invoke(main, ["eval", str(out), "--index", str(index_dir), "--json", str(report)])
    assert evaluated.exit_code == 0, evaluated.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["overall"]["questions"] == 3 and data["overall"]["abstention_accuracy"] == 1.0
    # The corrected question is scored against the correction, whatever the reader now answers there.
    scored = {row["question"]: row["em"] for row in data["questions"]}
    assert scored[ANSWERED] == 1.0 and set(scored) == {
        ANSWERED,
        UNANSWERABLE,
        "襄阳高新区此次集中开工的重大项目总投资多少？",
    }


def test_export_errors_are_one_line(runner, tmp_path: Path) -> None:
    missing = runner.invoke(
        main, ["feedback", "export", "--db", str(tmp_path / "none.sqlite3"), "--out", str(tmp_path / "o.json")]
    )
    assert missing.exit_code != 0 and "no feedback database" in missing.output and "Traceback" not in missing.output
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    broken = runner.invoke(main, ["feedback", "export", "--db", str(junk), "--out", str(tmp_path / "o.json")])
    assert broken.exit_code != 0 and "feedback database" in broken.output and "Traceback" not in broken.output


def test_store_keeps_records_across_instances(client, app) -> None:
    """Durable: a second store over the same file (another worker, a restart) reads what the first wrote."""
    client.post("/api/feedback", json=_submission(client, ANSWERED, "up"))
    records = FeedbackStore(app.config["RAGQA_FEEDBACK_DB"]).records()
    assert [(r.feedback.question, r.feedback.rating, r.feedback.answer) for r in records] == [
        (ANSWERED, "up", "1000亩")
    ]
    assert "1000亩" in records[0].context and records[0].title


def test_passage_in_its_document(client) -> None:
    data = client.post("/api/ask", json={"question": ANSWERED}).get_json()
    cited = data["passages"][0]
    html = client.get("/context", query_string={"passage": cited["id"], "lang": "en"}).get_data(as_text=True)
    assert html.count('id="cited"') == 1
    assert html.count('class="doc-passage') > 5  # the rest of the newspaper page is there too
    missing = client.get("/context?passage=nowhere%231&lang=en")
    assert missing.status_code == 404 and "no such passage" in missing.get_data(as_text=True)


def test_form_thumbs_up_ignores_the_correction_box(client, app) -> None:
    """Every no-JS form carries the correction box; a thumbs up must not fail because something was typed in it."""
    body = _submission(client, ANSWERED, "up")
    form = {**{k: v for k, v in body.items() if v is not None}, "correction": "typed, then thought better of it"}
    assert client.post("/feedback", data=form).status_code == 303
    (record,) = FeedbackStore(app.config["RAGQA_FEEDBACK_DB"]).records()
    assert (record.feedback.rating, record.feedback.correction) == ("up", None)


def test_a_feedback_token_stores_one_record(client, app) -> None:
    """Sent again, a served answer's token replaces its verdict: one answer served is one record."""
    body = _submission(client, ANSWERED, "up")
    ids = {client.post("/api/feedback", json=body).get_json()["id"] for _ in range(3)}
    changed = client.post("/api/feedback", json={**body, "rating": "down", "correction": "五万亩"})
    assert changed.status_code == 201 and ids == {changed.get_json()["id"]}
    (record,) = FeedbackStore(app.config["RAGQA_FEEDBACK_DB"]).records()
    assert (record.feedback.rating, record.feedback.correction) == ("down", "五万亩")
    again = _submission(client, ANSWERED, "up")  # the same answer served again is another record
    assert client.post("/api/feedback", json=again).get_json()["id"] != record.id


def test_an_unreviewed_correction_is_not_exported_as_gold(client, app, runner, tmp_path: Path) -> None:
    db = app.config["RAGQA_FEEDBACK_DB"]
    made_up = {**_submission(client, ANSWERED, "up"), "rating": "down", "correction": "五万亩"}
    assert client.post("/api/feedback", json=made_up).status_code == 201
    approved = _submission(client, UNANSWERABLE, "up")
    assert client.post("/api/feedback", json=approved).status_code == 201
    out = tmp_path / "gold.json"
    result = runner.invoke(main, ["feedback", "export", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output

    def questions(path: Path) -> dict[str, dict]:
        squad = json.loads(path.read_text(encoding="utf-8"))
        return {qa["question"]: qa for a in squad["data"] for p in a["paragraphs"] for qa in p["qas"]}

    assert set(questions(out)) == {UNANSWERABLE}  # only what the server itself served, approved
    held = questions(tmp_path / "gold.unreviewed.json")[ANSWERED]
    assert held["answers"][0]["text"] == "五万亩" and held["unreviewed"] is True
    assert "unreviewed" in result.output and "gold.unreviewed.json" in result.output
    trusted = runner.invoke(main, ["feedback", "export", "--db", db, "--out", str(out), "--trust-corrections"])
    assert trusted.exit_code == 0 and set(questions(out)) == {UNANSWERABLE, ANSWERED}


# Request threads of one gthread worker in this test: the feedback slots and queue (2 + 2) and two to spare.
THREADS = 6


def test_a_locked_feedback_database_answers_503_quickly_and_health_stays_fast(client, app) -> None:
    """Another process holds the database locked; the worker's threads are a fixed pool, as gunicorn's are."""
    body = _submission(client, ANSWERED, "up")
    assert client.post("/api/feedback", json=body).status_code == 201

    def post() -> tuple[int, str | None, str, float]:
        started = time.monotonic()
        response = app.test_client().post("/api/feedback", json=body)
        code = (response.get_json() or {}).get("error", {}).get("code", "")
        return response.status_code, response.headers.get("Retry-After"), code, time.monotonic() - started

    def probe(path: str) -> tuple[int, float]:
        started = time.monotonic()
        return app.test_client().get(path).status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        holder = sqlite3.connect(app.config["RAGQA_FEEDBACK_DB"], isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            posts = [pool.submit(post) for _ in range(10)]
            submitted = time.monotonic()
            health = pool.submit(probe, "/healthz").result()
            health_waited = time.monotonic() - submitted  # queued behind the posts, then answered
            ready = pool.submit(probe, "/readyz").result()
            answered = [p.result() for p in posts]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert health[0] == 200 and health_waited < 1.0, health_waited
    assert ready[0] == 200 and ready[1] < 1.0
    assert {(status, retry, code) for status, retry, code, _ in answered} == {(503, "1", "feedback_unavailable")}
    assert max(seconds for *_, seconds in answered) < 5
    assert client.post("/api/feedback", json=body).status_code == 201  # unlocked, it stores again


def test_an_app_started_on_a_locked_database_signs_answers(pipeline, tmp_path: Path) -> None:
    """The signing key is not in the database, so neither starting nor answering waits on its lock."""
    db = tmp_path / "feedback.sqlite3"
    sqlite3.connect(db).close()  # an existing file, locked by another process
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        app = create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": str(db)}, pipeline=pipeline)
        assert time.monotonic() - started < 5
        data = app.test_client().post("/api/ask", json={"question": ANSWERED}).get_json()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert data["feedback_token"] is not None
    body = feedback_on(data)
    assert app.test_client().post("/api/feedback", json=body).status_code == 201
