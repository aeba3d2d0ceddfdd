"""The lexical side of an index: BM25 (bm25s) over the tokens the questions are split into too."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa.text import index_tokens

if TYPE_CHECKING:
    import bm25s

DIR = "bm25"  # the version folder's sub-folder for it


def build(texts: Sequence[str]) -> bm25s.BM25:
    """Index texts for BM25 with the same tokenizer the questions will use."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG to stderr
    retriever = bm25s.BM25()
    retriever.index([index_tokens(t) for t in texts], show_progress=False)
    return retriever


def save(retriever: bm25s.BM25, index_dir: Path) -> None:
    retriever.save(str(index_dir / DIR), show_progress=False)


def load(files: dict[str, bytes]) -> bm25s.BM25:
    """Load BM25 from the verified bytes of its files (by name inside the bm25 folder).

    bm25s reads only from a folder, so the bytes go to a private temporary one: the index
    folder itself is never read a second time after its checksums were checked.
    """
    import tempfile

    import bm25s

    with tempfile.TemporaryDirectory(prefix="ragqa-bm25-") as tmp:
        for name, blob in files.items():
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
        return bm25s.BM25.load(tmp, show_progress=False, verbosity=0)
