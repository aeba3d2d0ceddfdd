"""Index and serve by configuration: `ragqa index --backend milvus --milvus-uri` through the CLI, then
the app's live pipeline (what each `ragqa serve` worker runs) answering from that Milvus version,
and `serve`'s refusals in one line (Milvus Lite is one process: one worker)."""

from __future__ import annotations

from pathlib import Path

from qa.cli import main
from qa.store import read_manifest, versions
from tests.integration.scale.extras import need
from web import create_app


def test_index_and_serve_a_milvus_lite_index_by_configuration(tmp_path: Path, corpus_dir: Path, runner) -> None:
    need("pymilvus", "milvus")
    need("milvus_lite", "milvus")
    root, uri = tmp_path / "index", str(tmp_path / "milvus.db")
    env = {"RAGQA_BACKEND": "milvus", "RAGQA_MILVUS_URI": uri}  # the settings as environment variables
    built = runner.invoke(main, ["index", "--corpus", str(corpus_dir), "--index", str(root)], env=env)
    assert built.exit_code == 0, built.output
    assert read_manifest(root)["backend"]["kind"] == "milvus"

    refused = runner.invoke(main, ["serve", "--index", str(root), "--workers", "2"])
    assert refused.exit_code != 0 and "--workers 1" in refused.output and "Traceback" not in refused.output
    faiss = runner.invoke(main, ["serve", "--index", str(root), "--backend", "faiss"])
    assert faiss.exit_code != 0 and "keeps its vectors in milvus" in faiss.output

    app = create_app(
        {
            "TESTING": True,
            "RAGQA_INDEX": str(root),
            "RAGQA_MILVUS_URI": uri,
            "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
        }
    )
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    answer = client.post("/api/ask", json={"question": "福建三峡海上风电国际产业园占地多少亩？", "top_k": 3}).get_json()
    assert answer["answer"]["text"] == "1000亩"
    assert answer["index_version"] == versions.pointer(root)
