"""What tests share besides fixtures: where things are, and small checks and clients."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DATA = TESTS / "data"  # labelled questions written for this project
SEED = ROOT / "corpus" / "keji-ribao-2024-08-high-tech-parks.txt"


def covers(raw: str, text: str) -> bool:
    """True when every character of text appears, in order, in raw (a source slice covers a passage).

    A space in text may stand for any whitespace in raw: joining wrapped Latin lines, or two
    blocks, puts a space where the source has a line break.
    """
    k = 0
    for char in text:
        while k < len(raw) and not (raw[k] == char or (char == " " and raw[k].isspace())):
            k += 1
        if k == len(raw):
            return False
        k += 1
    return True


def http_json(url: str, body: bytes | None = None, content_type: str = "application/json") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def feedback_on(answered: dict, rating: str = "up", correction: str | None = None) -> dict:
    """The body the page sends back to rate an answer as it was served (`POST /api/ask`'s JSON): its
    question, answer, passages and the server's token."""
    answer = answered["answer"]
    return {
        "question": answered["question"],
        "rating": rating,
        "answer": answer and answer["text"],
        "passage_id": answer and answer["passage_id"],
        "correction": correction,
        "passages": [p["id"] for p in answered["passages"]],
        "token": answered["feedback_token"],
    }
