"""`ragqa serve` as its own process on a free loopback port: started, awaited and stopped.

For the tests and benchmarks that need a real server (gunicorn, workers forked, model loaded
after fork); nothing here is imported by the app itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

LOG_TAIL = 3000  # characters of the server log quoted when it does not become ready
STOP_SECONDS = 30  # gunicorn's graceful_timeout is 10 s; beyond this the group is killed


def get_json(url: str, timeout: float = 30) -> tuple[int, dict]:
    """GET url; return the HTTP status and the JSON body, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@contextmanager
def running_server(
    index: Path,
    log_path: Path,
    *args: str,
    launcher: Sequence[str] = (sys.executable, "-m", "qa"),
    env: Mapping[str, str] | None = None,
    ready_within: float = 300,
) -> Iterator[str]:
    """Yield the base URL of a ready `ragqa serve`; stop its whole process group afterwards.

    Args:
        index: the index root to serve.
        log_path: where the server's stdout and stderr go.
        *args: more `ragqa serve` options, e.g. "--workers", "2".
        launcher: the command that runs ragqa (the console script, or this Python with -m qa).
        env: variables set for the server on top of this process's environment.
        ready_within: seconds to wait for /readyz to answer 200 before giving up.
    """
    port = _free_port()
    command = [*launcher, "serve", "--index", str(index), "--port", str(port), *args]
    with open(log_path, "wb") as log:  # a file, not a pipe: an unread pipe would fill and block the server
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        base = f"http://127.0.0.1:{port}"
        try:  # whatever goes wrong while waiting, the server's process group does not outlive the caller
            _wait_until_ready(proc, base, log_path, ready_within)
            yield base
        finally:
            _stop(proc)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(proc: subprocess.Popen[bytes], base: str, log_path: Path, ready_within: float) -> None:
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {_tail(log_path)}")
        try:
            if get_json(base + "/readyz", timeout=5)[0] == 200:
                return
        except (OSError, ValueError):  # refused, reset, or no answer yet while the workers load the model
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server not ready in {ready_within:.0f} s: {_tail(log_path)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (gunicorn and its workers), then SIGKILL it if it lingers."""
    with contextlib.suppress(ProcessLookupError):  # the whole group has already exited
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-LOG_TAIL:]
