"""The Answerer's decision rules, with a fake reader and a fixed evidence function (no model).

The real reader and retrieval are exercised in tests/integration; here the Answerer's own rules
are checked against what they promise: the best span over passages wins, a span under the policy's
threshold is not painted, passages no span could answer from are not read, and the fallback reader
answers only where the first one abstained and only at its own threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from qa.answering import Answerer, Retrieval, blend_evidence, combined_score, span_score
from qa.ingest.passages import Passage
from qa.reading.reader import Policy, Reader, Reading, Scored, ScoredSpan
from qa.retrieval.hybrid import Hit

TEXTS = ["甲公司总投资40亿元。", "乙公司占地1000亩。", "丙公司在福州。"]
PASSAGES = [Passage(f"doc#{i}", "doc", "doc.txt", "", "", "body", t, 0, len(t)) for i, t in enumerate(TEXTS)]


class FakeReader:
    """Answers each passage with a fixed (span, score) looked up by its text; counts what it read."""

    def __init__(
        self,
        name: str,
        answers: dict[str, tuple[tuple[int, int] | None, float]],
        policy: Policy,
        fallback: Reader | None = None,
    ) -> None:
        self._name, self.answers, self._policy, self._fallback = name, answers, policy, fallback
        self.read: list[list[str]] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def fallback(self) -> Reader | None:
        return self._fallback

    def policy(self, question: str) -> Policy:
        return self._policy

    def read_many(
        self,
        questions: Sequence[str],
        passages: Sequence[Sequence[str]],
        question_vectors: np.ndarray | None = None,
        sentences: Scored | None = None,
    ) -> list[list[Reading]]:
        self.read.extend(list(p) for p in passages)
        return [[self._reading(t) for t in texts] for texts in passages]

    def _reading(self, text: str) -> Reading:
        span, score = self.answers.get(text, (None, 0.0))
        return Reading(span, None, score)


def retrieval(question: str = "问题", rows: Sequence[int] = (0, 1, 2), sentence: float = 1.0) -> Retrieval:
    hits = [Hit(row=r, score=1.0 / (i + 1), dense=0.5) for i, r in enumerate(rows)]
    texts = [TEXTS[r] for r in rows]
    sentences = [[ScoredSpan(0, len(t), sentence)] for t in texts]
    return Retrieval(question, np.zeros(4, dtype=np.float32), hits, texts, sentences)


def answerer(reader: Reader, evidence: dict[int, float] | None = None) -> Answerer:
    evidence = evidence or {}
    return Answerer(reader, PASSAGES, lambda hit, question: evidence.get(hit.row, 0.5))


def test_the_best_span_over_all_passages_is_the_answer() -> None:
    reader = FakeReader("fake", {TEXTS[0]: ((3, 9), 0.4), TEXTS[1]: ((5, 10), 0.9)}, Policy(threshold=0.3))
    [decision] = answerer(reader).answer_many([retrieval()])
    assert decision.answer is not None
    assert (decision.answer.passage_id, decision.answer.text) == ("doc#1", "1000亩")
    assert decision.answer.text == TEXTS[1][decision.answer.start : decision.answer.end]
    assert decision.spans == [(3, 9), (5, 10), None]  # both clear the threshold and are painted


def test_spans_under_the_threshold_are_neither_answered_nor_painted() -> None:
    reader = FakeReader("fake", {TEXTS[0]: ((3, 9), 0.2), TEXTS[1]: ((5, 10), 0.25)}, Policy(threshold=0.3))
    [decision] = answerer(reader).answer_many([retrieval()])
    assert decision.answer is None and decision.spans == [None, None, None]


def test_retrieval_evidence_can_outweigh_a_surer_span() -> None:
    """With a retrieval weight, a sure span in a passage far from the question loses to a close one."""
    reader = FakeReader(
        "fake", {TEXTS[0]: ((3, 9), 0.6), TEXTS[1]: ((5, 10), 0.9)}, Policy(threshold=0.1, retrieval_weight=0.5)
    )
    [decision] = answerer(reader, {0: 0.9, 1: 0.1}).answer_many([retrieval()])
    assert decision.answer is not None and decision.answer.passage_id == "doc#0"
    assert decision.answer.score == pytest.approx(combined_score(0.6, 0.9, 0.5))


def test_passages_no_span_could_answer_from_are_not_read() -> None:
    """Even a span of score 1 in passage 2 would stay under the threshold: the reader never sees it."""
    reader = FakeReader("fake", {TEXTS[0]: ((3, 9), 0.9)}, Policy(threshold=0.5, retrieval_weight=0.5))
    [decision] = answerer(reader, {0: 0.9, 1: 0.9, 2: 0.01}).answer_many([retrieval()])
    assert reader.read == [[TEXTS[0]], [TEXTS[1]]]  # best bound first, one passage a round
    assert decision.readings[2].answer is None and decision.readings[2].sentence == (0, len(TEXTS[2]))


def test_a_passage_that_cannot_beat_the_best_span_found_is_not_read() -> None:
    """Passage 0 (closest) gives a sure span; passage 1, however sure its span, would score less."""
    reader = FakeReader(
        "fake", {TEXTS[0]: ((3, 9), 0.95), TEXTS[1]: ((5, 10), 1.0)}, Policy(threshold=0.2, retrieval_weight=0.8)
    )
    [decision] = answerer(reader, {0: 0.9, 1: 0.6, 2: 0.5}).answer_many([retrieval()])
    assert reader.read == [[TEXTS[0]]]
    assert decision.answer is not None and decision.answer.passage_id == "doc#0"
    assert decision.spans == [(3, 9), None, None]  # unread passages are not painted
    assert decision.readings[1].sentence == (0, len(TEXTS[1]))  # but show their closest sentence


def test_skipping_passages_never_changes_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random spans, reader scores, evidence and sentence relevance: the same answer, to the score,
    as reading every passage, and never more passages read."""
    rng = np.random.default_rng(0)
    skipped = 0
    for _ in range(300):
        answers = {t: ((0, 2), float(rng.uniform(0.01, 1.0))) for t in TEXTS if rng.uniform() < 0.8}
        policy = Policy(threshold=float(rng.uniform(0.05, 0.7)), retrieval_weight=float(rng.uniform(0.0, 0.95)))
        policy = Policy(policy.threshold, policy.retrieval_weight, None, float(rng.uniform(0.0, 1.0)))
        evidence = {r: float(rng.uniform(0.05, 1.0)) for r in range(3)}
        asked = retrieval(sentence=float(rng.uniform(0.1, 1.0)))
        pruned_reader, full_reader = FakeReader("p", answers, policy), FakeReader("f", answers, policy)
        [pruned] = answerer(pruned_reader, evidence).answer_many([asked])
        with monkeypatch.context() as patched:
            patched.setattr(Answerer, "_bound", lambda *args: 1.0)
            [full] = answerer(full_reader, evidence).answer_many([asked])
        assert (pruned.answer is None) == (full.answer is None)
        if pruned.answer and full.answer:
            assert pruned.answer == full.answer
        assert len(pruned_reader.read) <= len(full_reader.read) == 3
        skipped += 3 - len(pruned_reader.read)
    assert skipped > 100  # the rule was put to the test, not idle


def test_the_fallback_answers_only_where_the_reader_abstains_and_at_its_own_threshold() -> None:
    heuristic = FakeReader("heuristic", {TEXTS[2]: ((4, 6), 0.7)}, Policy(threshold=0.0))
    trained = FakeReader("trained", {TEXTS[0]: ((3, 9), 0.1)}, Policy(threshold=0.5, fallback=0.6), heuristic)
    [decision] = answerer(trained).answer_many([retrieval()])
    assert decision.answer is not None and decision.answer.text == "福州" and decision.answer.score == 0.7

    strict = FakeReader("trained", {TEXTS[0]: ((3, 9), 0.1)}, Policy(threshold=0.5, fallback=0.8), heuristic)
    [decision] = answerer(strict).answer_many([retrieval()])
    assert decision.answer is None

    answered = FakeReader("trained", {TEXTS[0]: ((3, 9), 0.9)}, Policy(threshold=0.5, fallback=0.0), heuristic)
    heuristic.read.clear()
    [decision] = answerer(answered).answer_many([retrieval()])
    assert decision.answer is not None and decision.answer.text == "总投资40亿" and heuristic.read == []


def test_a_batch_is_decided_question_by_question() -> None:
    reader = FakeReader("fake", {TEXTS[0]: ((3, 9), 0.9), TEXTS[2]: ((4, 6), 0.8)}, Policy(threshold=0.3))
    decisions = answerer(reader).answer_many([retrieval("一", rows=(1, 2)), retrieval("二", rows=(0,))])
    assert [d.answer.text if d.answer else None for d in decisions] == ["福州", "总投资40亿"]


@pytest.mark.parametrize("reader,retrieval_,weight", [(0.9, 0.1, 0.0), (0.9, 0.1, 0.5), (0.4, 0.8, 0.9)])
def test_the_blend_is_a_weighted_geometric_mean(reader: float, retrieval_: float, weight: float) -> None:
    assert combined_score(reader, retrieval_, weight) == pytest.approx(reader ** (1 - weight) * retrieval_**weight)
    assert blend_evidence(retrieval_, reader, 0.0) == retrieval_
    assert span_score(reader, retrieval_, None, weight, 1.0) == pytest.approx(
        combined_score(reader, retrieval_, weight)
    )
