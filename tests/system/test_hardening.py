"""A real `ragqa serve` under hostile clients (issue 21), alone and behind Debian's nginx with the
shipped `deploy/nginx.conf`: slow-header clients (slowloris), the page's own admission, long
questions after form feedback, doubled slashes with a forged Host, chunked bodies over the limit,
and what two servers on one host share (issue 29).

Locally the nginx tests skip when nginx is missing; under CI (CI=true) they fail instead, so they
can never silently stop running there (.ci/run installs it).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import ROOT
from web.server_process import running_server

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
HEADER_TIMEOUT = 10  # seconds: client_header_timeout in deploy/nginx.conf
THREADS = 8  # per worker, as the server below is started


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the servers of this module share, as servers on one host do: the runtime folder (and their logs)."""
    shared = tmp_path_factory.mktemp("host")
    (shared / "run").mkdir(mode=0o700)
    return shared


def _on_host(host: Path) -> dict[str, str]:
    # gunicorn 25.1+ puts its control socket in $XDG_RUNTIME_DIR (else ~/.gunicorn) unless told not to.
    return {"XDG_RUNTIME_DIR": str(host / "run")}


@pytest.fixture(scope="module")
def served(index_dir: Path, host: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One worker, no question queue: a second question at once is a 429."""
    tmp = tmp_path_factory.mktemp("hardening")
    env = {
        "RAGQA_FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
        "RAGQA_DATA": str(tmp / "collections"),
        "RAGQA_PROXIES": "1",
        **_on_host(host),
    }
    args = ("--workers", "1", "--threads", str(THREADS), "--queue-depth", "0", "--queue-wait", "0", "--timeout", "30")
    with running_server(index_dir, host / "served.log", *args, env=env) as base:
        yield base


def _hostport(base: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(base)
    return parsed.hostname or "127.0.0.1", parsed.port or 80


def _request(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout=30):
    host, port = _hostport(base)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@contextmanager
def slow_clients(base: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that each send a request header a line at a time and never finish it."""
    host, port = _hostport(base)
    socks = [socket.create_connection((host, port), timeout=5) for _ in range(count)]
    for s in socks:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(1.0):
            for s in socks:
                with contextlib.suppress(OSError):  # cut off by the server: what the proxy is for
                    s.sendall(b"X-Slow: 1\r\n")

    feeder = threading.Thread(target=trickle, daemon=True)
    feeder.start()
    try:
        yield socks
    finally:
        stop.set()
        feeder.join()
        for s in socks:
            s.close()


def _cut_off(s: socket.socket) -> bool:
    try:
        s.settimeout(0.5)
        return s.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True  # reset


def test_six_concurrent_page_questions_with_queue_depth_0_answer_at_most_one(served: str) -> None:
    start = threading.Barrier(6)
    results: list[tuple[int, dict, bytes]] = []

    def ask(n: int) -> None:
        path = "/?lang=en&q=" + urllib.parse.quote(f"福建三峡海上风电国际产业园占地多少亩（第{n}次）？")
        start.wait()
        results.append(_request(served, "GET", path))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _, _ in results)
    assert statuses.count(200) <= 1 and statuses.count(429) >= 5, statuses
    for status, headers, body in results:
        if status == 429:
            assert headers["Retry-After"] == "1" and b'role="alert"' in body and b"busy" in body


def test_form_feedback_on_a_long_chinese_question_ends_on_a_page_not_a_414(served: str) -> None:
    question = ("福建三峡海上风电国际产业园占地多少亩" * 30)[:500]
    _, _, raw = _request(
        served, "POST", "/api/ask", json.dumps({"question": question}).encode(), {"Content-Type": "application/json"}
    )
    data = json.loads(raw)
    answer = data["answer"]
    form = [
        ("question", data["question"]),
        ("rating", "up"),
        ("answer", answer["text"] if answer else ""),
        ("passage_id", answer["passage_id"] if answer else ""),
        *[("passages", p["id"]) for p in data["passages"]],
        ("token", data["feedback_token"]),
        ("lang", "zh"),
    ]
    body = urllib.parse.urlencode(form).encode()
    status, headers, _ = _request(
        served, "POST", "/feedback", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 303, status
    status, _, page = _request(served, "GET", headers["Location"])
    assert status == 200 and "谢谢".encode() in page


def test_doubled_slashes_with_a_forged_host_are_not_redirected_there(served: str) -> None:
    status, headers, _ = _request(
        served, "POST", "//api//ask", b'{"question": "q"}', {"Host": "evil.example", "Content-Type": "application/json"}
    )
    assert status == 404 and "Location" not in headers


def test_slow_header_clients_hold_every_thread_of_a_bare_server(served: str) -> None:
    """Why the proxy: gunicorn's gthread worker gives each connection a thread while it reads headers."""
    with slow_clients(served, THREADS + 4):
        time.sleep(1)
        with pytest.raises(OSError):  # timeout: no thread left to read the health check
            _request(served, "GET", "/healthz", timeout=3)
    time.sleep(1)
    assert _request(served, "GET", "/healthz")[0] == 200  # freed when they go away


@pytest.fixture(scope="module")
def keyed(index_dir: Path, host: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of private documents: API keys from the environment, the page left closed."""
    tmp = tmp_path_factory.mktemp("keyed")
    env = {
        "RAGQA_FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
        "RAGQA_API_KEYS": "s3cret-one,s3cret-two",
        **_on_host(host),
    }
    with running_server(index_dir, host / "keyed.log", "--workers", "1", env=env) as base:
        yield base


def test_with_api_keys_every_api_call_without_a_valid_key_is_401_json(keyed: str) -> None:
    ask = json.dumps({"question": "福建三峡海上风电国际产业园占地多少亩？"}).encode()
    json_type = {"Content-Type": "application/json"}
    for path, body in (("/api/ask", ask), ("/api/feedback", b"{}"), ("/api/nowhere", b"{}")):
        for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-one"}):
            status, headers, raw = _request(keyed, "POST", path, body, {**json_type, **auth})
            assert status == 401 and json.loads(raw)["error"]["code"] == "unauthorized", (path, auth)
            assert headers["WWW-Authenticate"].startswith("Bearer")
    status, _, raw = _request(keyed, "POST", "/api/ask", ask, {**json_type, "Authorization": "Bearer s3cret-two"})
    assert status == 200 and json.loads(raw)["answer"]["text"] == "1000亩"
    assert _request(keyed, "GET", "/healthz")[0] == 200
    status, _, raw = _request(keyed, "GET", "/readyz")
    assert status == 200 and json.loads(raw) == {"status": "ready"}  # open, so it names nothing
    assert _request(keyed, "GET", "/api/status")[0] == 401
    status, _, raw = _request(keyed, "GET", "/api/status", headers={"Authorization": "Bearer s3cret-one"})
    assert status == 200 and json.loads(raw)["passages"] > 0
    assert _request(keyed, "GET", "/?q=x")[0] == 403  # no login-free page unless RAGQA_OPEN_PAGE=1
    same_origin = {**json_type, "Sec-Fetch-Site": "same-origin"}  # any client can send it
    assert _request(keyed, "POST", "/api/ask", ask, same_origin)[0] == 401


def _chunked(base: str, path: str, body: bytes) -> tuple[int, dict]:
    """POST body with Transfer-Encoding: chunked (no Content-Length), in 4 KB chunks."""
    host, port = _hostport(base)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        chunks = (body[i : i + 4096] for i in range(0, len(body), 4096))
        conn.request("POST", path, body=chunks, headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
def test_a_chunked_body_over_the_limit_is_413(served: str, path: str) -> None:
    status, data = _chunked(served, path, json.dumps({"question": "福" * 9000}).encode())
    assert status == 413 and data["error"]["code"] == "body_too_large", data
    status, data = _chunked(served, path, json.dumps({"question": "福建三峡海上风电国际产业园占地多少亩？"}).encode())
    assert data.get("error", {}).get("code") != "invalid_json" and status in (200, 400), data  # read whole


def test_each_server_has_no_shared_control_socket(served: str, keyed: str, host: Path) -> None:
    """Two servers on one host: gunicorn's default control socket would be one path for both."""
    assert _request(served, "GET", "/healthz")[0] == 200 and _request(keyed, "GET", "/healthz")[0] == 200
    assert list((host / "run").iterdir()) == []  # no gunicorn.ctl
    for log in ("served.log", "keyed.log"):
        assert "Control socket" not in (host / log).read_text(errors="replace"), log


@pytest.fixture(scope="module")
def nginx(served: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's nginx with deploy/nginx.conf (only its two addresses changed) in front of `served`."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing; .ci/run installs it with apt-get install nginx")
        pytest.skip("nginx is not installed")
    # Not under pytest's own tmp folder: that is root's alone, and nginx's workers (an unprivileged user
    # when started as root) must reach tmp/ to buffer a large upload's body there.
    prefix = Path(tempfile.mkdtemp(prefix="ragqa-nginx-"))
    prefix.chmod(0o755)
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir()
        (prefix / sub).chmod(0o777)  # nginx's workers run as an unprivileged user when started as root
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host, upstream = _hostport(served)
    conf = NGINX_CONF.read_text(encoding="utf-8")
    assert "listen 127.0.0.1:8080;" in conf and "server 127.0.0.1:8000;" in conf
    conf = conf.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("server 127.0.0.1:8000;", f"server {host}:{upstream};")
    (prefix / "nginx.conf").write_text(conf, encoding="utf-8")
    proc = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "nginx exited"
            try:
                if _request(base, "GET", "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(prefix, ignore_errors=True)


def test_nginx_cuts_slowloris_off_and_keeps_answering(nginx: str) -> None:
    with slow_clients(nginx, 64) as socks:
        time.sleep(1)
        started = time.monotonic()
        assert _request(nginx, "GET", "/healthz", timeout=10)[0] == 200
        status, _, raw = _request(
            nginx,
            "POST",
            "/api/ask",
            json.dumps({"question": "福建三峡海上风电国际产业园占地多少亩？"}).encode(),
            {"Content-Type": "application/json"},
            timeout=30,
        )
        assert status == 200 and json.loads(raw)["answer"]["text"] == "1000亩"
        assert time.monotonic() - started < 10
        time.sleep(HEADER_TIMEOUT + 2)
        assert all(_cut_off(s) for s in socks)  # each let go once its header time was up


def test_nginx_refuses_a_big_body_without_passing_it_on(nginx: str) -> None:
    status, _, body = _request(nginx, "POST", "/api/ask", b"x" * 20000, {"Content-Type": "application/json"})
    assert status == 413 and b"nginx" in body  # answered by the proxy, not by a ragqa thread


def test_nginx_passes_the_host_so_same_origin_posts_are_told_from_cross_site_ones(nginx: str) -> None:
    """An older browser sends Origin without Sec-Fetch-Site: the app compares it with the Host nginx passes on."""
    headers = {"Content-Type": "application/json"}
    same, _, body = _request(nginx, "POST", "/api/feedback", b"{}", {**headers, "Origin": nginx})
    assert same == 400 and json.loads(body)["error"]["code"] == "invalid_question", body  # judged on its body
    other, _, body = _request(nginx, "POST", "/api/feedback", b"{}", {**headers, "Origin": "http://evil.example"})
    assert other == 403 and json.loads(body)["error"]["code"] == "cross_site_request"


def test_nginx_lets_an_upload_to_a_collection_through_and_still_refuses_big_json(nginx: str) -> None:
    """Uploads are the one route with large bodies: nginx passes them on (ragqa checks its own limits)."""
    headers = {"Content-Type": "application/json"}
    created, _, raw = _request(nginx, "POST", "/api/collections", json.dumps({"name": "via-proxy"}).encode(), headers)
    assert created == 201, raw
    text = ("The ferry from Arvel to Quillon Island leaves at seven in the morning.\n" * 400).encode()  # ~28 KB
    boundary = "ragqa-upload-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ferry.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + text
        + f"\r\n--{boundary}--\r\n".encode()
    )
    form = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _, raw = _request(nginx, "POST", "/api/collections/via-proxy/documents", body, form)
    assert status == 202 and json.loads(raw)["documents"][0]["name"] == "ferry.txt", raw
    status, _, raw = _request(nginx, "POST", "/api/ask", b"x" * 20000, headers)
    assert status == 413 and b"nginx" in raw
