"""Question and passage pairs as an extractive model reads them: token windows with character offsets.

A passage longer than the window is covered by overlapping windows (`stride` tokens shared), as
in SQuAD-style training; every passage token keeps its code-point span in the passage, so a
predicted token span maps back to exact passage offsets. Training and reading share this code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.text.token_offsets import passage_offsets

MAX_QUESTION_TOKENS = 64  # a longer question is cut: its opening says what is asked


@dataclass
class Windows:
    input_ids: np.ndarray  # (windows, max_length) int64
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    offsets: list[list[tuple[int, int] | None]]  # per window and token: span in the passage, None outside it
    pair: list[int]  # which (question, passage) pair each window reads

    def __len__(self) -> int:
        return len(self.pair)

    def batch(self, rows: slice | np.ndarray) -> dict[str, np.ndarray]:
        """The model inputs of these windows, cut to the longest of them (padding costs as much as text)."""
        mask = self.attention_mask[rows]
        width = int(mask.sum(axis=1).max()) if len(mask) else 0
        return {
            "input_ids": self.input_ids[rows, :width],
            "attention_mask": mask[:, :width],
            "token_type_ids": self.token_type_ids[rows, :width],
        }

    def lengths(self) -> np.ndarray:
        return self.attention_mask.sum(axis=1)


def make_windows(
    tokenizer: Any, questions: Sequence[str], passages: Sequence[str], max_length: int = 256, stride: int = 64
) -> Windows:
    """Tokenize each (question, passage) pair into windows of at most max_length tokens."""
    questions = [_cut_question(tokenizer, q) for q in questions]
    enc = tokenizer(
        list(questions),
        list(passages),
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )
    pairs = [int(p) for p in enc["overflow_to_sample_mapping"]]
    rows: list[list[int]] = []  # per window, the positions of its passage tokens
    claimed = []
    for w, spans in enumerate(enc["offset_mapping"]):
        sequence = enc.sequence_ids(w)
        rows.append([t for t in range(len(spans)) if sequence[t] == 1])
        claimed.append(
            (
                pairs[w],
                [int(enc["input_ids"][w][t]) for t in rows[w]],
                [(int(spans[t][0]), int(spans[t][1])) if spans[t][1] > spans[t][0] else None for t in rows[w]],
            )
        )
    offsets: list[list[tuple[int, int] | None]] = []
    for w, found in enumerate(passage_offsets(tokenizer, passages, claimed, stride)):
        row: list[tuple[int, int] | None] = [None] * len(enc["input_ids"][w])
        for t, span in zip(rows[w], found):
            row[t] = span
        offsets.append(row)
    types = enc.get("token_type_ids") or [[0] * max_length for _ in offsets]
    return Windows(
        np.asarray(enc["input_ids"], dtype=np.int64),
        np.asarray(enc["attention_mask"], dtype=np.int64),
        np.asarray(types, dtype=np.int64),
        offsets,
        pairs,
    )


def token_span(offsets: list[tuple[int, int] | None], start: int, end: int) -> tuple[int, int] | None:
    """The tokens of a window that cover passage characters [start, end), or None unless the window holds them all."""
    spans = [(t, span) for t, span in enumerate(offsets) if span is not None]
    if not spans or spans[0][1][0] > start or spans[-1][1][1] < end:
        return None
    inside = [t for t, (a, b) in spans if a < end and b > start]
    return (inside[0], inside[-1]) if inside else None


def _cut_question(tokenizer: Any, question: str) -> str:
    enc = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    if len(ids) <= MAX_QUESTION_TOKENS:
        return question
    # The same exact offsets as the passages' (a drifting tokenizer would cut a character off).
    claimed = [(int(a), int(b)) if b > a else None for a, b in enc["offset_mapping"]]
    spans = passage_offsets(tokenizer, [question], [(0, ids, claimed)], 0)[0]
    end = max((span[1] for span in spans[:MAX_QUESTION_TOKENS] if span is not None), default=len(question))
    return question[:end]
