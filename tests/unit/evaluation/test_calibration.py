"""Choosing the reader's threshold and retrieval weight from labels: the curve against a brute-force
count, the choice, folds by article, and the score blend the pipeline uses."""

from __future__ import annotations

import random

import pytest

from qa.answering import blend_evidence, combined_score
from qa.evaluation.calibration import Case, choose, choose_fallback, curve, decide
from qa.evaluation.metrics import f1
from qa.reading.relevance import focus


def _cases(n: int = 60, seed: int = 0) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        answers = [f"答案{i}"] if rng.random() < 0.6 else []
        k = rng.randint(1, 5)
        spans = [rng.choice([f"答案{i}", f"答案{i}x", "别的", None]) for _ in range(k)]
        cases.append(
            Case(
                answers, spans, [rng.random() for _ in range(k)], sorted((rng.random() for _ in range(k)), reverse=True)
            )
        )
    return cases


def _overall_f1(cases: list[Case], weight: float, threshold: float, share: float | None = None) -> float:
    total, kinds = 0.0, {True: [], False: []}
    for case in cases:
        best, best_score = None, 0.0
        for span, r, q in zip(case.spans, case.reader, case.retrieval):
            s = combined_score(r, q, weight)
            if span and s > best_score:
                best, best_score = span, s
        answered = best is not None and best_score >= threshold
        right = (f1(best, case.answers) if answered else 0.0) if case.answers else float(not answered)
        total += right
        kinds[bool(case.answers)].append(right)
    if share is not None:
        return 100 * ((1 - share) * sum(kinds[True]) / len(kinds[True]) + share * sum(kinds[False]) / len(kinds[False]))
    return 100 * total / len(cases)


@pytest.mark.parametrize("weight", [0.0, 0.3])
def test_curve_matches_brute_force(weight: float) -> None:
    cases = _cases()
    points = curve(cases, weight)
    assert len(points) > 10
    for p in points:
        assert p.overall_f1 == pytest.approx(_overall_f1(cases, weight, p.threshold))
    answered = [p.answered for p in points]
    assert answered == sorted(answered, reverse=True)  # a higher threshold never answers more


@pytest.mark.parametrize("share", [None, 0.5, 0.2])
def test_choice_is_the_best_point_of_all_weights(share: float | None) -> None:
    cases = _cases(80, seed=3)
    chosen = choose(cases, weights=(0.0, 0.2, 0.5), no_answer_share=share)
    best = max(_overall_f1(cases, w, p.threshold, share) for w in (0.0, 0.2, 0.5) for p in curve(cases, w))
    assert chosen["chosen"]["overall_f1"] == pytest.approx(best)
    assert _overall_f1(cases, chosen["retrieval_weight"], chosen["threshold"], share) == pytest.approx(best)
    assert chosen["cases"]["answerable"] + chosen["cases"]["without_answer"] == 80


def test_a_smaller_no_answer_share_never_raises_the_threshold() -> None:
    cases = _cases(120, seed=5)
    cuts = [choose(cases, weights=(0.3,), no_answer_share=s)["threshold"] for s in (0.8, 0.5, 0.2, 0.05)]
    assert cuts == sorted(cuts, reverse=True) and cuts[0] > cuts[-1]


def test_nothing_to_calibrate_on_is_an_error() -> None:
    with pytest.raises(ValueError):
        choose([])
    with pytest.raises(ValueError):  # only answerable cases: no trade-off to weigh
        choose([Case(["a"], ["a"], [0.5], [1.0])])


def _fallback_overall(cases: list[Case], chosen: dict, threshold: float | None) -> float:
    """SQuAD 2.0 overall F1 (share 0.5) when the fallback answers, at `threshold`, where the reader abstains."""
    kinds: dict[bool, list[float]] = {True: [], False: []}
    for case in cases:
        span, score = decide(case, chosen["retrieval_weight"])
        if span is None or score < chosen["threshold"]:
            span = case.fallback[0] if threshold is not None and case.fallback[1] >= threshold else None
        kinds[bool(case.answers)].append(
            (f1(span, case.answers) if span else 0.0) if case.answers else float(span is None)
        )
    return 100 * (0.5 * sum(kinds[True]) / len(kinds[True]) + 0.5 * sum(kinds[False]) / len(kinds[False]))


@pytest.mark.parametrize("right_share", [0.9, 0.1])
def test_fallback_threshold_is_the_best_of_all_its_scores(right_share: float) -> None:
    rng = random.Random(7)
    cases = _cases(100, seed=7)
    for case in cases:  # a fallback that is right on answerable cases with this probability
        span = (case.answers[0] if rng.random() < right_share else "别的") if case.answers else "别的"
        case.fallback = (span, rng.random())
    chosen = choose(cases, weights=(0.3,))
    found = choose_fallback(cases, chosen)
    candidates = [None] + sorted({c.fallback[1] for c in cases})
    best = max(_fallback_overall(cases, chosen, t) for t in candidates)
    assert found["overall_f1"] == pytest.approx(best)
    assert found["overall_f1"] == pytest.approx(_fallback_overall(cases, chosen, found["threshold"]))
    assert found["without"] == pytest.approx(_fallback_overall(cases, chosen, None))
    if right_share < 0.5:  # a fallback that is mostly wrong only costs abstentions
        assert found["threshold"] is None


def test_retyping_a_case_redoes_the_answer_type_choice() -> None:
    text = "第三期工程搬迁了37个村庄。"
    case = Case(["37个"], ["第三期"], [0.5], [1.0], "工程搬迁了多少个村庄？", [text], [[(0, 3, 0.5), (8, 11, 0.1)]])
    assert decide(case.retyped(0.0, 1.0), 0.0) == ("37个", 0.5)
    assert decide(case.retyped(0.5, 0.5), 0.0) == ("第三期", 0.25)  # the typed span is too far behind
    assert (
        choose([case, Case([], ["别的"], [0.2], [0.5])], weights=(0.0,), typings=[(0.0, 1.0), (0.5, 0.5)])["type_ratio"]
        == 0.0
    )


def test_combined_score_blends_geometrically() -> None:
    assert combined_score(0.49, 0.25, 0.0) == 0.49
    assert combined_score(0.49, 0.25, 0.5) == pytest.approx(0.35)
    assert combined_score(0.8, 1.0, 0.3) > combined_score(0.8, 0.5, 0.3)
    assert decide(Case(["a"], ["a", "b"], [0.5, 0.6], [1.0, 0.2]), 0.5)[0] == "a"  # retrieval outvotes the reader
    assert decide(Case(["a"], ["a", "b"], [0.5, 0.6], [1.0, 0.2]), 0.0)[0] == "b"


def test_the_answer_sentence_joins_the_evidence_when_calibration_finds_it_helps() -> None:
    # Two passages close to the question; the sure span (20亿元, 0.8) sits in a sentence about one
    # project, the right one (31.9亿元, 0.3) in the sentence that says what was asked.
    texts = ["7个重大项目集中开工，总投资31.9亿元。", "佳荣项目总投资20亿元。"]
    sentences = [[(0, 21, 0.9)], [(0, 12, 0.3)]]
    asked = Case(["31.9亿元"], ["31.9亿元", "20亿元"], [0.3, 0.8], [0.7, 0.65], starts=[14, 6], sentences=sentences)
    assert decide(asked, 0.8, 0.0)[0] == "20亿元"  # the passages alone cannot tell them apart
    assert decide(asked, 0.8, 1.0)[0] == "31.9亿元"
    assert asked.evidence(0.5) == [
        pytest.approx(blend_evidence(0.7, 0.9, 0.5)),
        pytest.approx(blend_evidence(0.65, 0.3, 0.5)),
    ]
    chosen = choose([asked, Case([], ["别的"], [0.2], [0.3])], weights=(0.8,), shares=(0.0, 1.0))
    assert chosen["sentence_share"] == 1.0 and chosen["chosen"]["em"] == 100.0
    # Retyping moves the span, and its sentence moves with it.
    retyped = Case(
        ["31.9亿元"],
        ["7个"],
        [0.5],
        [0.7],
        "总投资多少？",
        texts[:1],
        [[(0, 2, 0.5), (14, 20, 0.4)]],
        sentences=[[(0, 10, 0.2), (10, 21, 0.9)]],
    ).retyped(0.5, 0.5, 0.8)
    assert retyped.spans == ["31.9亿元"] and retyped.evidence(1.0) == [pytest.approx(0.9)]


def test_the_sentence_focus_picks_the_span_in_the_asked_sentence_when_calibration_finds_it_helps() -> None:
    # One passage, two sums: the reader is surer of the project's 20亿元 than of the total asked for.
    text = "7个重大项目集中开工，总投资31.9亿元。其中佳荣项目总投资20亿元。"
    sentences = [[(0, 21, 0.9), (21, 35, 0.3)]]
    candidates = [[(30, 34, 0.6), (14, 20, 0.3)]]
    asked = Case(
        ["31.9亿元"],
        ["20亿元"],
        [0.6],
        [0.7],
        "开工项目总投资多少？",
        [text],
        candidates,
        starts=[30],
        sentences=sentences,
    )
    assert decide(asked.retyped(0.0, 1.0, 0.8, 0.0), 0.8)[0] == "20亿元"
    assert decide(asked.retyped(0.0, 1.0, 0.8, 1.0), 0.8) == ("31.9亿元", pytest.approx(combined_score(0.3, 0.7, 0.8)))
    assert focus(candidates[0], sentences[0], 0.0) == candidates[0]
    assert focus(candidates[0], sentences[0], 1.0) == candidates[0][::-1]  # 0.3 * 0.9 > 0.6 * 0.3, scores kept
    chosen = choose([asked, Case([], ["别的"], [0.2], [0.3])], weights=(0.8,), focuses=(0.0, 1.0))
    assert chosen["sentence_focus"] == 1.0 and chosen["chosen"]["em"] == 100.0
    # Where the reader's own first choice is right, focus costs nothing and is not chosen over 0.
    right = Case(
        ["20亿元"],
        ["20亿元"],
        [0.6],
        [0.7],
        "佳荣项目总投资多少？",
        [text],
        candidates,
        starts=[30],
        sentences=[[(0, 21, 0.3), (21, 35, 0.9)]],
    )
    assert (
        choose([right, Case([], ["别的"], [0.2], [0.3])], weights=(0.8,), focuses=(0.0, 1.0))["sentence_focus"] == 0.0
    )


def test_blend_evidence() -> None:
    assert blend_evidence(0.64, 0.25, 0.0) == 0.64
    assert blend_evidence(0.64, 0.25, 1.0) == pytest.approx(0.25)
    assert blend_evidence(0.64, 0.25, 0.5) == pytest.approx(0.4)
