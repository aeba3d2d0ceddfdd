"""The admin page's shell (web.admin): served while keys close the chat page, says whether to ask for a key,
and passes on only a collection name it may use. Its behaviour is tested in Chromium
(tests/system/test_admin_page.py); no model or index is needed here."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from web import access, admin, chat, errors


def _client(keys: tuple[str, ...]):
    app = Flask("web")
    app.config.update({"RAGQA_API_KEYS": keys, "RAGQA_OPEN_PAGE": False, "MAX_CONTENT_LENGTH": 16 * 1024})
    errors.init_app(app)
    access.init_app(app)
    app.register_blueprint(chat.bp)
    app.register_blueprint(admin.bp)
    return app.test_client()


def _data(html: str, name: str) -> str:
    found = re.search(rf'data-{name}="([^"]*)"', html)
    assert found, name
    return found.group(1)


@pytest.mark.parametrize("keys,keyed", [((), ""), (("k write a",), "1")])
def test_the_shell_is_served_and_says_whether_to_ask_for_a_key(keys: tuple[str, ...], keyed: str) -> None:
    response = _client(keys).get("/admin?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert _data(html, "keyed") == keyed
    assert "data-page-token" not in html  # the admin page acts with the key it is given, nothing else
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/admin.js" defer>']  # no inline script


@pytest.mark.parametrize("asked,passed", [("notes", "notes"), ("../etc", ""), ('a"><b', ""), ("", "")])
def test_only_a_collection_name_is_passed_to_the_script(asked: str, passed: str) -> None:
    html = _client(()).get("/admin", query_string={"collection": asked}).get_data(as_text=True)
    assert _data(html, "collection") == passed


def test_the_page_speaks_the_browsers_language() -> None:
    client = _client(())
    zh = client.get("/admin", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert admin.TEXT["zh"]["title"] in zh and _data(zh, "lang") == "zh"
    assert set(admin.TEXT["zh"]) == set(admin.TEXT["en"])
