"""Photo credits (王振宇摄) are not answers to questions about the page's subjects."""

from __future__ import annotations

from qa.reading.trained.credits import is_credit

CAPTION = "图为位于肇庆高新区的广东博俊汽车精密零部件项目建设现场。王振宇摄"


def test_the_trained_reader_does_not_answer_with_a_credit() -> None:
    from qa.reading.router import DEFAULT_READER
    from qa.reading.trained.loading import load_reader

    reader = load_reader(DEFAULT_READER)
    passage = CAPTION
    for question in ("肇庆高新区的书记是谁？", "博俊汽车项目的负责人是谁？", "谁在肇庆高新区投资建设项目？"):
        reading = reader.read_many([question], [[passage]])[0][0]
        assert reading.answer is None or passage[reading.answer[0] : reading.answer[1]] != "王振宇", question
        assert all(not is_credit(passage, s, e) for s, e, _ in reading.candidates or [])
    asked = reader.read_many(["这张建设现场的照片是谁拍摄的？"], [[passage]])[0][0]
    assert asked.candidates and any(passage[s:e].startswith("王振宇") for s, e, _ in asked.candidates)
