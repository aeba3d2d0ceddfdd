"""`/metrics` of a real `ragqa serve` with 2 workers: after a known number of requests, spread over both
workers, the counts parsed by prometheus-client's own parser match (prometheus-client's multiprocess
mode adds up every worker's counts), a worker that exits leaves its counts behind, and the counts'
folder goes when the server stops; every request's id is in its JSON access line.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import READY_SECONDS
from tests.helpers import feedback_on, http_json
from web.server_process import running_server

ANSWERED = ["福建三峡海上风电国际产业园占地多少亩？", "福建三峡海上风电国际产业园的总投资是多少钱？"] * 3
ABSTAINED = ["量子计算机的工作原理是什么？"] * 2
BATCH = 8  # health checks sent at once
MAX_BATCHES = 50


@pytest.fixture(scope="module")
def served(index_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A server of its own (the session's `server` has counted other tests' requests): its URL and its log.

    Its temporary files go to a folder of this test's, where the counts' folder is looked for."""
    folder = tmp_path_factory.mktemp("metrics-server")
    log, temporary = folder / "server.log", folder / "tmp"
    temporary.mkdir()
    ragqa = shutil.which("ragqa", path=str(Path(sys.executable).parent)) or "ragqa"
    env = {"RAGQA_FEEDBACK_DB": str(folder / "feedback.sqlite3"), "TMPDIR": str(temporary)}
    with running_server(
        index_dir, log, "--workers", "2", launcher=[ragqa], env=env, ready_within=READY_SECONDS
    ) as base:
        assert len(list(temporary.glob("ragqa-metrics-*"))) == 1
        yield base, log
    assert not list(temporary.glob("ragqa-metrics-*")), "the counts' folder outlived the server"


def access_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(base + "/metrics", timeout=60) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def get(url: str, request_id: str) -> int:
    request = urllib.request.Request(url, headers={"X-Request-Id": request_id})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["X-Request-Id"] == request_id
        return response.status


def ask(base: str, question: str) -> dict:
    status, data = http_json(base + "/api/ask", json.dumps({"question": question}).encode())
    assert status == 200
    return data


def health_checks_on_both_workers(base: str, log: Path) -> int:
    """Send health checks, a batch at a time, until both workers have answered some; return how many were sent.

    Which worker takes a connection is up to them; the access lines say which one did."""
    sent = 0
    with ThreadPoolExecutor(BATCH) as pool:
        for _ in range(MAX_BATCHES):
            ids = [f"metrics-test-{n}" for n in range(sent, sent + BATCH)]
            assert list(pool.map(lambda i: get(base + "/healthz", i), ids)) == [200] * BATCH
            sent += BATCH
            time.sleep(0.1)  # gunicorn writes the access line once the response is out
            tagged = [line for line in access_lines(log) if str(line.get("request_id")).startswith("metrics-test-")]
            if len({line["pid"] for line in tagged}) == 2:
                return sent
    raise AssertionError(f"one worker took all {sent} health checks: the sum across workers cannot be tested")


def test_counts_add_up_across_both_workers(served: tuple[str, Path]) -> None:
    base, log = served
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda q: ask(base, q), ANSWERED + ABSTAINED))
    health_checks = health_checks_on_both_workers(base, log)
    assert sum(a["answer"] is not None for a in answers) == len(ANSWERED)
    assert http_json(base + "/api/ask", b'{"question": ""}')[0] == 400
    first = answers[0]
    feedback = feedback_on(first)
    assert http_json(base + "/api/feedback", json.dumps(feedback).encode())[0] == 201
    scrape(base)  # counted in the next scrape, not in its own
    samples = scrape(base)

    # One JSON access line per health check, with the id it was sent with.
    tagged = [line for line in access_lines(log) if str(line.get("request_id")).startswith("metrics-test-")]
    assert len(tagged) == health_checks and {line["path"] for line in tagged} == {"/healthz"}

    requests = "ragqa_http_requests_total"
    assert value(samples, requests, method="GET", route="/healthz", status="200") == health_checks
    asked = len(ANSWERED) + len(ABSTAINED)
    assert value(samples, requests, method="POST", route="/api/ask", status="200") == asked
    assert value(samples, requests, method="POST", route="/api/ask", status="400") == 1
    assert value(samples, requests, method="GET", route="/metrics", status="200") == 1
    assert value(samples, requests, method="POST", route="/api/feedback", status="201") == 1
    assert value(samples, "ragqa_http_request_duration_seconds_count", route="/api/ask") == asked + 1
    assert value(samples, "ragqa_questions_total", collection="default", outcome="answered") == len(ANSWERED)
    assert value(samples, "ragqa_questions_total", collection="default", outcome="abstained") == len(ABSTAINED)
    assert value(samples, "ragqa_retrieval_duration_seconds_count", collection="default") == asked
    assert value(samples, "ragqa_reading_duration_seconds_count", collection="default") == asked
    assert value(samples, "ragqa_reading_duration_seconds_sum", collection="default") > 0
    assert value(samples, "ragqa_feedback_stored_total") == 1
    assert value(samples, "ragqa_admission_refusals_total", route="/api/ask") == 0

    status, info = http_json(base + "/api/status")
    assert status == 200
    assert value(samples, "ragqa_index_passages", collection="default") == info["passages"]
    assert value(samples, "ragqa_index_info", collection="default", version=info["index_version"]) == 1


def test_a_worker_that_exits_leaves_its_counts(served: tuple[str, Path]) -> None:
    base, log = served
    before = scrape(base)
    worker = access_lines(log)[-1]["pid"]  # the one that answered that scrape
    os.kill(worker, signal.SIGTERM)  # as gunicorn's timeout or a restart would end it
    deadline = time.monotonic() + 60
    while Path(f"/proc/{worker}").exists():  # until gunicorn has reaped it (and started another)
        assert time.monotonic() < deadline, "the worker did not exit"
        time.sleep(0.2)
    after = scrape(base)
    counted = {key: n for key, n in before.items() if key[0] == "ragqa_http_requests_total"}
    assert counted and all(after[key] == n for key, n in counted.items() if ("route", "/metrics") not in key[1])
    assert after[("ragqa_http_requests_total", (("method", "GET"), ("route", "/metrics"), ("status", "200")))] == (
        before.get(("ragqa_http_requests_total", (("method", "GET"), ("route", "/metrics"), ("status", "200"))), 0) + 1
    )
