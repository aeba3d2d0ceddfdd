"""HTML: the visible text of block elements, headings kept, through the standard library's parser."""

from __future__ import annotations

from qa.ingest.documents import Document
from qa.ingest.html_text import html_blocks
from qa.ingest.readers.reader import Problems
from qa.ingest.readers.text import decode, stem_title


class HtmlReader:
    name = "html"
    suffixes = frozenset({".html", ".htm"})
    binary = False

    def sniff(self, data: bytes) -> bool:
        return False  # by its ending: a page saved as .txt is text its owner chose to keep as such

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        title, blocks = html_blocks(decode(data))
        return [Document(rel, rel, title or stem_title(rel), blocks, kind=self.name)]
