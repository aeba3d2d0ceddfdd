from __future__ import annotations

from typing import Any

import pytest

from qa.conversation.turns import MAX_TURNS, Turn, check_history
from qa.errors import BadRequest


def test_history_is_read_oldest_first_with_optional_answers() -> None:
    raw = [{"question": " 腾讯的总部在哪里？ ", "answer": "深圳"}, {"question": "它何时成立？", "answer": None}]
    assert check_history(raw) == [Turn("腾讯的总部在哪里？", "深圳"), Turn("它何时成立？", None)]
    assert check_history(None) == []


@pytest.mark.parametrize(
    "raw",
    [
        "腾讯的总部在哪里？",
        [{"answer": "深圳"}],
        [{"question": ""}],
        [{"question": "q", "answer": 3}],
        ["q"],
        [{"question": "q"}] * (MAX_TURNS + 1),
        [{"question": "x" * 5000}],
    ],
)
def test_bad_history_is_refused_with_a_reason(raw: Any) -> None:
    with pytest.raises(BadRequest, match="history"):
        check_history(raw)
