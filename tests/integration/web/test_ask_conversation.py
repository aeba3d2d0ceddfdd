"""Follow-up questions and streamed answers on POST /api/ask, through Flask's test client and the real pipeline."""

from __future__ import annotations

import json

import pytest

FIRST = "福建三峡海上风电国际产业园占地多少亩？"


def events(response) -> list[tuple[str, dict]]:
    """The (name, data) of each server-sent event of a response."""
    found = []
    for block in response.get_data(as_text=True).split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            found.append((lines.get("event", "message"), json.loads(lines["data"])))
    return found


def test_a_follow_up_is_read_with_the_turn_before_and_says_how(client) -> None:
    history = [{"question": FIRST, "answer": "1000亩"}]
    data = client.post("/api/ask", json={"question": "总投资呢？", "history": history}).get_json()
    assert data["question"] == "总投资呢？"
    assert data["read_as"]["how"] == "ellipsis"
    assert "福建三峡海上风电国际产业园" in data["read_as"]["question"]
    assert data["answer"]["text"] == "40亿元"


def test_without_history_a_question_is_read_as_asked(client) -> None:
    data = client.post("/api/ask", json={"question": FIRST}).get_json()
    assert data["read_as"] == {"question": FIRST, "how": "as asked", "referent": None}


@pytest.mark.parametrize("history", ["总投资", [{"answer": "x"}], [{"question": 3}], [{"question": "q"}] * 21])
def test_a_bad_history_is_a_json_400(client, history) -> None:
    response = client.post("/api/ask", json={"question": "总投资呢？", "history": history})
    assert response.status_code == 400
    assert "history" in response.get_json()["error"]["message"]


def test_streamed_answers_send_the_passages_first_then_the_answer(client) -> None:
    response = client.post("/api/ask", json={"question": FIRST, "top_k": 3}, headers={"Accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    (first, passages), (second, answered) = events(response)
    assert (first, second) == ("passages", "answer")
    assert 1 <= len(passages["passages"]) <= 3 and passages["query"] == FIRST
    assert answered["answer"]["text"] == "1000亩"
    assert answered["feedback_token"]
    assert answered["answer"]["passage_id"] in {p["id"] for p in answered["passages"]}
    unstreamed = client.post("/api/ask", json={"question": FIRST, "top_k": 3}).get_json()
    assert answered["answer"] == unstreamed["answer"]


def test_a_streamed_request_with_bad_input_is_an_ordinary_json_error(client) -> None:
    response = client.post("/api/ask", json={"question": "", "top_k": 3}, headers={"Accept": "text/event-stream"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"]


def free_slots(app) -> int:
    admission = app.extensions["ragqa"].admission
    taken = 0
    while admission._free.acquire(blocking=False):  # what is free now, given back at once
        taken += 1
    for _ in range(taken):
        admission._free.release()
    return taken


def test_the_question_slot_is_given_back_after_a_stream_read_or_abandoned(app, client) -> None:
    before = free_slots(app)
    client.post("/api/ask", json={"question": FIRST}, headers={"Accept": "text/event-stream"}).get_data()
    assert free_slots(app) == before
    abandoned = client.post(
        "/api/ask", json={"question": FIRST}, headers={"Accept": "text/event-stream"}, buffered=False
    )
    assert free_slots(app) == before - 1  # held while the answer is owed
    abandoned.close()  # the client went away before reading a byte
    assert free_slots(app) == before
