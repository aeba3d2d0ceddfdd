"""Collections through the real server (`ragqa serve`, two gunicorn workers, each with its writer thread):
a PDF and a DOCX from ../shared/documents/ uploaded into a new collection go queued -> ready and answer
the questions copied from them; a filter on an upload field picks one; deleting one takes its answers
away while a bounded loop of questions runs with no failed request; and a server killed (-9) in the
middle of a queued upload finishes the job after a restart, losing nothing it acknowledged (issue 32).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import READY_SECONDS
from tests.helpers import http_json
from web.server_process import _free_port, _stop, _wait_until_ready

DOCUMENTS = Path(__file__).resolve().parents[2].parent / "shared" / "documents"
PDF = DOCUMENTS / "en_nics_background_checks_2015-11.pdf"
DOCX = DOCUMENTS / "en_handbook-1p.docx"
# Copied from ../shared/documents/questions.jsonl: only these two documents answer them.
PDF_QUESTION = "What is the total number of NICS firearm background checks for Alabama in November 2015?"
PDF_ANSWER = "71,137"
DOCX_QUESTION = (
    "Which Act removed the bankruptcy judge from the responsibilities for day-to-day administration of cases?"
)
DOCX_ANSWER = "Bankruptcy Reform Act of 1978"
SETTLE_SECONDS = 600  # parsing a PDF and embedding on two busy cores, beside the questions
LOOP_SECONDS = 120  # the most the question loop runs while a delete is applied


@pytest.fixture(scope="module", autouse=True)
def documents_here() -> None:
    if not (PDF.is_file() and DOCX.is_file()):
        pytest.skip(f"{DOCUMENTS} is not here (the shared test documents)")


@contextmanager
def serving(index: Path, data: Path, log: Path, workers: int = 2) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`ragqa serve` with collections under `data`; yields its base URL and process (the group's leader)."""
    ragqa = shutil.which("ragqa", path=str(Path(sys.executable).parent)) or "ragqa"
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAGQA_DATA": str(data), "RAGQA_FEEDBACK_DB": str(data / "fb.db")}
    command = [ragqa, "serve", "--index", str(index), "--port", str(port), "--workers", str(workers)]
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(proc, base, log, READY_SECONDS)
            yield base, proc
        finally:
            if proc.poll() is None:
                _stop(proc)


def multipart(path: Path, metadata: dict[str, Any]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{json.dumps(metadata)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(base: str, collection: str, path: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    body, content_type = multipart(path, metadata)
    status, data = http_json(f"{base}/api/collections/{collection}/documents", body, content_type)
    assert status == 202, data
    (document,) = data["documents"]
    assert document["status"] == "queued" and document["name"] == path.name
    return document


def document(base: str, collection: str, doc_id: str) -> tuple[int, dict[str, Any]]:
    return http_json(f"{base}/api/collections/{collection}/documents/{doc_id}")


def settled(base: str, collection: str, doc_id: str) -> dict[str, Any]:
    """The document once the writer is done with it: ready, failed, or gone (deleted)."""
    seen = []
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        status, data = document(base, collection, doc_id)
        if status == 404:
            return {"status": "gone"}
        seen.append(data["status"])
        if data["status"] in ("ready", "failed"):
            assert seen[0] in ("queued", "indexing", "ready"), seen
            return data
        time.sleep(0.5)
    raise AssertionError(f"{doc_id} not settled in {SETTLE_SECONDS} s: {seen[-5:]}")


def delete(url: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, method="DELETE")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def ask(base: str, question: str, **body: Any) -> dict[str, Any]:
    status, data = http_json(base + "/api/ask", json.dumps({"question": question, **body}).encode())
    assert status == 200, data
    return data


def normal(text: str) -> str:
    return " ".join(text.split())


def answered(data: dict[str, Any], gold: str, path: str) -> bool:
    """The answer is read from a passage of the right file that holds the gold span, and is that span, a part
    of it or a little more (readers cut spans differently; tests/system/test_documents.py counts alike)."""
    answer = data["answer"]
    if answer is None or not answer["text"].strip():
        return False
    passage = next(p for p in data["passages"] if p["id"] == answer["passage_id"])
    text = normal(answer["text"])
    return passage["source"]["path"] == path and gold in normal(passage["text"]) and (text in gold or gold in text)


def test_uploads_answer_filter_and_a_delete_fails_no_question(index_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(index_dir, data, tmp_path / "server.log") as (base, _):
        assert http_json(base + "/api/collections", b'{"name": "filings"}')[0] == 201
        pdf = upload(base, "filings", PDF, {"source": "atf", "year": 2015})
        docx = upload(base, "filings", DOCX, {"source": "courts"})
        for doc in (pdf, docx):
            done = settled(base, "filings", doc["id"])
            assert done["status"] == "ready" and done["passages"] >= 1, done

        assert answered(ask(base, PDF_QUESTION, collection="filings"), PDF_ANSWER, PDF.name)
        assert answered(ask(base, DOCX_QUESTION, collection="filings"), DOCX_ANSWER, DOCX.name)
        default = ask(base, DOCX_QUESTION)  # the server's own index holds neither
        assert {p["source"]["path"] for p in default["passages"]}.isdisjoint({PDF.name, DOCX.name})

        courts = ask(base, PDF_QUESTION, collection="filings", filters={"source": "courts"})
        assert {p["source"]["path"] for p in courts["passages"]} == {DOCX.name}
        assert courts["filtered"]["documents"] == 1
        by_year = ask(base, PDF_QUESTION, collection="filings", filters={"year": {"gte": 2010}})
        assert answered(by_year, PDF_ANSWER, PDF.name)

        failures: list[Any] = []
        asked = [0]
        stop = threading.Event()

        def questions() -> None:  # bounded: it ends when told, or after LOOP_SECONDS
            deadline = time.monotonic() + LOOP_SECONDS
            while not stop.is_set() and time.monotonic() < deadline:
                for question in (PDF_QUESTION, DOCX_QUESTION):
                    body = json.dumps({"question": question, "collection": "filings", "top_k": 3}).encode()
                    try:
                        status, reply = http_json(base + "/api/ask", body)
                    except OSError as exc:
                        failures.append(repr(exc))
                        continue
                    asked[0] += 1
                    if status != 200:
                        failures.append((status, reply))

        loop = threading.Thread(target=questions)
        loop.start()
        try:
            time.sleep(2)
            status, reply = delete(f"{base}/api/collections/filings/documents/{docx['id']}")
            assert status == 202 and reply["status"] == "deleting", reply
            assert settled(base, "filings", docx["id"]) == {"status": "gone"}
            deadline = time.monotonic() + 30  # each worker follows the new version within its reload interval
            gone = False
            while not gone and time.monotonic() < deadline:
                after = [ask(base, DOCX_QUESTION, collection="filings") for _ in range(4)]
                gone = all(DOCX.name not in {p["source"]["path"] for p in a["passages"]} for a in after)
            assert gone, "answers from the deleted document still came back"
        finally:
            stop.set()
            loop.join()
        assert not failures, failures[:3]
        assert asked[0] >= 4
        assert answered(ask(base, PDF_QUESTION, collection="filings"), PDF_ANSWER, PDF.name)
        status, listed = http_json(base + "/api/collections/filings/documents")
        assert [d["name"] for d in listed["documents"]] == [PDF.name]


def test_a_server_killed_in_the_middle_of_an_upload_finishes_it_after_a_restart(
    index_dir: Path, tmp_path: Path
) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    with serving(index_dir, data, log, workers=1) as (base, proc):
        assert http_json(base + "/api/collections", b'{"name": "restart"}')[0] == 201
        doc = upload(base, "restart", PDF, {"source": "atf"})
        seen, deadline = "queued", time.monotonic() + 30
        while seen == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = document(base, "restart", doc["id"])[1]["status"]
        assert seen == "indexing"  # the writer has taken it (parsing a PDF takes seconds): the kill lands mid-job
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # Acknowledged means on disk: the queue row and the bytes outlived the process.
    assert any((data / "restart" / folder).iterdir() for folder in ("incoming", "corpus"))
    with serving(index_dir, data, log, workers=1) as (base, _):
        done = settled(base, "restart", doc["id"])
        assert done["status"] == "ready" and done["metadata"] == {"source": "atf"}, done
        assert answered(ask(base, PDF_QUESTION, collection="restart"), PDF_ANSWER, PDF.name)
    assert not re.search(r"Traceback", log.read_text(errors="replace"))
