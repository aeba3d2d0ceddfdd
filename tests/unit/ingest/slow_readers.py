"""Fake readers for the time limits: a page that sleeps, a file stuck where no signal reaches it, a worker that dies.

Fakes because a real PDF that hangs pdfminer for good, or OCR stuck in its C code, cannot be made on
demand. They live in a module of their own, free of pytest, because parse workers are spawned and
import a reader's module to unpickle it.
"""

from __future__ import annotations

import signal
import time

from qa.ingest.documents import Block, Document
from qa.ingest.readers.page_clock import PageOver, current
from qa.ingest.readers.reader import Problems


class SlowPage:
    """A paged format of `pages` pages, each holding "page N"; page `slow` takes `seconds` to read."""

    name = "slow"
    suffixes = frozenset({".slow"})
    binary = True

    def __init__(self, pages: int = 3, slow: int = 2, seconds: float = 60.0) -> None:
        self.pages, self.slow, self.seconds = pages, slow, seconds

    def sniff(self, data: bytes) -> bool:
        return False

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        clock = current()
        blocks: list[Block] = []
        for number in range(1, self.pages + 1):
            try:
                with clock.page(number):
                    if number == self.slow:
                        time.sleep(self.seconds)
            except PageOver as exc:
                problems(f"{rel}:page {number}", str(exc))
                continue
            start = blocks[-1].end + 2 if blocks else 0
            text = f"page {number} of {rel}"
            blocks.append(Block(text, start, start + len(text), page=number))
        return [Document(rel, rel, rel, blocks, kind=self.name)]


class StuckInC:
    """Begins its first page and never comes back, deaf to the page's timer as C code in a loop would be."""

    name = "stuck"
    suffixes = frozenset({".stuck"})
    binary = True

    def sniff(self, data: bytes) -> bool:
        return False

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # the timer's signal never arrives
        with current().page(1):
            time.sleep(3600)
        return []


class Dies:
    """Takes its worker process down with it, as the kernel's out-of-memory killer would."""

    name = "dies"
    suffixes = frozenset({".dies"})
    binary = True

    def sniff(self, data: bytes) -> bool:
        return False

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        import os

        os._exit(137)
