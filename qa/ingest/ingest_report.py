"""The report a build leaves beside its index: every file read and every file skipped, with the reason.

`<index>/ingest-report.json`, replaced after each `ragqa index` and `ragqa index --update` (by a
rename, so a reader sees the old report or the new one, never half of either). A build's summary
on the terminal scrolls away and a log may be lost; this stays with the index, for whoever asks why
a document is not found. It lists each file read (its kind, pages, documents, passages and
seconds, and the parts of it skipped, such as a page over its time limit) and each file skipped
whole with its reason, the totals, and the version of the index the corpus went into. It sits in
the index root, beside `CURRENT` and `versions/`: loading, pruning and the build lock
(`qa.store.versions`) look at those names only.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.ingest.corpus import CorpusReport, FileRead

log = logging.getLogger(__name__)

REPORT = "ingest-report.json"
FORMAT = 1  # raised when a field changes meaning


def ingest_report(
    corpus_dir: str | Path,
    corpus: CorpusReport,
    version: str | None,
    passages: dict[str, int],
    seconds: float,
) -> dict[str, Any]:
    """The report as JSON-ready data.

    Args:
        version: the index version the corpus was built into (the live one when an update changed nothing).
        passages: each document id's passages in that version.
        seconds: the whole build's time (reading, splitting, embedding, publishing).
    """
    read = [_read(f, passages) for f in corpus.files if f.skipped is None]
    skipped = [_skipped(f) for f in corpus.files if f.skipped is not None]
    return {
        "format": FORMAT,
        "version": version,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": str(Path(corpus_dir).resolve()),
        "limits": corpus.limits,
        "totals": {
            "files": len(corpus.files),
            "read": len(read),
            "skipped": len(skipped),
            "parts_skipped": sum(len(f.problems) for f in corpus.files),
            "pages": sum(f.pages for f in corpus.files),
            "documents": sum(r["documents"] for r in read),
            "passages": sum(r["passages"] for r in read),
            "reading_seconds": round(sum(f.seconds for f in corpus.files), 3),
            "seconds": round(seconds, 3),
        },
        "read": read,
        "skipped": skipped,
    }


def write_report(index_dir: str | Path, report: dict[str, Any]) -> Path | None:
    """Replace the root's report with `report` (mode 0644); None, with a warning, when it cannot be written.

    The index itself is already published when this runs, so a full disk costs the report, not the build.
    """
    target = Path(index_dir) / REPORT
    tmp = target.with_name(f".{REPORT}.tmp")  # one name: a leftover of a killed build is overwritten by the next
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o644)  # readable by whoever reads the index, whatever the umask
            json.dump(report, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        log.warning("the ingest report could not be written to %s: %s", target, exc)
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        return None
    return target


def _read(file: FileRead, passages: dict[str, int]) -> dict[str, Any]:
    return {
        "path": file.path,
        "kind": file.kind,
        "pages": file.pages,
        "documents": len(file.documents),
        "passages": sum(passages.get(doc, 0) for doc in file.documents),
        "seconds": round(file.seconds, 3),
        **({"unchanged": True} if file.unchanged else {}),  # carried over from the live version, not parsed
        **({"parts_skipped": _parts(file)} if file.problems else {}),
    }


def _skipped(file: FileRead) -> dict[str, Any]:
    return {
        "path": file.path,
        "kind": file.kind,
        "reason": file.skipped,
        **({"parts_skipped": _parts(file)} if file.problems else {}),
    }


def _parts(file: FileRead) -> list[dict[str, str]]:
    return [{"where": where, "reason": why} for where, why in file.problems]
