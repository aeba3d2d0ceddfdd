"""Span edges from the question's wording (qa.reading.trained.edges).

Questions and passages here were written for these tests about facts that are not on the shipped
page, so they check the kinds of misplaced edge (a repeated question, a possessor overrun, a name
cut short of the noun asked for) rather than the regression set's examples; the shipped page's
own cases are checked end to end in tests/test_trained_reader.py.
"""

from __future__ import annotations

import pytest

from qa.reading.trained.edges import Edges
from qa.text import fold


def _moved(question: str, passage: str, span: str) -> str:
    start = passage.index(span)
    (s, e, _), *_ = Edges(question).apply(fold(passage), [(start, start + len(span), 0.5)])
    return passage[s:e]


@pytest.mark.parametrize(
    "question,passage,span,answer",
    [
        # the question's own words before the answer are cut, with what joins them
        (
            "东湖实验室的首台深海机器人叫什么名字？",
            "去年，东湖实验室的首台深海机器人海燕号完成了万米下潜。",
            "东湖实验室的首台深海机器人海燕号",
            "海燕号",
        ),
        (
            "那座大桥的设计者是谁？",
            "那座大桥的设计者是林同棪，他毕业于交通大学。",
            "那座大桥的设计者是林同棪",
            "林同棪",
        ),
        (
            "臺中港的貨櫃碼頭由哪家公司經營？",
            "臺中港的貨櫃碼頭由長榮海運經營。",
            "臺中港的貨櫃碼頭由長榮海運",
            "長榮海運",
        ),  # Traditional
        # whose: the answer is what comes before 的
        (
            "这款疫苗是哪家企业的产品？",
            "华兰生物的四价流感疫苗这款疫苗于去年上市。",
            "华兰生物的四价流感疫苗",
            "华兰生物",
        ),
        ("《茶馆》是谁的作品？", "老舍的代表作《茶馆》写于1957年。", "老舍的代表作", "老舍"),
        ("刀片电池是哪家公司的？", "比亚迪的刀片电池已装上多款车型。", "比亚迪的刀片电池", "比亚迪"),
        (
            "这部小说是哪家出版社的作品？",
            "《海边的卡夫卡》的出版社是上海译文出版社的译本",
            "上海译文出版社的译本",
            "上海译文出版社",
        ),
        (
            "这套丛书是哪家出版社的？",
            "《失落的故事集》的出版社的名字",
            "《失落的故事集》的出版社",
            "《失落的故事集》",
        ),  # 的 in a title stays
        (
            "东湖实验室的首台深海机器人叫什么名字？",
            "东湖实验室的首台深海机器人，海燕号，完成了下潜。",
            "东湖实验室的首台深海机器人，海燕号",
            "海燕号",
        ),
        (
            "这座港口由哪家公司运营？",
            "由招商局港口控股有限公司运营。",
            "招商局港口控股",
            "招商局港口控股有限公司",
        ),  # 公司 before a verb
        # carried on to the noun asked for, within one name
        (
            "这座港口由哪家公司运营？",
            "港口由招商局港口控股有限公司运营，年吞吐量大增。",
            "招商局",
            "招商局港口控股有限公司",
        ),
        ("他毕业于哪所大学？", "他毕业于华中科技大学，后来留校任教。", "华中科技", "华中科技大学"),
        # a span cut inside an English word is widened to the word, whatever the question's language
        (
            "How many tonnes of apples were harvested?",
            "They harvested about 12,000 tonnes of apples.",
            "12,000 tonn",
            "12,000 tonnes",
        ),
        ("哪家公司的芯片用在了这款手机上？", "这款手机用的是Qualcomm公司的骁龙芯片。", "ualcomm公司", "Qualcomm公司"),
    ],
)
def test_edges_follow_the_question(question: str, passage: str, span: str, answer: str) -> None:
    assert _moved(question, passage, span) == answer


@pytest.mark.parametrize(
    "question,passage,span",
    [
        (
            "臺北市位於哪個盆地？",
            "臺北市是中華民國的首都，位於臺灣北部的臺北盆地。",
            "臺北盆地",
        ),  # 臺北 is the answer's own
        (
            "哪个国家最早发明了造纸术？",
            "中国是最早发明造纸术的国家。",
            "中国",
        ),  # 是 between: another clause, not one name
        ("港口由哪家公司运营？", "港口由招商局运营，该公司成立于1872年。", "招商局"),  # punctuation before 公司
        ("这本书讲了什么？", "这本书讲了一个渔村的故事。", "一个渔村的故事"),  # not a whose-question: 的 stays
        (
            "这本书讲了什么？",
            "这本书讲了一个渔村的故事。",
            "这本书讲了",
        ),  # all of it repeats the question: nothing left to cut to
        ("他是哪一年出生的？", "他于1990年出生于北京。", "1990"),  # 哪一年 names no thing: nothing to carry on to
        ("他为什么离开北京？", "他因为工作调动而离开北京。", "工作调动"),  # why, not what
        ("他是什么样的人？", "他是一个非常善良的人。", "一个非常善良的人"),  # what kind, not whose
        ("这座桥是谁设计的？", "茅以升的团队设计了这座桥。", "茅以升的团队"),  # a verb before 的: not whose
        ("当时由谁代表中央致悼词？", "由邓小平代表中央致悼词。", "邓小平"),  # 谁 asks for a person, not for 中央
        (
            "她以哪一部电影获得了最佳女主角奖？",
            "她以《男人四十》获得长春电影节最佳女主角奖。",
            "《男人四十》",
        ),  # a title is whole
        (
            "南斯拉夫人民联邦共和国后来改名为什么？",
            "1963年改名为南斯拉夫社会主义联邦共和国。",
            "南斯拉夫社会主义联邦共和国",
        ),
        # The rules read Chinese wording: an English question's words are no echo to cut ("attacker m").
        (
            "How might an attacker write markup into a page?",
            "It is how an attacker might write markup into a page.",
            "attacker might write markup into a page",
        ),
        (
            "Which company is the tram supplier?",
            "Alstom, a company in the south, is the tram supplier company.",
            "Alstom",
        ),
    ],
)
def test_edges_stay_where_the_question_says_nothing(question: str, passage: str, span: str) -> None:
    assert _moved(question, passage, span) == span


def test_spans_that_meet_keep_the_higher_score_best_first() -> None:
    passage = "去年，东湖实验室的首台深海机器人海燕号完成了万米下潜。"
    a, b = passage.index("东湖实验室的首台深海机器人海燕号"), passage.index("海燕号")
    moved = Edges("东湖实验室的首台深海机器人叫什么名字？").apply(
        fold(passage), [(b, b + 3, 0.2), (a, b + 3, 0.6), (0, 2, 0.4)]
    )
    assert moved == [(b, b + 3, 0.6), (0, 2, 0.4)]


@pytest.mark.parametrize(
    "question,passage,span,answer",
    [
        (
            "When was it published?",
            "The notice was published on 3 September 2020. Comments follow.",
            "3 September 2020.",
            "3 September 2020",
        ),
        ("How many checks for Alabama?", "Alabama | Permit: 2,310; Totals: 71,137.", "71,137.", "71,137"),
        ("表中杭州银行的已使用额度是多少？", "杭州银行 | 已使用额度: 32,690.00。", "32,690.00。", "32,690.00"),
        ("Where was it founded?", "It was founded in the U.S.", "the U.S.", "the U.S."),
        ("Who makes it?", "It is made by Acme Inc.", "Acme Inc.", "Acme Inc."),
    ],
)
def test_the_mark_ending_a_sentence_is_not_part_of_the_answer(
    question: str, passage: str, span: str, answer: str
) -> None:
    assert _moved(question, passage, span) == answer


@pytest.mark.parametrize(
    "question,passage,span,answer",
    [
        # a span cut inside an English date is carried to the whole date, whatever its form
        (
            "When did the ferry service start?",
            "The ferry service started on 4 August 1958 with two boats.",
            "1958",
            "4 August 1958",
        ),
        (
            "When did the ferry service start?",
            "The ferry service started on 4 August 1958 with two boats.",
            "August",
            "4 August 1958",
        ),
        ("When did the strike end?", "The strike ended on November 2, 1984, after a vote.", "1984", "November 2, 1984"),
        (
            "When did the strike end?",
            "The strike ended on November 2, 1984, after a vote.",
            "November",
            "November 2, 1984",
        ),
        (
            "When was the hall rebuilt?",
            "The hall was rebuilt between 1921 and 1924 by the town.",
            "1921",
            "1921 and 1924",
        ),
        ("When did it close?", "It closed in early March 1990 for good.", "March", "March 1990"),
        # words that lead into a date stay out unless the reader took them
        ("When did it close?", "It closed in early March 1990 for good.", "early March", "early March 1990"),
        # asked for the year, a whole date is cut to it
        (
            "In what year did the strike end?",
            "The strike ended on November 2, 1984, after a vote.",
            "November 2, 1984",
            "1984",
        ),
        ("哪一年罢工结束？", "The strike ended on November 2, 1984, after a vote.", "November 2, 1984", "1984"),
        # a comma never ends an answer
        ("Who chaired it?", "It was chaired by Ruth Obi, a judge.", "Ruth Obi,", "Ruth Obi"),
        ("谁主持了会议？", "会议由王芳，副市长主持。", "王芳，", "王芳"),
    ],
)
def test_an_english_date_is_answered_whole(question: str, passage: str, span: str, answer: str) -> None:
    assert _moved(question, passage, span) == answer


@pytest.mark.parametrize(
    "question,passage,span,answer",
    [
        # a unit cut in two after its number is made whole; a number cut at its point or comma too
        ("这尊铜像有多高？", "这尊铜像高24公分，重3公斤。", "24公", "24公分"),
        ("湖有多大？", "湖面面积约3平方公里，水深2米。", "3平方", "3平方公里"),
        ("How many copies were sold?", "It sold 1.5 million copies in a year.", "1.", "1.5"),
        ("How many copies were sold?", "It sold 12,000 copies in a year.", "000", "12,000"),
        # a number the reader ends before its unit stays as it is (answer sets differ)
        ("这尊铜像有多高？", "这尊铜像高24公分，重3公斤。", "24", "24"),
        # brackets and quotes come in pairs
        ("学校推行哪一项计划？", "学校推行「大学生研究计划」，鼓励学生。", "大学生研究计划」", "「大学生研究计划」"),
        ("学校推行哪一项计划？", "学校推行「大学生研究计划」，鼓励学生。", "「大学生研究计划", "「大学生研究计划」"),
        ("他写了哪本书？", "他写了《落叶集》。后来又写了", "落叶集》", "《落叶集》"),
        ("他写了什么？", "他写了一首诗》，又写了", "一首诗》", "一首诗"),
        ("他写了什么？", "他写了《一首诗。后来又写了", "《一首诗", "一首诗"),
    ],
)
def test_numbers_units_and_brackets_are_whole(question: str, passage: str, span: str, answer: str) -> None:
    assert _moved(question, passage, span) == answer
