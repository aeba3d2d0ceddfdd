"""The container image (deploy/Dockerfile): built or reused, started, and asked through over HTTP.

Marked `image` and left out of a plain `pytest` / `make test` (pyproject's addopts: `-m "not image"`):
a cold build takes minutes (docs/deploy.md). Run it with `pytest -m image tests/system/test_image.py`.
It builds the image of this checkout with `make image` (docker's layer cache makes that seconds when
nothing changed, a few minutes after a source change), or tests the image `RAGQA_TEST_IMAGE` names
as it is. Without a usable docker daemon it skips saying why, and fails under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests.helpers import ROOT, feedback_on, http_json

pytestmark = pytest.mark.image

GIVEN = os.environ.get("RAGQA_TEST_IMAGE")  # an image built elsewhere, tested as it is
IMAGE = GIVEN or "ragqa:latest"
QUESTION = "福建三峡海上风电国际产业园占地多少亩？"
EXAMPLE = "容器里的示例问题？"  # set through the environment, as an operator would
READY_WITHIN = 240.0  # seconds from `docker run` to /readyz: two workers load the model (docs/deploy.md)
BUILD_WITHIN = 3600  # a cold build on 2 cores: wheels, the model's conversion and export, the index


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def unusable_reason() -> str | None:
    """Why docker cannot run the image here, or None."""
    if shutil.which("docker") is None:
        return "no docker command (apt-get install docker.io)"
    try:
        info = docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return "docker info did not answer in 30 s"
    if info.returncode != 0 or not info.stdout.strip():
        said = (info.stderr.strip().splitlines() or ["no output"])[-1]
        return f"no docker daemon answers ({said}); start one with `dockerd &` (docs/deploy.md)"
    return None


@pytest.fixture(scope="module")
def image(request: pytest.FixtureRequest) -> str:
    # Only when asked for by name: `-m system` alone would otherwise build an image for minutes.
    asked = str(request.config.getoption("markexpr") or "")
    if "image" not in asked or "not image" in asked:
        pytest.skip("builds the container image (minutes): run with -m image")
    reason = unusable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and docker is not usable: {reason}")
        pytest.skip(reason)
    if not GIVEN:  # never a stale image: the one of this checkout
        built = subprocess.run(
            ["make", "image", f"IMAGE={IMAGE}"], cwd=ROOT, capture_output=True, text=True, timeout=BUILD_WITHIN
        )
        assert built.returncode == 0, f"make image failed:\n{built.stdout[-4000:]}\n{built.stderr[-4000:]}"
    return IMAGE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def logs(name: str) -> str:
    out = docker("logs", "--tail", "60", name, check=False)
    return (out.stdout + out.stderr)[-6000:]


def wait_ready(base: str, name: str) -> float:
    """Seconds until /readyz answers 200; fails with the container's log if it stops or takes too long."""
    start = time.monotonic()
    while time.monotonic() - start < READY_WITHIN:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        state = docker("inspect", "--format", "{{.State.Status}}", name, check=False).stdout.strip()
        if state not in ("created", "running"):
            pytest.fail(f"the container stopped ({state}) before it was ready:\n{logs(name)}")
        time.sleep(1)
    pytest.fail(f"/readyz did not answer 200 within {READY_WITHIN:.0f} s:\n{logs(name)}")


@pytest.fixture
def volume(image: str) -> Iterator[str]:
    name = f"ragqa-test-data-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    yield name
    docker("volume", "rm", "-f", name, check=False)


def start(image: str, volume: str) -> tuple[str, str]:
    """A container of the image on a free loopback port with the data folder on volume: (name, base URL).

    It shares this machine's network and listens on its loopback only, so the test's traffic never
    leaves 127.0.0.1 (no bridge network, no address outside the machine)."""
    name = f"ragqa-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    docker(
        "run", "-d", "--name", name,
        "--network", "host", "-e", "RAGQA_HOST=127.0.0.1", "-e", f"RAGQA_PORT={port}",
        "-v", f"{volume}:/app/var",
        "-e", f"RAGQA_EXAMPLE_QUESTION={EXAMPLE}",
        image,
    )  # fmt: skip
    return name, f"http://127.0.0.1:{port}"


def test_image_serves_answers_as_a_user_and_keeps_feedback_in_its_volume(image: str, volume: str) -> None:
    name, base = start(image, volume)
    try:
        took = wait_ready(base, name)
        print(f"container start to /readyz: {took:.1f} s")

        status, data = http_json(base + "/api/ask", json.dumps({"question": QUESTION}).encode())
        assert status == 200, data
        assert data["answer"]["text"] == "1000亩"
        # The settings come from the environment (README's RAGQA_* variables).
        with urllib.request.urlopen(base + "/", timeout=30) as page:
            assert EXAMPLE in page.read().decode()

        # Not root inside, and the image's own health check passes.
        assert docker("exec", name, "id", "-u").stdout.strip() != "0"
        deadline = time.monotonic() + 60
        health = ""
        while time.monotonic() < deadline:
            health = docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
            if health == "healthy":
                break
            time.sleep(2)
        assert health == "healthy", logs(name)

        feedback = feedback_on(data)
        assert http_json(base + "/api/feedback", json.dumps(feedback).encode())[0] == 201
    finally:
        docker("rm", "-f", name, check=False)

    # The container is gone; its data folder is not: the feedback is in the volume.
    exported = docker(
        "run", "--rm", "-v", f"{volume}:/app/var", "--entrypoint", "ragqa", image, "feedback", "export", "--out", "-",
        timeout=120,
    )  # fmt: skip
    assert QUESTION in exported.stdout and "1000亩" in exported.stdout
