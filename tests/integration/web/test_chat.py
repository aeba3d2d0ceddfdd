"""The chat page: server-rendered answers without JavaScript, escaping, languages."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

ALLOWED_TAGS = {"mark", "span"}


def _passage_markup(html: str) -> list[str]:
    return re.findall(r'<p class="(?:ptext|answer-context)">(.*?)</p>', html, flags=re.S)


def test_empty_page_has_a_form(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<form id="ask-form"' in html and 'name="question"' in html and 'method="post"' in html
    assert "/static/chat.js" in html


@pytest.mark.parametrize("lang,expected", [("zh-CN,zh;q=0.9", "提问"), ("en-US,en;q=0.8", "Ask"), ("fr-FR", "Ask")])
def test_ui_language_follows_the_browser(client, lang: str, expected: str) -> None:
    html = client.get("/", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert f">{expected}</button>" in html


def test_lang_parameter_overrides_the_browser(client) -> None:
    html = client.get("/?lang=zh", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">提问</button>" in html and 'lang="zh-CN"' in html


def test_form_post_renders_the_answer_without_javascript(client) -> None:
    html = client.post("/", data={"question": "福建三峡海上风电国际产业园占地多少亩？"}).get_data(as_text=True)
    assert '<p class="answer-text">1000亩</p>' in html
    assert '<mark class="hl-answer hl-sentence">1000亩</mark>' in html


def test_get_with_q_is_a_linkable_answer(client) -> None:
    response = client.get("/?q=" + quote("福建三峡海上风电国际产业园占地多少亩？"))
    assert response.status_code == 200
    assert '<p class="answer-text">1000亩</p>' in response.get_data(as_text=True)


def test_unanswerable_says_so_and_still_offers_passages(client) -> None:
    html = client.get("/?lang=en&q=" + quote("量子计算机的工作原理是什么？")).get_data(as_text=True)
    assert "No answer found" in html and "answer-text" not in html
    assert html.count('class="passage"') == 5


def test_empty_question_on_the_page_is_a_readable_message(client) -> None:
    response = client.post("/?lang=zh", data={"question": "   "})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "问题为空" in html and "Traceback" not in html


def test_questions_are_escaped(client) -> None:
    html = client.get("/?q=" + quote("<script>alert(1)</script>")).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_corpus_markup_renders_as_text(client) -> None:
    html = client.get("/?q=" + quote("img src onerror attacker markup page")).get_data(as_text=True)
    assert "<img" not in html
    text = re.sub(r"</?(span|mark)\b[^>]*>", "", html)  # the highlights split it; escaped it must be
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_only_highlight_tags_inside_passages(client) -> None:
    html = client.get("/?q=" + quote("吡咯替尼是哪家公司的产品？")).get_data(as_text=True)
    blocks = _passage_markup(html)
    assert blocks
    for block in blocks:
        assert {t.lower() for t in re.findall(r"</?([a-zA-Z]+)", block)} <= ALLOWED_TAGS


def test_highlighted_text_equals_the_passage(client, pipeline) -> None:
    """Stripping the highlight tags gives back exactly the passage text (nothing lost or added)."""
    from html import unescape

    data = client.post("/api/ask", json={"question": "吡咯替尼是哪家公司的产品？"}).get_json()
    html = client.get("/?q=" + quote("吡咯替尼是哪家公司的产品？")).get_data(as_text=True)
    rendered = [
        unescape(re.sub(r"</?(mark|span)[^>]*>", "", b))
        for b in re.findall(r'<p class="ptext">(.*?)</p>', html, flags=re.S)
    ]
    assert rendered == [p["text"] for p in data["passages"]]


def test_every_ui_string_renders_as_text(client) -> None:
    """UI keys must not collide with dict methods (t.clear would render a bound method)."""
    for lang in ("zh", "en"):
        html = client.get(f"/?lang={lang}").get_data(as_text=True)
        assert "built-in method" not in html and "&lt;built-in" not in html


def test_answer_comes_with_feedback_form_citation_and_context_links(client) -> None:
    html = client.get("/?lang=en&q=" + quote("福建三峡海上风电国际产业园占地多少亩？")).get_data(as_text=True)
    form = re.search(r'<form class="feedback" method="post" action="/feedback"(.*?)</form>', html, flags=re.S)
    assert form, "no feedback form under the answer"
    assert form.group(1).count('name="passages"') == 5
    assert 'name="answer" value="1000亩"' in form.group(1)
    assert 'name="rating" value="up"' in form.group(1) and 'name="rating" value="down"' in form.group(1)
    assert re.search(r'<footer class="answer-cite">from <a href="#answer-p(\d)">\[\1\] ', html)
    # One under each passage, one under the answer's quote with the answer's offsets in its passage.
    assert html.count('class="in-context" href="/context?passage=') == 6
    quoted = r'class="answer-cite">.*class="in-context" href="/context\?passage=[^"]*&amp;start=\d+&amp;end=\d+#cited"'
    assert re.search(quoted, html)
    assert "high confidence" in html or "medium confidence" in html or "low confidence" in html


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("😀 ＡＩ新药１２３号", 2, 6),  # after an astral character: code points, not UTF-16 units
        ("Cerro Dominador 252 metres", 16, 19),
        ("占地1000亩，", 2, 7),
    ],
)
def test_server_highlights_index_code_points(text: str, start: int, end: int) -> None:
    from web.render import highlight_html

    html = str(highlight_html(text, [{"start": start, "end": end, "kind": "answer"}]))
    assert f'<mark class="hl-answer">{text[start:end]}</mark>' in html


@pytest.mark.parametrize("score,level", [(0.95, "high"), (0.8, "high"), (0.7, "medium"), (0.45, "low")])
def test_confidence_bands(score: float, level: str) -> None:
    from web.render import confidence_level

    assert confidence_level(score) == level
