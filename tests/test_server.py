"""`ragqa serve` as a real process (gunicorn, model loaded after fork), asked over real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, body: bytes | None = None, content_type: str = "application/json") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def server(index_dir: Path):
    port = _free_port()
    ragqa = shutil.which("ragqa", path=str(Path(sys.executable).parent)) or "ragqa"
    proc = subprocess.Popen(
        [ragqa, "serve", "--index", str(index_dir), "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {proc.stdout.read().decode(errors='replace')}")
        try:
            status, _ = _request(base + "/readyz")
            if status == 200:
                break
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            pass
        time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("server did not become ready in 180 s")
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def test_real_server_answers_over_http(server: str) -> None:
    status, data = _request(server + "/api/ask", json.dumps({"question": "福建三峡海上风电国际产业园占地多少亩？"}).encode())
    assert status == 200 and data["answer"]["text"] == "1000亩"
    # Both workers answer (several requests spread over them) and the model works after fork.
    for question in ["郑州高新区第一批复审通过的链主企业有多少家？"] * 4:
        status, data = _request(server + "/api/ask", json.dumps({"question": question, "top_k": 2}).encode())
        assert status == 200 and data["answer"]["text"] == "19家"


def test_real_server_errors_are_json(server: str) -> None:
    assert _request(server + "/api/ask", b'{"question": ""}')[0] == 400
    status, data = _request(server + "/api/ask", b"x" * 20000)
    assert status == 413 and data["error"]["code"] == "body_too_large"
    status, data = _request(server + "/api/ask", b"question=hi", "application/x-www-form-urlencoded")
    assert status == 415
    status, data = _request(server + "/readyz")
    assert status == 200 and data["model"] == "m3e-small"


def test_real_server_serves_the_page(server: str) -> None:
    with urllib.request.urlopen(server + "/?lang=en", timeout=60) as response:
        html = response.read().decode()
        assert response.headers["Content-Security-Policy"]
    assert '<form id="ask-form"' in html
    with urllib.request.urlopen(server + "/static/chat.js", timeout=60) as response:
        assert b"/api/ask" in response.read()
