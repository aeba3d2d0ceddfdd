"""Reading a corpus folder: formats, skipped files, the checksum, and block offsets into the source.

Every test builds a tiny real corpus in `tmp_path` and reads it with `read_corpus`, the same call
the index build makes.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from qa.errors import CorpusError
from qa.ingest.corpus import read_corpus
from qa.ingest.html_text import html_blocks
from qa.ingest.readers.text import join_lines, text_blocks
from tests.helpers import covers


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def visible(raw_html: str) -> str:
    """What a browser would show for a slice of HTML: tags dropped, entities decoded, spaces collapsed."""
    shown = re.sub(r"<(script|style)\b.*?</\1\s*>", "", raw_html, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", shown)).split())


def doc_by_path(report, rel: str):
    return next(d for d in report.documents if d.path == rel)


# --- folders and formats -------------------------------------------------------------------------


def test_reads_supported_files_recursively(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "Plain text paragraph.\n")
    write(tmp_path, "notes/b.md", "# Notes\n\nA markdown paragraph.\n")
    write(tmp_path, "notes/deeper/c.html", "<p>An HTML paragraph.</p>")
    write(tmp_path, "notes/deeper/d.HTM", "<p>Upper-case suffix.</p>")
    write(tmp_path, "e.jsonl", json.dumps({"id": "e1", "title": "E", "text": "A JSONL record."}) + "\n")

    report = read_corpus(tmp_path)

    kinds = {d.path: d.kind for d in report.documents}
    assert kinds == {
        "a.txt": "text",
        "notes/b.md": "markdown",
        "notes/deeper/c.html": "html",
        "notes/deeper/d.HTM": "html",
        "e.jsonl": "jsonl",
    }
    assert report.skipped == []


def test_documents_come_in_a_stable_order(tmp_path: Path) -> None:
    for name in ["b.txt", "a/z.txt", "c.md", "a/b.txt"]:
        write(tmp_path, name, f"Text of {name}.\n")

    first = [d.path for d in read_corpus(tmp_path).documents]

    assert first == sorted(first)
    assert [d.path for d in read_corpus(tmp_path).documents] == first


def test_missing_folder_is_an_error_that_names_it(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not-there"):
        read_corpus(tmp_path / "not-there")


def test_text_paragraphs_split_at_blank_lines(tmp_path: Path) -> None:
    # A "blank" line on a pasted page often holds spaces or an ideographic space.
    source = "第一段第一行，\n第一段第二行。\n\n第二段。\n \u3000\n第三段。\n\n\n\n"
    write(tmp_path, "page.txt", source)

    doc = read_corpus(tmp_path).documents[0]

    assert [b.text for b in doc.blocks] == ["第一段第一行，第一段第二行。", "第二段。", "第三段。"]
    assert all(b.heading == 0 for b in doc.blocks)


def test_markdown_hash_lines_become_headings(tmp_path: Path) -> None:
    write(
        tmp_path, "guide.md", "# Install Guide\n\nDownload the package.\n\n## Upgrading ##\nRun the upgrade command.\n"
    )
    write(tmp_path, "plain.txt", "# Not a heading in plain text\n\nBody.\n")

    report = read_corpus(tmp_path)

    guide = doc_by_path(report, "guide.md")
    assert [(b.text, b.heading) for b in guide.blocks] == [
        ("Install Guide", 1),
        ("Download the package.", 0),
        ("Upgrading", 2),
        ("Run the upgrade command.", 0),
    ]
    plain = doc_by_path(report, "plain.txt")
    assert plain.blocks[0].text == "# Not a heading in plain text"
    assert plain.blocks[0].heading == 0


def test_a_file_title_comes_from_its_name(tmp_path: Path) -> None:
    write(tmp_path, "harbour_expansion-2024.txt", "Body text.\n")

    assert read_corpus(tmp_path).documents[0].title == "harbour expansion 2024"


HTML_PAGE = """<!doctype html>
<html><head><title>Harbour &amp; Port News</title>
<style>p { color: red; }</style>
<script>var secret = "script text is not content";</script></head>
<body>
<h1>Harbour Expansion</h1>
<p>The port handled 3.5 million containers &mdash; a record.
It plans a <b>second</b> terminal.</p>
<p>&lt;img src=x onerror=alert(1)&gt; is how markup is written as text.</p>
<img src=x onerror=alert(1)>
<h2>Funding</h2>
<div>Bonds &amp; loans pay for it.<br>The city adds grants.</div>
<noscript>Enable JavaScript</noscript>
<p>中文段落：港口吞吐量创新高。</p>
</body></html>
"""


def test_html_visible_text(tmp_path: Path) -> None:
    write(tmp_path, "port.html", HTML_PAGE)

    doc = read_corpus(tmp_path).documents[0]

    assert doc.title == "Harbour & Port News"
    assert [(b.text, b.heading) for b in doc.blocks] == [
        ("Harbour Expansion", 1),
        ("The port handled 3.5 million containers \u2014 a record. It plans a second terminal.", 0),
        ("<img src=x onerror=alert(1)> is how markup is written as text.", 0),
        ("Funding", 2),
        ("Bonds & loans pay for it.", 0),
        ("The city adds grants.", 0),
        ("中文段落：港口吞吐量创新高。", 0),
    ]
    everything = " ".join(b.text for b in doc.blocks)
    assert "script text" not in everything
    assert "color: red" not in everything
    assert "Enable JavaScript" not in everything


def test_html_title_falls_back_to_the_first_h1_then_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, "with_h1.html", "<body><h2>Sub</h2><h1>Main Heading</h1><p>Text.</p></body>")
    write(tmp_path, "bare_page.html", "<p>Only a paragraph.</p>")

    report = read_corpus(tmp_path)

    assert doc_by_path(report, "with_h1.html").title == "Main Heading"
    assert doc_by_path(report, "bare_page.html").title == "bare page"


@pytest.mark.parametrize(
    "page",
    [
        HTML_PAGE,
        "<p>one</p><p>two &amp; three</p>",
        "<ul>\n  <li>  first item  </li>\n  <li>second\n   item</li>\n</ul>",
        "text before any tag\n<p>then a paragraph</p>\ntrailing text",
        "<div>outer <span>inline</span> text<div>inner block</div>after inner</div>",
        "<p>before<script>if (a < b) { hidden() }</script>after</p>",
        pytest.param(
            "<p>&nbsp;Leading entity space.</p>",
        ),
    ],
)
def test_html_block_offsets_point_at_the_text_in_the_raw_source(page: str) -> None:
    _, blocks = html_blocks(page)

    assert blocks
    for block in blocks:
        assert visible(page[block.start : block.end]) == block.text


def test_html_self_closing_br_in_a_heading_reads_like_br() -> None:
    _, plain = html_blocks("<h2>Line one<br>Line two</h2><p>Body.</p>")
    _, self_closing = html_blocks("<h2>Line one<br/>Line two</h2><p>Body.</p>")

    assert [(b.text, b.heading) for b in self_closing] == [(b.text, b.heading) for b in plain]


def test_jsonl_records_become_documents_and_bad_lines_are_reported(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "faq-1", "title": "Opening hours", "text": "We open at nine.\n\nWe close at five."}),
        "{not json",
        json.dumps([1, 2, 3]),
        json.dumps({"id": "no-text", "title": "Missing text"}),
        "",
        json.dumps({"id": "faq-2", "title": "门票", "text": 60}),
        json.dumps({"title": "No id", "text": "An anonymous record."}, ensure_ascii=False),
        json.dumps({"id": "faq-3", "text": "博物馆成人门票为60元。"}, ensure_ascii=False),
    ]
    write(tmp_path, "data/faq.jsonl", "\n".join(lines) + "\n")
    write(tmp_path, "after.txt", "A file after the bad lines is still read.\n")

    report = read_corpus(tmp_path)

    records = [d for d in report.documents if d.kind == "jsonl"]
    assert [(d.id, d.title, d.line, d.path) for d in records] == [
        ("faq-1", "Opening hours", 1, "data/faq.jsonl"),
        ("data/faq.jsonl:7", "No id", 7, "data/faq.jsonl"),
        ("faq-3", "faq-3", 8, "data/faq.jsonl"),
    ]
    assert [b.text for b in records[0].blocks] == ["We open at nine.", "We close at five."]
    assert sorted(s.split(": ")[0] for s in report.skipped) == [
        "data/faq.jsonl:2",
        "data/faq.jsonl:3",
        "data/faq.jsonl:4",
        "data/faq.jsonl:6",
    ]
    assert all('"text"' in s for s in report.skipped)
    assert "after.txt" in [d.path for d in report.documents]


def test_jsonl_block_offsets_are_into_the_record_text(tmp_path: Path) -> None:
    text = "  第一段，\n  折行的第二行。\n\nSecond paragraph of the\nrecord, wrapped.\n"
    write(tmp_path, "r.jsonl", json.dumps({"id": "r1", "title": "R", "text": text}) + "\n")

    doc = read_corpus(tmp_path).documents[0]

    assert [b.text for b in doc.blocks] == ["第一段，折行的第二行。", "Second paragraph of the record, wrapped."]
    for block in doc.blocks:
        assert covers(text[block.start : block.end], block.text)
        assert text[block.start] == block.text[0] and text[block.end - 1] == block.text[-1]


def test_jsonl_record_text_with_windows_line_breaks(tmp_path: Path) -> None:
    record = {"id": "w1", "title": "W", "text": "First paragraph here.\r\n\r\nSecond paragraph here."}
    write(tmp_path, "w.jsonl", json.dumps(record) + "\n")

    doc = read_corpus(tmp_path).documents[0]

    assert [b.text for b in doc.blocks] == ["First paragraph here.", "Second paragraph here."]


# --- what is skipped ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clip.MP4", "README", "sub/data.xyz", "archive.tar.gz"])
def test_unknown_file_types_are_skipped_with_a_reason(tmp_path: Path, name: str) -> None:
    write(tmp_path, name, "some content\n")
    write(tmp_path, "kept.txt", "Kept text.\n")

    report = read_corpus(tmp_path)

    assert [d.path for d in report.documents] == ["kept.txt"]
    assert len(report.skipped) == 1
    assert report.skipped[0].startswith(f"{name}: ")
    assert "unsupported file type" in report.skipped[0]


@pytest.mark.parametrize("name", ["gbk.txt", "notes/gbk.md", "gbk.html", "gbk.jsonl"])
def test_a_non_utf8_file_is_reported_by_name_and_skipped(tmp_path: Path, name: str) -> None:
    write(tmp_path, name, "张江科学城的生物医药产业集群。\n".encode("gbk"))
    write(tmp_path, "zz-after.txt", "Files after it are still read.\n")

    report = read_corpus(tmp_path)

    assert [d.path for d in report.documents] == ["zz-after.txt"]
    assert len(report.skipped) == 1
    assert report.skipped[0].startswith(f"{name}: ")
    assert "UTF-8" in report.skipped[0]


def test_a_utf8_byte_order_mark_is_not_text(tmp_path: Path) -> None:
    write(tmp_path, "bom.txt", "\ufeff标题\n\n正文。\n".encode("utf-8"))

    doc = read_corpus(tmp_path).documents[0]

    assert doc.blocks[0].text == "标题"
    assert doc.blocks[0].start == 0


@pytest.mark.parametrize("hidden", [".hidden.txt", ".git/config.txt", ".cache/sub/page.md", "sub/.DS_Store"])
def test_hidden_files_and_folders_are_ignored(tmp_path: Path, hidden: str) -> None:
    write(tmp_path, hidden, "Hidden text.\n")
    write(tmp_path, "sub/visible.txt", "Visible text.\n")

    report = read_corpus(tmp_path)

    assert [d.path for d in report.documents] == ["sub/visible.txt"]
    assert report.skipped == []


# --- the checksum ---------------------------------------------------------------------------------


def small_corpus(root: Path) -> None:
    write(root, "a.txt", "Alpha text.\n")
    write(root, "sub/b.md", "# B\n\nBeta text.\n")


@pytest.mark.parametrize(
    "change",
    [
        lambda root: write(root, "a.txt", "Alpha text, edited.\n"),
        lambda root: write(root, "a.txt", "Alpha text.\n\n"),
        lambda root: write(root, "c.txt", "A new file.\n"),
        lambda root: (root / "sub" / "b.md").unlink(),
        lambda root: (root / "a.txt").rename(root / "renamed.txt"),
    ],
    ids=["edit", "whitespace-edit", "add", "delete", "rename"],
)
def test_checksum_changes_when_a_file_changes(tmp_path: Path, change) -> None:
    small_corpus(tmp_path)
    before = read_corpus(tmp_path).checksum

    change(tmp_path)

    assert read_corpus(tmp_path).checksum != before


def test_checksum_is_stable_otherwise(tmp_path: Path) -> None:
    small_corpus(tmp_path)
    before = read_corpus(tmp_path).checksum

    # Files that are not documents do not change what the index is built from.
    write(tmp_path, ".DS_Store", "finder noise")
    write(tmp_path, "a.txt", "Alpha text.\n")  # rewritten with the same bytes

    assert re.fullmatch(r"[0-9a-f]{64}", before)
    assert read_corpus(tmp_path).checksum == before


def test_checksum_does_not_depend_on_where_the_folder_lives(tmp_path: Path) -> None:
    small_corpus(tmp_path / "one")
    small_corpus(tmp_path / "two")

    assert read_corpus(tmp_path / "one").checksum == read_corpus(tmp_path / "two").checksum


# --- offsets of plain-text blocks -----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "单行段落。\n\n另一段。",
        "  缩进的中文段落，\n  折行后继续。\n\n\u3000\u3000全角空格缩进的段落。\n",
        "The first paragraph is wrapped\nacross three lines of\nplain text.\n\nA second one.\n",
        "A photo-\nvoltaic panel, hyphenated at the line end.\n",
        "Trailing spaces on a line   \n\t and a tab-indented continuation.\n",
        "# Title\n\nText under it.\n",
    ],
)
def test_text_block_offsets_cover_the_block_text(source: str) -> None:
    for markdown in (False, True):
        for block in text_blocks(source, markdown=markdown):
            raw = source[block.start : block.end]
            if "\n" in raw:
                assert covers(raw, block.text)
                assert raw[0] == block.text[0] and raw[-1] == block.text[-1]
            else:
                assert raw == block.text


def test_offsets_are_into_the_file_as_python_reads_it(tmp_path: Path) -> None:
    # Windows line breaks: offsets count one character per line break, as text-mode reading does.
    write(tmp_path, "crlf.txt", b"Title Line\r\n\r\nFirst line of the paragraph\r\nand its second line.\r\n")

    doc = read_corpus(tmp_path).documents[0]
    source = (tmp_path / "crlf.txt").read_text(encoding="utf-8")

    assert [b.text for b in doc.blocks] == ["Title Line", "First line of the paragraph and its second line."]
    for block in doc.blocks:
        assert covers(source[block.start : block.end], block.text)
        assert "\r" not in block.text


@pytest.mark.parametrize(
    ("parts", "joined"),
    [
        (["张江科学城", "生物医药产业"], "张江科学城生物医药产业"),
        (["wrapped English", "text"], "wrapped English text"),
        (["a photo-", "voltaic panel"], "a photovoltaic panel"),
        (["in 2024 -", "the year"], "in 2024 - the year"),  # a dash after a space is not a broken word
        (["发布了GPT", "模型"], "发布了GPT模型"),
        (["他说", "“好”"], "他说“好”"),
        (["a claim", "。"], "a claim。"),
        ([], ""),
    ],
)
def test_join_lines(parts: list[str], joined: str) -> None:
    assert join_lines(parts) == joined


# --- links, deep trees, special and huge files (issue 29) ----------------------------------------


def test_a_link_leading_outside_the_corpus_is_skipped_and_its_target_never_read(tmp_path: Path) -> None:
    outside = write(tmp_path, "private/passwd", "root:x:0:0:secret-outside-the-corpus\n")
    corpus = tmp_path / "corpus"
    write(corpus, "kept.txt", "Kept text.\n")
    (corpus / "passwd-link.txt").symlink_to(outside)
    (corpus / "etc").symlink_to(outside.parent, target_is_directory=True)
    (corpus / "relative.txt").symlink_to(Path("..") / "private" / "passwd")

    report = read_corpus(corpus)

    assert [d.path for d in report.documents] == ["kept.txt"]
    assert not any("secret-outside" in b.text for d in report.documents for b in d.blocks)
    for name in ("etc", "passwd-link.txt", "relative.txt"):
        (reason,) = [s for s in report.skipped if s.startswith(f"{name}: ")]
        assert "outside the corpus folder" in reason


def test_a_link_inside_the_corpus_is_skipped_as_its_target_is_read_under_its_own_name(tmp_path: Path) -> None:
    write(tmp_path, "real/page.txt", "The one copy.\n")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real" / "page.txt")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)  # a folder linking to its parent

    report = read_corpus(tmp_path)

    assert [d.path for d in report.documents] == ["real/page.txt"]
    assert any(s.startswith("alias.txt: ") and "real/page.txt" in s for s in report.skipped)
    assert any(s.startswith("loop: ") for s in report.skipped)


def test_a_corpus_nested_thousands_of_folders_deep_is_read_without_a_recursion_error(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(1500):  # one level at a time: Path.mkdir(parents=True) itself recurses
        deep = deep / "d"
        deep.mkdir()
    (deep / "bottom.txt").write_text("At the bottom.\n", encoding="utf-8")

    try:
        report = read_corpus(tmp_path)
    finally:  # bottom up, one level at a time: pytest's own clean-up (shutil.rmtree) recurses too
        (deep / "bottom.txt").unlink()
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent

    assert [d.blocks[0].text for d in report.documents] == ["At the bottom."]


def test_a_file_over_the_size_limit_is_skipped_with_the_reason(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, "big.txt", "大" * 400_000)  # 1.2 MB
    write(tmp_path, "small.txt", "Small text.\n")

    report = read_corpus(tmp_path, max_file_bytes=2**20)
    monkeypatch.setenv("RAGQA_MAX_FILE_MB", "0.5")
    from_env = read_corpus(tmp_path)

    for got in (report, from_env):
        assert [d.path for d in got.documents] == ["small.txt"]
        (reason,) = got.skipped
        assert reason.startswith("big.txt: 1.1 MB is over the") and "RAGQA_MAX_FILE_MB" in reason
    assert [d.path for d in read_corpus(tmp_path, max_file_bytes=2 * 2**20).documents] == ["big.txt", "small.txt"]


def test_a_fifo_in_the_corpus_is_skipped_not_waited_on(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.txt")
    write(tmp_path, "kept.txt", "Kept text.\n")

    report = read_corpus(tmp_path)

    assert [d.path for d in report.documents] == ["kept.txt"]
    assert report.skipped == ["pipe.txt: not a regular file (a device, socket or pipe)"]


def test_a_jsonl_record_with_a_lone_surrogate_is_refused_at_the_door(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok", "text": "正常的记录。"}),
        '{"id": "half", "text": "broken \\ud800 pair"}',
        '{"id": "title\\udfff", "text": "fine text"}',
        json.dumps({"id": "pair", "text": "a real pair 😀 stays"}),
    ]
    write(tmp_path, "r.jsonl", "\n".join(lines) + "\n")

    report = read_corpus(tmp_path)

    assert [d.id for d in report.documents] == ["ok", "pair"]
    assert [s.split(": ")[0] for s in report.skipped] == ["r.jsonl:2", "r.jsonl:3"]
    assert all("lone surrogate" in s for s in report.skipped)


def test_files_come_in_the_order_of_the_sorted_paths(tmp_path: Path) -> None:
    # The corpus checksum hashes files in this order, so it must not change with how they are found.
    for rel in ["a-b.txt", "a/b.txt", "a.b.txt", "A.txt", "a/a/z.txt", "b.txt", "a b.txt", "ä.txt", "a/b/c.txt"]:
        write(tmp_path, rel, f"{rel}\n")

    expected = [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*")) if p.is_file()]
    assert [d.path for d in read_corpus(tmp_path).documents] == expected


def test_progress_in_a_log_is_whole_lines_not_redraws(capsys) -> None:
    from embeddings.progress import bar

    with bar(3_000) as progress:
        for _ in range(3):
            progress.update(1_000)

    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    assert lines[0].startswith("embedding:") and "0/3000" in lines[0]
    assert "3000/3000" in lines[-1] and len(lines) <= 3


# --- an empty collection (issue 30) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "files,named",
    [
        ({}, None),
        ({"clip.mp4": b"\x00\x00\x00\x18ftypmp42"}, "clip.mp4: unsupported file type"),
        ({"empty.txt": b""}, "empty.txt: the file is empty"),
        ({"blank.md": b"\n\n   \n"}, None),
    ],
    ids=["empty folder", "all unsupported", "a 0-byte file", "only blank lines"],
)
def test_a_collection_with_nothing_to_index_is_refused_with_the_reason(
    tmp_path: Path, files: dict, named: str | None
) -> None:
    for name, data in files.items():
        write(tmp_path, name, data)

    with pytest.raises(CorpusError, match="no documents with text to index") as refused:
        read_corpus(tmp_path).require_documents(tmp_path)

    if named:
        assert named in str(refused.value)  # the first skipped file and its reason


def test_the_checksum_of_the_bytes_alone_is_the_one_reading_gives(tmp_path: Path) -> None:
    from qa.ingest.corpus import corpus_checksum

    small_corpus(tmp_path)
    write(tmp_path, "photo.png", b"\x89PNG")
    write(tmp_path, "gbk.txt", "编码".encode("gbk"))
    assert corpus_checksum(tmp_path) == read_corpus(tmp_path).checksum
    before = corpus_checksum(tmp_path)
    write(tmp_path, "gbk.txt", "编码".encode())  # a skipped file made readable is a change
    assert corpus_checksum(tmp_path) != before
