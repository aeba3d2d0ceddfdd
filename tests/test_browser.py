"""The chat page in a real browser (Debian's Chromium driven by Playwright) against the real server.

Locally the tests skip when Chromium or Playwright is missing; under CI (CI=true) they fail
instead, so they can never silently stop running there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "browser"


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it with apt-get install chromium")
        pytest.skip("chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    yield page
    context.close()


def test_ask_and_see_the_highlighted_answer(page, server: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.goto(server + "/")
    page.fill("#question", "福建三峡海上风电国际产业园占地多少亩？")
    page.keyboard.press("Enter")
    page.wait_for_selector(".answer-text", timeout=60_000)
    assert page.inner_text(".answer-text") == "1000亩"
    assert page.inner_text(".answer-context mark.hl-answer") == "1000亩"
    page.screenshot(path=str(OUTPUT / "answer-desktop.png"))
    assert page.console_errors == []


def test_unanswerable_and_history_survives_reload(page, server: str) -> None:
    page.goto(server + "/")
    page.fill("#question", "量子计算机的工作原理是什么？")
    page.click("#ask-button")
    page.wait_for_selector(".no-answer", timeout=60_000)
    assert page.locator(".passage").count() == 5
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
    page.fill("#question", "x" * 400 + "?")
    page.evaluate("document.getElementById('question').removeAttribute('maxlength')")
    page.fill("#question", "问" * 600)
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn .error", timeout=60_000)
    assert "512" in page.inner_text(".turn .error")


def test_malicious_passage_renders_as_text(page, server: str) -> None:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/?lang=en")
    page.fill("#question", "img src onerror attacker markup page")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn .passage", timeout=60_000)
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#conversation")
    assert page.locator("#conversation img").count() == 0 and dialogs == []


def test_works_without_javascript(browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(server + "/")
    page.fill("#question", "郑州高新区第一批复审通过的链主企业有多少家？")
    page.click("#ask-button")
    page.wait_for_selector(".answer-text", timeout=60_000)
    assert page.inner_text(".answer-text") == "19家"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "answer-mobile-nojs.png"))
    context.close()
