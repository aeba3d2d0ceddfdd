"""`/metrics`, the request id and the JSON access line, through Flask's test client over a stand-in pipeline.

The stand-in answers from two fixed passages with real `Result`s (what `Pipeline.ask` returns), so
no model loads; a question holding "?" is answered, any other abstains. The same counts through a
real two-worker server (prometheus-client's multiprocess mode) are tests/system/test_metrics.py.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from prometheus_client.parser import text_string_to_metric_families

from qa.answering import Answer
from qa.ingest.passages import Passage
from qa.pipeline import PassageResult, Result, SearchResult
from tests.helpers import feedback_on
from web import create_app, state
from web.access_log import JsonAccessLogger
from web.metrics import MULTIPROCESS_DIR, multiprocess_folder
from web.request_id import HEADER

TEXT = "The tower stands 252 metres tall."
PASSAGES = [
    Passage("tower#0", "tower", "docs/tower.txt", "Tower", "", "body", TEXT, 0, len(TEXT)),
    Passage("park#0", "park", "docs/park.pdf", "Park", "", "body", "The park opened in 2021.", 0, 24, page=2),
]


@dataclass
class Steps:
    """A batch retrieved and not yet read (`qa.pipeline.Asking`), of answers made up front."""

    results: list[Result]

    def passages(self) -> list[SearchResult]:
        return [SearchResult(r.question, r.passages, 1.0, r.index_version) for r in self.results]

    def answers(self) -> list[Result]:
        return self.results


class StandIn:
    """What `web.state` needs of a pipeline: ask, search, passages, version."""

    version = "v-test"
    passages = PASSAGES

    def begin(self, questions: list[str], top_k: int, filters: object) -> Steps:
        return Steps([self.ask(q, top_k, filters) for q in questions])

    def ask(self, question: str, top_k: int, filters: object) -> Result:
        answer = Answer("252 metres", "tower#0", 17, 27, 0.9) if "?" in question else None
        return Result(question, answer, self._ranked(), 1.0, self.version, None, {"retrieval": 0.02, "reading": 0.2})

    def search(self, query: str, top_k: int, filters: object) -> SearchResult:
        return SearchResult(query, self._ranked(), 1.0, self.version, None, {"retrieval": 0.02})

    def _ranked(self) -> list[PassageResult]:
        return [PassageResult(p, 1.0 / (n + 1), []) for n, p in enumerate(PASSAGES)]


@pytest.fixture()
def make_app(tmp_path: Path):
    def make(**config: object):
        settings = {"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"), **config}
        return create_app(settings, pipeline=StandIn())  # type: ignore[arg-type]

    return make


def scrape(client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, parsed by prometheus-client's own parser: {(name, labels): value}."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_questions_and_stages_are_counted(make_app) -> None:
    client = make_app().test_client()
    for question in ("How tall is the tower?", "How tall?", "tower height"):
        assert client.post("/api/ask", json={"question": question}).status_code == 200
    assert client.post("/api/search", json={"query": "tower"}).status_code == 200
    assert client.post("/api/ask", json={"question": ""}).status_code == 400
    assert client.get("/no/such/page").status_code == 404
    samples = scrape(client)
    requests = "ragqa_http_requests_total"
    assert value(samples, requests, method="POST", route="/api/ask", status="200") == 3
    assert value(samples, requests, method="POST", route="/api/ask", status="400") == 1
    assert value(samples, requests, method="POST", route="/api/search", status="200") == 1
    # The route is the URL rule: a path no rule matches is one series, whatever was sent.
    assert value(samples, requests, method="GET", route="unmatched", status="404") == 1
    assert value(samples, "ragqa_questions_total", collection="default", outcome="answered") == 2
    assert value(samples, "ragqa_questions_total", collection="default", outcome="abstained") == 1
    # Each stage's histogram holds every question (and search, for retrieval) in the bucket of its seconds.
    assert value(samples, "ragqa_retrieval_duration_seconds_count", collection="default") == 4
    assert value(samples, "ragqa_retrieval_duration_seconds_bucket", collection="default", le="0.01") == 0
    assert value(samples, "ragqa_retrieval_duration_seconds_bucket", collection="default", le="0.025") == 4
    assert value(samples, "ragqa_reading_duration_seconds_count", collection="default") == 3
    assert value(samples, "ragqa_reading_duration_seconds_sum", collection="default") == pytest.approx(0.6)
    assert value(samples, "ragqa_http_request_duration_seconds_count", route="/api/ask") == 4
    assert value(samples, "ragqa_index_info", collection="default", version="v-test") == 1
    assert value(samples, "ragqa_index_passages", collection="default") == 2


def test_each_app_counts_on_its_own(make_app) -> None:
    first, second = make_app().test_client(), make_app().test_client()
    first.post("/api/ask", json={"question": "How tall?"})
    assert value(scrape(second), "ragqa_questions_total", collection="default", outcome="answered") == 0
    assert value(scrape(first), "ragqa_questions_total", collection="default", outcome="answered") == 1


def test_admission_refusals_are_counted_and_still_answered_429(make_app) -> None:
    app = make_app(RAGQA_QUEUE_DEPTH=0)
    client = app.test_client()
    with app.app_context(), state.state().admission.slot():  # the worker's one slot is taken
        refused = client.post("/api/ask", json={"question": "How tall?"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    samples = scrape(client)
    assert value(samples, "ragqa_admission_refusals_total", route="/api/ask") == 1
    assert value(samples, "ragqa_questions_total", collection="default", outcome="answered") == 0


def test_stored_feedback_is_counted_and_refused_feedback_is_not(make_app) -> None:
    client = make_app().test_client()
    served = client.post("/api/ask", json={"question": "How tall?"}).get_json()
    body = feedback_on(served)
    assert client.post("/api/feedback", json=body).status_code == 201
    assert client.post("/api/feedback", json={**body, "token": "forged"}).status_code == 403
    assert value(scrape(client), "ragqa_feedback_stored_total") == 1


def test_metrics_need_a_key_when_keys_are_set(make_app) -> None:
    client = make_app(RAGQA_API_KEYS=("sesame",)).test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    assert HEADER in refused.headers  # refused before any view, it still has its id
    samples = scrape(client, Authorization="Bearer sesame")
    assert value(samples, "ragqa_http_requests_total", method="GET", route="unmatched", status="401") == 0
    assert value(samples, "ragqa_http_requests_total", method="GET", route="/metrics", status="401") == 1


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("abc-123_X.y:z", True), ("has space", False), ("x" * 129, False), ("<script>", False), ("", False)],
)
def test_a_well_formed_request_id_is_kept_and_any_other_replaced(make_app, sent: str, kept: bool) -> None:
    client = make_app().test_client()
    got = client.get("/healthz", headers={HEADER: sent} if sent else {}).headers[HEADER]
    assert (got == sent) is kept
    if not kept:
        assert len(got) == 32 and got.isalnum()
    assert client.get("/healthz").headers[HEADER] != client.get("/healthz").headers[HEADER]


def test_the_access_line_is_json_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    config = Config()
    config.set("accesslog", "-")  # gunicorn writes it to stdout, as `ragqa serve` sets it
    logger = JsonAccessLogger(config)
    response = SimpleNamespace(status="200 OK", sent=12, headers=[("X-Request-Id", "abc")])
    # A client chooses the path: quotes and a line break in it must not make a second line or a false field.
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": '/a?q="x"\n',
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "1.2.3.4",
    }
    took = SimpleNamespace(seconds=0, microseconds=1500, total_seconds=lambda: 0.0015)
    logger.access(response, SimpleNamespace(headers=[]), environ, took)
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) | {"time": None} == {
        "time": None,
        "request_id": "abc",
        "client": "1.2.3.4",
        "method": "GET",
        "path": '/a?q="x"\n',
        "status": 200,
        "bytes": 12,
        "seconds": 0.0015,
        "user_agent": "-",
        "pid": os.getpid(),
    }


def test_indexes_are_shown_to_the_keys_that_may_read_them(make_app, tmp_path: Path) -> None:
    keys = ("writer", "other read reports")
    client = make_app(RAGQA_DATA=str(tmp_path / "collections"), RAGQA_API_KEYS=keys).test_client()
    assert (
        client.post(
            "/api/collections", json={"name": "reports"}, headers={"Authorization": "Bearer writer"}
        ).status_code
        == 201
    )
    everything = scrape(client, Authorization="Bearer writer")
    assert value(everything, "ragqa_index_passages", collection="default") == 2
    # A collection with nothing indexed yet has no version to show, and does not fail the scrape.
    assert not [key for key in everything if ("collection", "reports") in key[1] and key[0].startswith("ragqa_index")]
    other = scrape(client, Authorization="Bearer other")
    assert not [key for key in other if key[0].startswith("ragqa_index") and ("collection", "default") in key[1]]


def test_the_counts_folder_outlives_exiting_workers_and_goes_with_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MULTIPROCESS_DIR, "/somewhere/else")
    folder_of_server = multiprocess_folder()
    folder = folder_of_server.__enter__()
    assert os.environ[MULTIPROCESS_DIR] == folder and Path(folder).is_dir()
    worker = os.fork()
    if worker == 0:  # a forked worker leaves the server's block as gunicorn's do, through sys.exit
        try:
            folder_of_server.__exit__(SystemExit, SystemExit(0), None)
        finally:
            os._exit(0)
    os.waitpid(worker, 0)
    assert Path(folder).is_dir()  # the other workers still count in it
    folder_of_server.__exit__(None, None, None)
    assert not Path(folder).exists() and os.environ[MULTIPROCESS_DIR] == "/somewhere/else"
