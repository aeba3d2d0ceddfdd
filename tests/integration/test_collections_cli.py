"""`ragqa collections` through click's runner with the real model: create, add, apply, list, ask, remove."""

from __future__ import annotations

import json
from pathlib import Path

from qa.cli import main

LUMEN = "The Lumen Bridge crosses the Kestrel River. The bridge is 840 metres long and carries two tram lines.\n"


def test_a_collection_from_the_shell(runner, tmp_path: Path) -> None:
    data = str(tmp_path / "collections")
    (tmp_path / "lumen.txt").write_text(LUMEN, encoding="utf-8")
    (tmp_path / "tool.exe").write_bytes(b"MZ\x90\x00")

    def run(*args: str):
        result = runner.invoke(main, [*args, "--data", data])
        return result

    assert run("collections", "create", "notes").exit_code == 0
    taken = run("collections", "create", "notes")
    assert taken.exit_code == 1 and "exists" in taken.output
    refused = run("collections", "add", "notes", str(tmp_path / "tool.exe"))
    assert refused.exit_code == 1 and "does not read .exe" in refused.output
    added = run("collections", "add", "notes", str(tmp_path / "lumen.txt"), "--metadata", '{"team": "ops"}')
    assert added.exit_code == 0 and "lumen.txt  queued" in added.output
    doc_id = added.output.split()[0]

    applied = run("collections", "apply", "notes")
    assert applied.exit_code == 0, applied.output
    assert "1 ready, 0 failed" in applied.output
    listed = json.loads(run("collections", "documents", "notes", "--json").output)
    assert [(d["id"], d["status"], d["metadata"]) for d in listed["documents"]] == [(doc_id, "ready", {"team": "ops"})]
    assert "notes: 1 ready" in run("collections", "list").output

    asked = run(
        "ask", "How long is the Lumen Bridge?", "--collection", "notes", "--json", "--filters", '{"team": "ops"}'
    )
    assert asked.exit_code == 0, asked.output
    assert "840 metres" in json.loads(asked.output)["answer"]["text"]
    missing = run("ask", "How long?", "--collection", "nope")
    assert missing.exit_code == 1 and "no collection named" in missing.output

    assert run("collections", "remove", "notes", doc_id).exit_code == 0
    assert "0 ready, 0 failed, 1 removed" in run("collections", "apply", "notes").output
    assert json.loads(run("collections", "documents", "notes", "--json").output) == {"documents": []}
    assert "nothing queued" in run("collections", "apply", "notes").output
