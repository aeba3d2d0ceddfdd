"""Start `ragqa serve` as its own process on a free loopback port, for the load, reload and chaos runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 30) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@contextmanager
def running_server(index: Path, log_path: Path, *args: str, ready_within: float = 300) -> Iterator[str]:
    """Yield the base URL of a ready server; stop the whole process group afterwards."""
    port = free_port()
    log = open(log_path, "wb")  # a file, not a pipe: an unread pipe would fill and block the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--index", str(index), "--port", str(port), *args],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready in {ready_within:.0f} s")
            try:
                if get_json(base + "/readyz", timeout=5)[0] == 200:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
