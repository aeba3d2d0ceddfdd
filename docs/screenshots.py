"""Take the README's screenshots of the chat page answering a question about the shipped corpus.

Run against a server over the default index (`make run`, or `ragqa serve`):
    python docs/screenshots.py http://127.0.0.1:8000
It drives Debian's Chromium through Playwright, as tests/system/test_browser.py does, and writes
docs/chat-desktop.png and docs/chat-mobile.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
QUESTION = "福建三峡海上风电国际产业园占地多少亩？"
SIZES = {"desktop": {"width": 1280, "height": 960}, "mobile": {"width": 390, "height": 844}}


def shoot(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for name, viewport in SIZES.items():
            context = browser.new_context(
                viewport=viewport, locale="zh-CN", device_scale_factor=2 if name == "mobile" else 1
            )
            page = context.new_page()
            page.goto(base + "/")
            page.fill("#question", QUESTION)
            page.keyboard.press("Enter")
            page.locator(".turn .reply").wait_for(timeout=120_000)
            page.locator("button.fb-up").click()
            page.locator(".fb-status:not(:empty)").wait_for()
            # Desktop shows the whole page from its header; the phone shows the answer.
            top = "0" if name == "desktop" else "document.querySelector('.turn').offsetTop - 8"
            page.evaluate(f"window.scrollTo(0, {top})")
            page.screenshot(path=str(HERE / f"chat-{name}.png"))
            context.close()
        browser.close()


if __name__ == "__main__":
    shoot(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
