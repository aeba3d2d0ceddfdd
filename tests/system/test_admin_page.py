"""The admin page and the chat page's collection picker in a real browser (Debian's Chromium driven by
Playwright) against the real server (`ragqa serve`), with keys per collection.

Locally the tests skip when Chromium or Playwright is missing; under CI (CI=true) they fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.test_browser import CONTRAST_JS, OUTPUT, RAGQA
from web.server_process import running_server

ADMIN_KEY, READER_KEY = "admin-key-1", "reader-key-1"
# A fact no document of the default collection holds: only the uploaded file can answer it.
NOTE = (
    "Harbour log of Quillon Island\n\n"
    "The lighthouse keeper of Quillon Island repainted the lighthouse in 1987. "
    "The lighthouse on Quillon Island was painted green. "
    "Supplies reach the island by ferry twice a week from the mainland port of Arvel.\n"
)
QUESTION = "What colour was the lighthouse on Quillon Island painted?"
FERRY = "Ferry timetable of Arvel\n\nThe ferry from Arvel to Quillon Island leaves at seven in the morning.\n"
# What a file dropped on the page fires (a test cannot drag a file from the desktop): the same events,
# carrying a DataTransfer with the file, on the drop zone.
DROP_JS = """([name, text]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, { type: "application/octet-stream" }));
  const zone = document.getElementById("drop");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
  }
}"""
READY_MS = 180_000  # the first upload waits for the collection's writer to load the model and index


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete …?"
    yield page
    context.close()


@pytest.fixture(scope="module")
def keyed_server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with a write key on everything, a read key on collection `notes`, and its page open
    to all for the default collection and `notes`."""
    tmp = tmp_path_factory.mktemp("admin-page")
    keys = tmp / "keys"
    keys.write_text(f"{ADMIN_KEY} write *\n{READER_KEY} read notes\n", encoding="utf-8")
    env = {
        "RAGQA_FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
        "RAGQA_DATA": str(tmp / "collections"),
        "RAGQA_API_KEYS_FILE": str(keys),
        "RAGQA_OPEN_PAGE": "1",
        "RAGQA_PAGE_COLLECTIONS": "notes",
    }
    with running_server(index_dir, tmp / "server.log", "--workers", "1", launcher=[RAGQA], env=env) as base:
        yield base


def _use_key(page, key: str) -> None:
    page.locator("#key-form").wait_for()
    page.fill("#key", key)
    page.click("#key-form button[type=submit]")


def _problem(page) -> str:
    page.locator("#problem:not([hidden])").wait_for()
    return page.inner_text("#problem")


def test_a_collection_is_created_filled_asked_and_emptied_in_the_browser(page, keyed_server: str, tmp_path) -> None:
    note = tmp_path / "quillon.txt"
    note.write_text(NOTE, encoding="utf-8")
    response = page.goto(keyed_server + "/admin?lang=en")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    # Keys set: the page asks for one, and says when the key is wrong.
    _use_key(page, "not-a-key")
    assert "valid API key" in _problem(page)
    _use_key(page, ADMIN_KEY)
    page.locator("#collections tr[data-name=default]").wait_for()
    assert "read-only" in page.inner_text("#collections tr[data-name=default]")

    # API errors read as messages: a bad name, then (below) a name taken.
    page.fill("#new-name", "Not A Name")
    page.click("#create-form button[type=submit]")
    assert "Not A Name" in _problem(page) or "name" in _problem(page)
    page.fill("#new-name", "notes")
    page.click("#create-form button[type=submit]")
    page.locator("#collection-title", has_text="notes").wait_for()
    assert page.locator("#collections tr.selected[data-name=notes]").count() == 1
    page.fill("#new-name", "notes")
    page.click("#create-form button[type=submit]")
    assert "notes" in _problem(page)

    # Upload through the file picker, with metadata; the row goes to ready and shows the metadata.
    page.fill("#metadata", '{"team": "harbour"}')
    page.set_input_files("#file-input", str(note))
    row = page.locator("#documents tbody tr", has_text="quillon.txt")
    row.wait_for()
    page.locator("#documents tr[data-status=ready]").wait_for(timeout=READY_MS)
    assert "ready" in row.inner_text() and "harbour" in row.locator(".metadata").inner_text()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "admin-ready.png"), full_page=True)
    assert page.evaluate(CONTRAST_JS) == []  # WCAG AA, as the chat page

    # Dropped files: one the indexer reads is queued and indexed, one it does not read is refused by name.
    page.evaluate(DROP_JS, ["ferry.txt", FERRY])
    page.locator("#documents tr[data-status=ready]", has_text="ferry.txt").wait_for(timeout=READY_MS)
    page.evaluate(DROP_JS, ["tool.exe", "MZ binary"])
    assert "tool.exe" in _problem(page)
    assert page.locator("#documents tbody tr").count() == 2

    # The chat page (open, with its page token) offers the new collection and asks it.
    page.click("#to-chat")
    page.locator("#collection-picker:not([hidden])").wait_for()
    assert page.locator("#collection option").all_inner_texts() == ["default", "notes"]
    assert page.input_value("#collection") == "notes"
    page.fill("#question", QUESTION)
    page.keyboard.press("Enter")
    page.locator(".turn .reply, .turn .error").first.wait_for(timeout=90_000)
    assert "green" in page.inner_text(".answer-text")
    assert "quillon.txt" in page.inner_text(".answer-cite")

    # A read key sees the collection but may not change it; the refusal is a readable message.
    page.goto(keyed_server + "/admin?lang=en&collection=notes")
    page.locator("#documents tr[data-status=ready]").first.wait_for()
    page.click("#forget-key")
    _use_key(page, READER_KEY)
    page.locator("#documents tr[data-status=ready]").first.wait_for()
    assert page.locator("#collections tbody tr").count() == 1  # the default collection is not this key's
    page.set_input_files("#file-input", str(note))
    assert "may not" in _problem(page)

    # The write key deletes the document; the collection is empty again.
    page.click("#forget-key")
    _use_key(page, ADMIN_KEY)
    for name in ("quillon.txt", "ferry.txt"):
        page.locator("#documents tr", has_text=name).locator("button.delete").click()
    page.locator("#no-documents:not([hidden])").wait_for(timeout=READY_MS)
    assert page.locator("#documents tbody tr").count() == 0
    # A CSP violation would show up here; the refusals above are logged by the browser as failed loads.
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []
