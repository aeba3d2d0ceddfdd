"""Passages: article titles and sections, captions, rejoined paragraphs, bounds, ids and offsets.

The messy newspaper page shipped in corpus/ is checked, and so is a synthetic page with the same
kinds of mess in other words, so the layout rules are not tuned to one file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qa.ingest.corpus import read_corpus
from qa.ingest.documents import Block, Document
from qa.ingest.passages import Passage, split_passages
from qa.ingest.readers.text import text_blocks
from tests.helpers import ROOT, covers

SEED = ROOT / "corpus" / "keji-ribao-2024-08-high-tech-parks.txt"
TERMINALS = "。！？；.!?"
CLOSERS = "”’\"'」』）)]"

SYNTHETIC_PAGE = """\

滨江软件园：开源芯片设计从这里起步

林涛 本报记者 陈雪

清晨七点，滨江软件园的芯片设计楼已经亮起灯光。三年前，这里还只有几家做外包测试的小公司，如今已聚集了一百二十多家集成电路设计企业，开源指令集芯片的流片数量位居全省第一。

园区负责人说，这一变化并非偶然。

人才引育打开新局

园区为何能留住工程师？

“我们最缺的不是资金，而是能把开源架构做成产品的工程师。”滨江集成电路研究院副院

图为滨江软件园芯片测试车间的工程师在调试样片。本报记者 陈雪摄

长周明介绍。为此，园区与五所高校共建实训基地，每年输送
设计人才四百余人。

产线扩容提速

今年上半年，园区新增两条封装测试线，预计年底前将

封测产能提高一倍，服务长三角地区的两百多家芯片设计企业。

去年，园区企业推出的低功耗物联网芯片实现了规模量产，出货量突破八千万颗，成为国内同类产品中的佼佼者。图为滨江软件园无尘车间内，工人在检查晶圆。李华摄

园区速递

临港数据港

算力调度平台正式上线

科技日报讯(记者张鹏)记者9月3日获悉，临港数据港日前上线统一算力调度平台，可将分散在八个数据中心的算力按需分配给园区企业，平均使用成本下降约三成。
"""

ENGLISH_PAGE = """\
Solar Farm Lights Up the Valley

By Jane Doe

The valley's new solar farm opened on Monday, and officials said
it will supply power to twelve thousand homes. Its photo-
voltaic panels cover forty hectares of former farmland.

Growers Weigh the Leases

Some farmers, including the Ortega family, said the lease payments

are steadier than wheat prices, which fell sharply last year.

Pictured: sheep graze between rows of panels at the new farm.

Why would a farmer sign up?

The answer, most of them said, is a guaranteed income for the twenty-five years of the lease.
"""

# What each page must come out as. titles: (text in a passage, fragment of that passage's title).
PAGES = {
    "seed": {
        "titles": [
            ("吡咯替尼", "张江科学城：原创新药从这里走向世界"),
            ("19家", "郑州高新区"),
            ("1000亩", "福建三峡海上风电国际产业园"),
            ("小鹏汽车与滴滴公司", "肇庆高新区"),
            ("华润生命健康研究院", "河套深港科技创新合作区"),
            ("襄阳佳荣", "襄阳高新区"),
        ],
        "article_titles": ["张江科学城", "肇庆高新区", "郑州高新区", "河套深港", "襄阳高新区", "福建三峡"],
        "sections": [
            ("晶泰科技", "颠覆技术加速新药研发"),
            ("和黄医药执行副总裁崔映吟说", "先行先试激活源头创新"),
            ("副总经理刘刚说", "完善服务构建良好生态"),
            ("谷美替尼片获日本厚生劳动省", "制度激励放大转化成效"),
            ("电池安全实验车间", "持续聚焦“双核一城”"),
            ("共有142家企业", "产业集群加速发展"),
            ("做大做强？", "政策引领做优做强"),
            ("探寻这里激活创新发展源泉", ""),
        ],
        "not_text": ["魏路 本报记者 王春", "本报记者 龙跃梅", "通讯员 方斌 赖小琴", "龙跃梅", "园镜头", "园光影"],
        "rejoined": [
            "浦东生命科学产业发展有限公司副总经理刘刚说。",
            "2016年，在多个政府部门的合力推动下",
            "新能源汽车产业配套项目的成果。",
            "目前，小鹏汽车肇庆基地二期项目",
        ],
        "captions": [
            "图为张江科学城正序生物企业研发实验室。受访对象供图",
            "图为位于肇庆高新区的广东博俊汽车精密零部件项目建设现场。王振宇摄",
            "图为在福建三峡海上风电国际产业园东方电气风电(福建)有限公司的生产现场，"
            "工人在生产18兆瓦半直驱海上风电机组。新华社记者 姜克红摄",
        ],
        "ends_before_caption": "国产化制造能力的持续提升与创新突破。",
        "short_merged": ("肇庆高新区新能源汽车产业为何能做大做强？", "肇庆市出台了"),
    },
    "synthetic": {
        "titles": [
            ("开源指令集芯片", "滨江软件园：开源芯片设计从这里起步"),
            ("实训基地", "滨江软件园：开源芯片设计从这里起步"),
            ("统一算力调度平台", "临港数据港"),
            ("统一算力调度平台", "算力调度平台正式上线"),
        ],
        "article_titles": ["滨江软件园", "临港数据港"],
        "sections": [
            ("位居全省第一", ""),
            ("副院长周明介绍", "人才引育打开新局"),
            ("封测产能", "产线扩容提速"),
            ("低功耗物联网芯片", "产线扩容提速"),
            ("统一算力调度平台", ""),
        ],
        "not_text": ["林涛 本报记者 陈雪", "园区速递"],
        "rejoined": [
            "滨江集成电路研究院副院长周明介绍。",
            "每年输送设计人才四百余人。",
            "预计年底前将封测产能提高一倍，",
        ],
        "captions": [
            "图为滨江软件园芯片测试车间的工程师在调试样片。本报记者 陈雪摄",
            "图为滨江软件园无尘车间内，工人在检查晶圆。李华摄",
        ],
        "ends_before_caption": "成为国内同类产品中的佼佼者。",
        "short_merged": ("园区为何能留住工程师？", "“我们最缺的不是资金"),
    },
}


def text_document(source: str, doc_id: str = "page.txt") -> Document:
    return Document(doc_id, doc_id, Path(doc_id).stem, text_blocks(source))


def passages_of(source: str, **bounds: Any) -> list[Passage]:
    return split_passages([text_document(source)], **bounds)


def page_source(name: str) -> str:
    return SEED.read_text(encoding="utf-8-sig") if name == "seed" else SYNTHETIC_PAGE


def page_passages(name: str, **bounds: int) -> list[Passage]:
    if name == "seed":
        return split_passages(read_corpus(SEED.parent).documents, **bounds)
    return passages_of(SYNTHETIC_PAGE, **bounds)


def containing(passages: list[Passage], needle: str) -> list[Passage]:
    found = [p for p in passages if needle in p.text]
    assert found, f"no passage contains {needle!r}"
    return found


@pytest.fixture(params=sorted(PAGES), scope="module")
def page(request: pytest.FixtureRequest) -> tuple[list[Passage], dict]:
    return page_passages(request.param), PAGES[request.param]


# --- newspaper pages: structure -------------------------------------------------------------------


def test_article_titles_are_attached(page) -> None:
    passages, expect = page
    for needle, title in expect["titles"]:
        assert all(title in p.title for p in containing(passages, needle)), needle


def test_every_passage_belongs_to_one_of_the_page_articles(page) -> None:
    passages, expect = page
    titles = list(dict.fromkeys(p.title for p in passages))

    assert len(titles) == len(expect["article_titles"])
    for title, fragment in zip(titles, expect["article_titles"]):
        assert fragment in title


def test_section_headings_become_sections_not_passages(page) -> None:
    passages, expect = page
    for needle, section in expect["sections"]:
        assert {p.section for p in containing(passages, needle)} == {section}, needle
    for section in {s for _, s in expect["sections"] if s}:
        assert all(section not in p.text for p in passages), section


def test_bylines_and_column_labels_are_not_passage_text(page) -> None:
    passages, expect = page
    for needle in expect["not_text"]:
        assert all(needle not in p.text and needle not in p.title for p in passages), needle


def test_captions_are_their_own_passages(page) -> None:
    passages, expect = page

    assert [p.text for p in passages if p.kind == "caption"] == expect["captions"]
    assert all("图为" not in p.text for p in passages if p.kind == "body")


def test_paragraphs_broken_by_the_layout_are_rejoined(page) -> None:
    passages, expect = page
    for needle in expect["rejoined"]:
        assert len(containing(passages, needle)) == 1, needle
        assert containing(passages, needle)[0].kind == "body"


def test_a_caption_glued_to_a_paragraph_end_is_split_off(page) -> None:
    passages, expect = page

    (body,) = containing(passages, expect["ends_before_caption"])

    assert body.kind == "body"
    assert body.text.endswith(expect["ends_before_caption"])
    following = passages[passages.index(body) + 1]
    assert following.kind == "caption"
    assert following.title == body.title


def test_a_short_paragraph_travels_with_the_next_one(page) -> None:
    passages, expect = page
    question, answer = expect["short_merged"]

    (merged,) = containing(passages, question)

    assert merged.text.startswith(question)
    assert answer in merged.text


def test_a_caption_between_halves_of_a_sentence_is_not_glued_in() -> None:
    passages = page_passages("seed")

    (body,) = containing(passages, "2016年，在多个政府部门的合力推动下")

    assert "受访对象供图" not in body.text
    assert body.section == "先行先试激活源头创新"


# --- offsets --------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_chars", [400, 60])
@pytest.mark.parametrize("name", ["seed", "synthetic", "english"])
def test_passage_offsets_cover_the_passage_text(name: str, max_chars: int) -> None:
    if name == "english":
        source, passages = ENGLISH_PAGE, passages_of(ENGLISH_PAGE, max_chars=max_chars)
    else:
        source, passages = page_source(name), page_passages(name, max_chars=max_chars)

    assert passages
    for p in passages:
        raw = source[p.start : p.end]
        if "\n" in raw:
            assert covers(raw, p.text), p.id
        else:
            assert raw == p.text, p.id


def test_jsonl_passage_offsets_are_into_the_record_text(tmp_path: Path) -> None:
    text = "第一段很短。\n\n第二段是一段较长的正文，用来说明偏移量指向记录自己的文本，而不是整个文件。\n"
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"id": "r1", "title": "R", "text": "Other record."})
        + "\n"
        + json.dumps({"id": "r2", "title": "R2", "text": text}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )

    passages = [p for p in split_passages(read_corpus(tmp_path).documents, max_chars=30) if p.doc == "r2"]

    assert len(passages) > 1
    for p in passages:
        assert covers(text[p.start : p.end], p.text)


# --- plain English text ---------------------------------------------------------------------------


def test_english_page_structure() -> None:
    passages = passages_of(ENGLISH_PAGE)

    assert {p.title for p in passages} == {"Solar Farm Lights Up the Valley"}
    assert all("Jane Doe" not in p.text for p in passages)
    (first,) = containing(passages, "new solar farm")
    assert "officials said it will supply power" in first.text  # wrapped lines joined with a space
    assert "Its photovoltaic panels" in first.text  # a word hyphenated at the line end
    assert first.section == ""
    (leases,) = containing(passages, "lease payments")
    assert "the lease payments are steadier than wheat prices" in leases.text
    assert leases.section == "Growers Weigh the Leases"
    assert [p.text for p in passages if p.kind == "caption"] == [
        "Pictured: sheep graze between rows of panels at the new farm."
    ]
    (answer,) = containing(passages, "guaranteed income")
    assert answer.text.startswith("Why would a farmer sign up? The answer")


def test_markdown_heading_levels_give_title_and_section(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Install\n\nRun the installer and wait for it to finish before you continue.\n\n"
        "## Use\n\nOpen the app and type a question into the box at the top of the page.\n",
        encoding="utf-8",
    )

    passages = split_passages(read_corpus(tmp_path).documents)

    assert [(p.title, p.section) for p in passages] == [("Guide", "Install"), ("Guide", "Use")]


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        (
            "hours.jsonl",
            json.dumps({"id": "hours", "title": "Hours", "text": "Open 9 to 5 on weekdays"}),
            "Open 9 to 5",
        ),
        ("notice.txt", "会议改在周五下午三点举行\n", "会议改在周五下午三点举行"),
    ],
    ids=["jsonl-record", "chinese-txt"],
)
def test_a_one_line_document_still_has_a_passage(tmp_path: Path, name: str, content: str, text: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")

    passages = split_passages(read_corpus(tmp_path).documents)

    assert any(text in p.text for p in passages)


# --- bounds ---------------------------------------------------------------------------------------

ZH_LONG = (
    "园区今年新建了三座实验楼，总面积超过五万平方米。入驻企业增加到两百家！为什么增长这么快？"
    "一是政策稳定；二是配套完善，企业从注册到投产平均只需四个月。"
    "园区还设立了总规模十亿元的产业基金，重点投向集成电路、生物医药和人工智能。"
    "今年上半年，园区企业共申请发明专利一千二百余件，同比增长百分之三十五。"
    "下一步，园区将继续优化营商环境，吸引更多创新型企业落户。"
)
EN_LONG = (
    "The port handled 3.5 million containers last year, a record for the region. "
    "Its new terminal opened in March after four years of construction! "
    "Why did it take so long? Dredging the channel to 16.5 metres was harder than planned. "
    "Officials now expect traffic to grow by about a fifth over the next three years. "
    "A rail link to the inland depot is due to open before the end of the decade."
)


@pytest.mark.parametrize(("paragraph", "max_chars", "sep"), [(ZH_LONG, 60, ""), (EN_LONG, 120, " ")])
def test_long_paragraphs_are_cut_at_sentence_ends(paragraph: str, max_chars: int, sep: str) -> None:
    passages = passages_of(paragraph, max_chars=max_chars)

    assert len(passages) > 2
    assert all(len(p.text) <= max_chars for p in passages)
    assert all(p.text.rstrip(CLOSERS)[-1] in TERMINALS for p in passages)
    assert sep.join(p.text for p in passages) == paragraph


@pytest.mark.parametrize(
    ("sentence", "max_chars"),
    [
        ("没有标点的超长句子" * 20, 50),
        (" ".join(["nopunctuation"] * 30), 50),
        ("，".join(["园区企业数量持续增长"] * 12) + "。", 60),
    ],
)
def test_an_over_long_sentence_is_still_cut(sentence: str, max_chars: int) -> None:
    passages = passages_of(sentence, max_chars=max_chars)

    assert len(passages) > 1
    assert all(len(p.text) <= max_chars for p in passages)
    assert "".join(p.text for p in passages) == sentence


def test_an_over_long_sentence_is_cut_at_clause_marks_when_it_has_them() -> None:
    sentence = "，".join(["园区企业数量持续增长"] * 12) + "。"

    passages = passages_of(sentence, max_chars=60)

    assert all(p.text[-1] in "，。" for p in passages)


def test_small_bounds_on_the_seed_page() -> None:
    passages = page_passages("seed", max_chars=80)

    assert all(len(p.text) <= 80 for p in passages)
    assert {p.title for p in passages} == {p.title for p in page_passages("seed")}


def test_a_short_paragraph_is_merged_only_within_its_section() -> None:
    source = (
        "园区简报\n\n"
        "园区为何能留住人才？\n\n"
        "答案在于完善的配套：人才公寓、子女入学和医疗服务一应俱全，新入职工程师三个月内即可拿到住房补贴。\n\n"
        "这是本节的结尾。\n\n"
        "配套服务\n\n"
        "新建的人才公寓已交付使用，可容纳一千二百名青年工程师入住，租金约为市场价的六成。\n"
    )

    passages = passages_of(source, min_chars=40)

    assert [(p.section, p.text[:10]) for p in passages] == [
        ("", "园区为何能留住人才？"),
        ("", "这是本节的结尾。"),
        ("配套服务", "新建的人才公寓已交付"),
    ]
    assert "答案在于完善的配套" in passages[0].text


def test_a_short_paragraph_is_not_merged_past_max_chars() -> None:
    source = "为什么？\n\n" + "这一段本身就已经接近长度上限了，合并之后会超出。" * 2

    passages = passages_of(source, max_chars=50, min_chars=10)

    assert [p.text for p in passages] == ["为什么？", "这一段本身就已经接近长度上限了，合并之后会超出。" * 2]


# --- ids ------------------------------------------------------------------------------------------


def test_ids_are_document_and_position() -> None:
    passages = page_passages("seed")

    assert [p.id for p in passages] == [f"{SEED.name}#{n}" for n in range(len(passages))]
    assert all(p.doc == SEED.name and p.path == SEED.name for p in passages)


def test_ids_are_unique_and_stable_across_a_mixed_corpus(tmp_path: Path) -> None:
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "page.txt").write_text(SYNTHETIC_PAGE, encoding="utf-8")
    (tmp_path / "solar.txt").write_text(ENGLISH_PAGE, encoding="utf-8")
    (tmp_path / "faq.jsonl").write_text(
        json.dumps({"id": "q1", "title": "Q1", "text": "First answer, long enough to stand alone as a passage."})
        + "\n"
        + json.dumps({"id": "q2", "title": "Q2", "text": "Second answer, also long enough to stand alone."})
        + "\n",
        encoding="utf-8",
    )

    first = split_passages(read_corpus(tmp_path).documents, max_chars=80)
    second = split_passages(read_corpus(tmp_path).documents, max_chars=80)

    ids = [p.id for p in first]
    assert len(ids) == len(set(ids))
    assert [p.to_dict() for p in first] == [p.to_dict() for p in second]
    assert {"q1#0", "q2#0", "solar.txt#0", "news/page.txt#0"} <= set(ids)


def test_ids_stay_unique_when_two_jsonl_files_reuse_record_ids(tmp_path: Path) -> None:
    for name, text in [
        ("a.jsonl", "Apples grow in the northern orchards."),
        ("b.jsonl", "Bananas ship from the southern ports."),
    ]:
        (tmp_path / name).write_text(json.dumps({"id": "1", "title": name, "text": text}) + "\n", encoding="utf-8")

    ids = [p.id for p in split_passages(read_corpus(tmp_path).documents)]

    assert len(ids) == 2
    assert len(set(ids)) == 2


def test_a_passage_round_trips_through_a_dict() -> None:
    passage = page_passages("synthetic")[0]

    assert Passage.from_dict(json.loads(json.dumps(passage.to_dict()))) == passage
    assert passage.embedding_text().startswith(passage.title + "\n")


# --- text primitives ------------------------------------------------------------------------------


# --- the embedding model's token limit ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docx", "pptx", "xlsx", "csv", "pdf"])
def test_short_lines_of_a_format_that_marks_its_headings_stay_in_the_passages(kind: str) -> None:
    # Plain text guesses headlines from short unpunctuated lines; a Word list item (核电厂设计（SF1）)
    # or a slide bullet is no headline when the format marks its headings itself.
    texts = ["安全要素", "核电厂设计（SF1）", "厂址评价（SF2）", "分为15个部分："]
    blocks, pos = [], 0
    for n, text in enumerate(texts):
        blocks.append(Block(text, pos, pos + len(text), heading=2 if n == 0 else 0, page=1))
        pos += len(text) + 2
    passages = split_passages([Document("d", "d." + kind, "标题", blocks, kind=kind)])
    joined = "".join(p.text for p in passages)
    assert all(text in joined for text in texts[1:]) and passages[0].section == "安全要素"
    assert {p.page for p in passages} == {1}
