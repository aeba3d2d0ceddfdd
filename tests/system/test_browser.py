"""The chat page in a real browser (Debian's Chromium driven by Playwright) against the real server.

Locally the tests skip when Chromium or Playwright is missing; under CI (CI=true) they fail
instead, so they can never silently stop running there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT
from web.server_process import running_server

OUTPUT = ROOT / "test-output" / "browser"
ANSWERED = "福建三峡海上风电国际产业园占地多少亩？"
ZHENGZHOU = "郑州高新区第一批复审通过的链主企业有多少家？"
INVESTMENT = "福建三峡海上风电国际产业园的总投资是多少钱？"
RAGQA = shutil.which("ragqa", path=str(Path(sys.executable).parent)) or "ragqa"

# WCAG 2 contrast of every visible element that holds text, against the first opaque background
# behind it; returns the pairs under AA (4.5:1, or 3:1 for large text).
CONTRAST_JS = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                       return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
                               const c = rgb(getComputedStyle(e).backgroundColor);
                               if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const box = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (!box.width || !box.height || s.visibility === "hidden" || box.right < 0) continue;
    const a = lum(rgb(s.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize), large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""


@pytest.fixture()
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    yield page
    context.close()


def _ask(page, question: str, turns: int = 1) -> None:
    page.fill("#question", question)
    page.keyboard.press("Enter")
    page.locator(".turn .reply, .turn .error").nth(turns - 1).wait_for(timeout=90_000)


def _export(db: Path, out: Path) -> dict:
    # The corrections here were typed by these tests, so they are trusted as gold (by default they
    # are exported apart, unreviewed).
    command = [RAGQA, "feedback", "export", "--db", str(db), "--out", str(out), "--trust-corrections"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def _labels(squad: dict) -> dict[str, list[str]]:
    return {
        qa["question"]: [a["text"] for a in qa["answers"]]
        for article in squad["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }


def test_ask_and_see_the_highlighted_answer(page, server: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    response = page.goto(server + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    _ask(page, ANSWERED)
    assert page.inner_text(".answer-text") == "1000亩"
    # The layers: the answer inside its (softly marked) sentence, question terms underlined.
    assert page.inner_text(".answer-context mark.hl-answer") == "1000亩"
    assert "占地1000亩" in "".join(page.locator(".answer-context .hl-sentence").all_text_contents())
    assert page.locator(".answer-context mark.hl-answer.hl-sentence").count() == 1
    assert "福建三峡海上风电国际产业园" in page.locator(".answer-context .hl-term").all_inner_texts()
    assert page.locator(".legend mark.hl-answer").is_visible()
    assert "置信度" in page.inner_text(".confidence")
    cite = page.locator(".answer-cite a[href^='#']")
    assert cite.inner_text().startswith("[1] ")
    # What the page shows is exactly what the API returned, character for character.
    api = page.request.post(server + "/api/ask", data={"question": ANSWERED}).json()
    assert page.locator(".ptext").all_text_contents() == [p["text"] for p in api["passages"]]
    page.click(".copy")
    assert page.evaluate("navigator.clipboard.readText()") == "1000亩"
    assert page.inner_text(".copy") == "已复制"
    page.screenshot(path=str(OUTPUT / "answer-desktop.png"))
    assert page.console_errors == []  # a CSP violation would show up here


def test_highlights_count_code_points(page, server: str) -> None:
    """Offsets are code points: an emoji (two UTF-16 units) before full-width text must not shift the marks."""
    text = "😀 ＡＩ新药１２３号 costs 4400平方千米 in 2021. Next sentence."
    answer, term, sentence = "4400平方千米", "ＡＩ新药", "😀 ＡＩ新药１２３号 costs 4400平方千米 in 2021."
    span = lambda s, kind: {"start": text.index(s), "end": text.index(s) + len(s), "kind": kind}  # noqa: E731 (Python str offsets are code points)
    result = {
        "question": "q",
        "took_ms": 1,
        "answer": {
            "text": answer,
            "passage_id": "d#0",
            "start": text.index(answer),
            "end": text.index(answer) + len(answer),
            "score": 0.7,
        },
        "passages": [
            {
                "id": "d#0",
                "doc": "d",
                "title": "t",
                "section": "",
                "kind": "body",
                "source": {"path": "d.txt", "start": 0, "end": len(text)},
                "text": text,
                "score": 1.0,
                "highlights": [span(answer, "answer"), span(sentence, "sentence"), span(term, "term")],
            }
        ],
    }
    page.goto(server + "/?lang=en")
    page.evaluate("h => sessionStorage.setItem('ragqa.history', JSON.stringify([{result: h}]))", result)
    page.reload()
    assert page.inner_text(".answer-context mark.hl-answer") == answer
    assert page.inner_text(".answer-context .hl-term") == term
    assert "".join(page.locator(".answer-context .hl-sentence").all_text_contents()) == sentence
    assert page.locator(".answer-context").text_content() == text
    assert "medium confidence" in page.inner_text(".confidence")


def test_unanswerable_and_history_survives_reload(page, server: str) -> None:
    page.goto(server + "/")
    page.fill("#question", "量子计算机的工作原理是什么？")
    page.click("#ask-button")
    page.wait_for_selector(".no-answer", timeout=90_000)
    assert page.locator(".passage").count() == 5
    assert page.locator(".passage details[open]").count() == 1  # the closest passage is offered open
    page.reload()
    page.wait_for_selector(".no-answer")
    assert page.locator(".turn").count() == 1
    page.click("#clear")
    assert page.locator(".turn").count() == 0


def test_shift_enter_adds_a_line_and_errors_are_readable(page, server: str) -> None:
    page.goto(server + "/?lang=en")
    page.fill("#question", "a")
    page.keyboard.press("Shift+Enter")
    assert page.input_value("#question") == "a\n"
    page.evaluate("document.getElementById('question').removeAttribute('maxlength')")
    page.fill("#question", "问" * 600)
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn .error", timeout=90_000)
    assert "512" in page.inner_text(".turn .error")


def test_busy_state_while_asking(page, server: str) -> None:
    # The answer is held back until the busy state is checked: the server now answers in about
    # 100 ms, which raced these assertions (CI saw the button enabled again).
    held = []
    page.route("**/api/ask", lambda route: held.append(route))
    page.goto(server + "/?lang=en")
    page.fill("#question", ANSWERED)
    page.keyboard.press("Enter")
    # The question shows at once, with a busy line, and the button waits for the answer.
    assert page.locator(".turn.pending .thinking").inner_text() == "Looking for the answer…"
    assert page.locator("#ask-button").is_disabled()
    page.wait_for_timeout(200)
    assert page.locator("#ask-button").is_disabled() and len(held) == 1
    held[0].continue_()
    page.wait_for_selector(".answer-text", timeout=90_000)
    assert page.locator(".turn.pending").count() == 0 and page.locator("#ask-button").is_enabled()


def test_feedback_reaches_the_export_and_eval(
    page, server: str, server_feedback_db: Path, index_dir: Path, tmp_path: Path
) -> None:
    page.goto(server + "/?lang=en")
    _ask(page, ANSWERED)
    up = page.locator(".turn").last.locator("button.fb-up")
    up.focus()
    page.keyboard.press("Enter")  # keyboard only
    page.locator(".turn").last.locator(".fb-status:not(:empty)").wait_for()
    assert up.get_attribute("aria-pressed") == "true" and "saved" in page.locator(".fb-status").last.inner_text()
    _ask(page, ZHENGZHOU, turns=2)
    turn = page.locator(".turn").last
    turn.locator(".fb-more summary").click()
    turn.get_by_label("Correct answer (optional)").fill("19家")
    turn.locator("button.fb-send").click()
    turn.locator(".fb-status:not(:empty)").wait_for()
    page.reload()  # the verdict is part of the session history
    assert page.locator(".turn").first.locator("button.fb-up").get_attribute("aria-pressed") == "true"
    out = tmp_path / "feedback.json"
    squad = _export(server_feedback_db, out)
    labels = _labels(squad)
    assert labels[ANSWERED] == ["1000亩"] and labels[ZHENGZHOU] == ["19家"]
    report = tmp_path / "report.json"
    done = subprocess.run(
        [RAGQA, "eval", str(out), "--index", str(index_dir), "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    exported = sum(len(paragraph["qas"]) for article in squad["data"] for paragraph in article["paragraphs"])
    assert json.loads(report.read_text(encoding="utf-8"))["overall"]["questions"] == exported >= 2


def test_malicious_passage_renders_as_text(page, server: str) -> None:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/?lang=en")
    page.fill("#question", "img src onerror attacker markup page")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn .passage", timeout=90_000)
    holder = page.locator(".passage", has_text="<img src=x onerror=alert(1)>").first
    if holder.locator("details").get_attribute("open") is None:  # "" when open
        holder.locator("summary").click()
    assert "<img src=x onerror=alert(1)>" in holder.inner_text()
    assert page.locator("#conversation img").count() == 0 and dialogs == []
    # The same passage in its document context is text as well.
    holder.locator("a.in-context").click()
    page.wait_for_selector("#cited")
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#cited")
    assert page.locator("img").count() == 0 and dialogs == []


def test_works_without_javascript(browser, server: str, server_feedback_db: Path, tmp_path: Path) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(server + "/")
    assert page.inner_text("#ask-button") == "Ask"  # the browser's language
    page.fill("#question", INVESTMENT)
    page.click("#ask-button")
    page.wait_for_selector(".answer-text", timeout=90_000)
    assert page.inner_text(".answer-text") == "40亿元"
    assert page.locator(".answer-context mark.hl-answer").inner_text() == "40亿元"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "answer-mobile-nojs.png"))
    page.locator(".fb-more summary").click()
    page.fill("input[name=correction]", "四十亿元")
    page.click("button.fb-send")
    page.wait_for_selector(".notice", timeout=90_000)
    assert "feedback was saved" in page.inner_text(".notice") and page.inner_text(".answer-text") == "40亿元"
    context.close()
    assert _labels(_export(server_feedback_db, tmp_path / "nojs.json"))[INVESTMENT] == ["四十亿元"]


@pytest.mark.parametrize("width,height,name", [(1280, 900, "desktop"), (390, 844, "mobile")])
def test_layout_fits_and_text_has_aa_contrast(browser, server: str, width: int, height: int, name: str) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.goto(server + "/")
    _ask(page, ANSWERED)
    page.locator(".passage summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    assert page.locator("#question").is_visible() and page.locator("#ask-button").is_visible()
    assert page.evaluate(CONTRAST_JS) == []
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"chat-{name}.png"))
    context.close()


@pytest.fixture(scope="module")
def keyed_open_page(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of private documents with its page open to all: API keys set and RAGQA_OPEN_PAGE=1."""
    tmp = tmp_path_factory.mktemp("keyed-open-page")
    env = {"RAGQA_FEEDBACK_DB": str(tmp / "feedback.sqlite3"), "RAGQA_API_KEYS": "k1", "RAGQA_OPEN_PAGE": "1"}
    with running_server(index_dir, tmp / "server.log", "--workers", "1", launcher=[RAGQA], env=env) as base:
        yield base


def test_the_open_page_asks_and_rates_through_the_keyed_api(page, keyed_open_page: str) -> None:
    """The page's script calls the API with the page's token; a client that only says same-origin gets 401."""
    page.goto(keyed_open_page + "/?lang=en")
    _ask(page, ANSWERED)
    assert page.inner_text(".answer-text") == "1000亩"
    turn = page.locator(".turn").last
    turn.locator("button.fb-up").click()
    turn.locator(".fb-status:not(:empty)").wait_for()
    assert "saved" in turn.locator(".fb-status").inner_text() and "error" not in (
        turn.locator(".fb-status").get_attribute("class") or ""
    )
    outside = page.request.post(
        keyed_open_page + "/api/ask", data={"question": ANSWERED}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert outside.status == 401
    assert page.console_errors == []


SHARED_PDF = ROOT.parent / "shared" / "documents" / "en_federal_register_2020-17221.pdf"
PDF_QUESTION = "How many airplanes of U.S. registry does the FAA estimate the proposed AD would affect?"


@pytest.fixture(scope="module")
def pdf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a real PDF (a Federal Register notice of 20 pages, from the shared documents)."""
    if not SHARED_PDF.is_file():
        pytest.skip(f"{SHARED_PDF} is not here (the shared test documents)")
    tmp = tmp_path_factory.mktemp("pdf-server")
    (tmp / "corpus").mkdir()
    shutil.copyfile(SHARED_PDF, tmp / "corpus" / SHARED_PDF.name)
    built = subprocess.run(
        [RAGQA, "index", "--corpus", str(tmp / "corpus"), "--index", str(tmp / "index")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    env = {"RAGQA_FEEDBACK_DB": str(tmp / "feedback.sqlite3")}
    with running_server(tmp / "index", tmp / "server.log", "--workers", "1", launcher=[RAGQA], env=env) as base:
        yield base


def test_show_in_document_draws_the_pdf_page_with_the_answer_boxed(page, pdf_server: str) -> None:
    page.set_viewport_size({"width": 1100, "height": 1000})
    page.goto(pdf_server + "/?lang=en")
    _ask(page, PDF_QUESTION)
    api = page.request.post(pdf_server + "/api/ask", data={"question": PDF_QUESTION}).json()
    answer = api["answer"]
    assert answer and answer["page"] and answer["boxes"], api
    assert page.inner_text(".answer-cite .page") == f"page {answer['page']}"
    with page.expect_response(lambda r: "/context/page?" in r.url) as drawn:
        page.click(".answer-cite a.in-context")
    assert drawn.value.status == 200 and drawn.value.headers["content-type"] == "image/png"
    svg, boxed = page.locator(".page-view svg"), page.locator(".page-view rect.answer-box")
    boxed.first.wait_for()
    assert boxed.count() == len(answer["boxes"])
    # The box sits where the answer is printed: inside the drawn page, at its place in points, on ink.
    frame, box = svg.bounding_box(), boxed.first.bounding_box()
    assert frame and box
    x0, top, x1, _ = answer["boxes"][0]
    border, pad, stroke = 1, 1, 1.6 / 2  # the picture's frame (px), the box's margin and half its stroke (points)
    scale = (frame["width"] - 2 * border) / 612  # a US Letter page, 612 points wide
    assert box["x"] - frame["x"] - border == pytest.approx((x0 - pad - stroke) * scale, abs=1)
    assert box["y"] - frame["y"] - border == pytest.approx((top - pad - stroke) * scale, abs=1)
    assert box["width"] == pytest.approx((x1 - x0 + 2 * (pad + stroke)) * scale, abs=1)
    page.evaluate("document.querySelector('.page-view').scrollIntoView()")
    page.evaluate(f"window.scrollBy(0, {box['y'] - frame['y']} - 300)")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "show-in-document.png"
    page.screenshot(path=str(shot))
    from PIL import Image

    inked = page.screenshot(clip=boxed.first.bounding_box())
    import io

    with Image.open(io.BytesIO(inked)) as image:
        assert min(image.convert("L").getdata()) < 110  # the answer's digits under the box, not blank paper
    assert page.inner_text(".page-view figcaption mark") == answer["text"]
    assert page.console_errors == []  # the page, its picture and its boxes within the CSP


def test_a_follow_up_leans_on_the_turn_before_and_passages_come_first(page, server: str) -> None:
    page.goto(server + "/")
    page.evaluate("sessionStorage.clear()")
    page.goto(server + "/")
    # Record whether the passages were shown before the answer (the streamed `passages` event).
    page.evaluate(
        """() => { window.sawPassagesFirst = false;
        new MutationObserver(() => { if (document.querySelector('.pending .early-passages .passage'))
          window.sawPassagesFirst = true; }).observe(document.body, {childList: true, subtree: true}); }"""
    )
    _ask(page, ANSWERED)
    assert page.evaluate("window.sawPassagesFirst")
    _ask(page, "总投资呢？", turns=2)
    last = page.locator(".turn").last
    assert last.locator(".answer-text").inner_text() == "40亿元"
    assert "福建三峡海上风电国际产业园" in last.locator(".read-as").inner_text()
    assert page.console_errors == []  # type: ignore[attr-defined]
