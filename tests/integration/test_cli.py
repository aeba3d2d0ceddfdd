"""The ragqa command through click's runner: index, ask, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.pipeline import NOTHING_MATCHES
from qa.store.versions import resolve


def test_index_builds_and_summarises(runner, corpus_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "index"
    result = runner.invoke(main, ["index", "--corpus", str(corpus_dir), "--index", str(target)])
    assert result.exit_code == 0, result.output
    assert "documents" in result.output and "passages" in result.output and "passages/s" in result.output
    assert (resolve(target).path / "manifest.json").is_file() and "version" in result.output
    manifest = json.loads((resolve(target).path / "manifest.json").read_text())
    # The shipped defaults: int8 ONNX Runtime, sentence vectors pooled from the passages' own pass.
    assert manifest["model"]["inference"] == "onnx-int8" and manifest["sentences"] == {"vectors": "pooled"}
    again = runner.invoke(main, ["index", "--corpus", str(corpus_dir), "--index", str(target), "--if-stale"])
    assert again.exit_code == 0 and "up to date" in again.output
    # An index embedded by an older export of the model is rebuilt: its questions would be embedded otherwise.
    live = resolve(target).path / "manifest.json"
    older = json.loads(live.read_text())
    older["model"].pop("graph")
    live.write_text(json.dumps(older))
    rebuilt = runner.invoke(main, ["index", "--corpus", str(corpus_dir), "--index", str(target), "--if-stale"])
    assert rebuilt.exit_code == 0 and "ONNX export has changed" in rebuilt.output
    assert json.loads((resolve(target).path / "manifest.json").read_text())["model"]["graph"] >= 2
    (corpus_dir / "new.txt").write_text("新增的文档。", encoding="utf-8")
    try:
        stale = runner.invoke(main, ["index", "--corpus", str(corpus_dir), "--index", str(target), "--if-stale"])
        assert stale.exit_code == 0 and "corpus has changed" in stale.output
    finally:
        (corpus_dir / "new.txt").unlink()
    # A flag that would make other vectors than the index holds is a reason too, not only the model.
    args = ["index", "--corpus", str(corpus_dir), "--index", str(target), "--if-stale", "--sentence-vectors", "encoded"]
    other = runner.invoke(main, args)
    assert other.exit_code == 0 and "sentence vectors were pooled, not encoded" in other.output, other.output


def test_index_reports_skipped_files(runner, tmp_path: Path, monkeypatch) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("一段正常的文字。", encoding="utf-8")
    (corpus / "bad.txt").write_bytes("编码错误".encode("gbk"))
    (corpus / "photo.png").write_bytes(b"\x89PNG")
    # Issue 29: a link out of the corpus is never followed, and a file over the size limit is skipped.
    secret = tmp_path / "elsewhere" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:密码在语料库之外:/root:/bin/bash\n", encoding="utf-8")
    (corpus / "passwd-link.txt").symlink_to(secret)
    (corpus / "dump.txt").write_text("大" * 20_000, encoding="utf-8")
    monkeypatch.setenv("RAGQA_MAX_FILE_MB", "0.05")
    result = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(tmp_path / "i")])
    assert result.exit_code == 0, result.output
    assert "bad.txt" in result.output and "UTF-8" in result.output and "photo.png" in result.output
    assert "passwd-link.txt: a link that leads outside the corpus folder" in result.output
    assert "dump.txt: 0.1 MB is over the 0.05 MB limit" in result.output
    assert "indexed 1 documents, 1 passages" in result.output
    assert "embedding" in result.output  # progress, though stderr is no terminal here
    asked = runner.invoke(main, ["ask", "密码在哪里？", "--index", str(tmp_path / "i"), "--json"])
    assert asked.exit_code == 0, asked.output
    assert "密码在语料库之外" not in asked.output and "passwd" not in asked.output


@pytest.mark.parametrize("update", [False, True], ids=["index", "index --update"])
def test_index_of_a_folder_with_nothing_to_index_is_one_line_and_leaves_nothing(
    runner, tmp_path: Path, update: bool
) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    target = tmp_path / "i"
    result = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(target), *(["--update"] * update)])
    line = _one_line_error(result)
    assert "no documents with text to index" in line and "clip.mp4: unsupported file type" in line
    assert not target.exists()  # no folder holding a lone .lock


def test_ask_prints_the_answer(runner, index_dir: Path) -> None:
    result = runner.invoke(
        main, ["ask", "福建三峡海上风电国际产业园占地多少亩？", "--index", str(index_dir), "--top-k", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "1000亩" in result.output.splitlines()[0]


def test_ask_json_is_the_api_shape(runner, index_dir: Path) -> None:
    result = runner.invoke(
        main, ["ask", "福建三峡海上风电国际产业园的总投资是多少钱？", "--index", str(index_dir), "--json"]
    )
    data = json.loads(result.output)
    assert data["answer"]["text"] == "40亿元" and len(data["passages"]) == 5


def test_settings_come_from_the_environment(runner, index_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("RAGQA_INDEX", str(index_dir))
    import importlib

    import qa.cli

    cli = importlib.reload(qa.cli)
    try:
        result = runner.invoke(cli.main, ["ask", "福建三峡海上风电国际产业园占地多少亩？", "--json"])
        assert result.exit_code == 0, result.output
    finally:
        monkeypatch.delenv("RAGQA_INDEX")
        importlib.reload(qa.cli)


def test_ask_takes_the_apis_filters(runner, index_dir: Path) -> None:
    question = "福建三峡海上风电国际产业园占地多少亩？"
    kept = runner.invoke(main, ["ask", question, "--index", str(index_dir), "--filters", '{"type": {"in": ["text"]}}'])
    assert kept.exit_code == 0 and "1000亩" in kept.output.splitlines()[0], kept.output
    none = runner.invoke(main, ["ask", question, "--index", str(index_dir), "--filters", '{"type": "pdf"}'])
    assert none.exit_code == 0 and none.output.splitlines()[:2] == ["answer: none found", NOTHING_MATCHES]
    assert "'nope'" in _one_line_error(
        runner.invoke(main, ["ask", question, "--index", str(index_dir), "--filters", '{"nope": 1}'])
    )
    bad = runner.invoke(main, ["ask", question, "--index", str(index_dir), "--filters", "{type: pdf"])
    assert bad.exit_code == 2 and "--filters" in bad.output and "Traceback" not in bad.output


def _one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:")
    return lines[0]


def test_errors_are_one_line(runner, index_dir: Path, tmp_path: Path) -> None:
    assert "empty" in _one_line_error(runner.invoke(main, ["ask", "  ", "--index", str(index_dir)]))
    assert "ragqa index" in _one_line_error(runner.invoke(main, ["ask", "hi", "--index", str(tmp_path / "none")]))
    assert "top_k" in _one_line_error(runner.invoke(main, ["ask", "hi", "--index", str(index_dir), "--top-k", "99"]))
    assert "not found" in _one_line_error(
        runner.invoke(main, ["index", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")])
    )
    assert "no-such-model" in _one_line_error(
        runner.invoke(main, ["ask", "hi", "--index", str(index_dir), "--model", "no-such-model"])
    )


def test_serve_refuses_a_missing_index(runner, tmp_path: Path) -> None:
    line = _one_line_error(runner.invoke(main, ["serve", "--index", str(tmp_path / "none")]))
    assert "ragqa index" in line


def test_serve_refuses_threads_that_leave_no_room_for_health_checks(runner, index_dir: Path) -> None:
    line = _one_line_error(
        runner.invoke(main, ["serve", "--index", str(index_dir), "--threads", "4", "--queue-depth", "8"])
    )
    assert "--threads 4" in line and "at least 14" in line  # 1 answered, 8 queued, 4 feedback posts, 1 spare


def test_serve_refuses_a_port_in_use_before_it_says_serving(runner, index_dir: Path) -> None:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = runner.invoke(main, ["serve", "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port)])
    assert f"port {port} on 127.0.0.1 is in use" in _one_line_error(result) and "serving" not in result.output


def test_module_entry_point(index_dir: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "qa", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "index" in result.stdout and "serve" in result.stdout


def test_file_system_errors_are_one_line(runner, corpus_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = _one_line_error(
        runner.invoke(main, ["index", "--corpus", str(corpus_dir), "--index", str(blocker / "index")])
    )
    assert str(blocker) in line


def test_model_export_names_the_graphs_it_made(runner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["model", "export"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines() if line.endswith(".onnx"))
    assert set(lines) >= {"multilingual-e5-small", "reader-e5-small"}
    assert all(Path(path).is_file() for path in lines.values())
    missing = runner.invoke(main, ["model", "export", "--reader", str(tmp_path / "no-reader")])
    assert missing.exit_code == 1 and "no-reader" in missing.output and "Traceback" not in missing.output
