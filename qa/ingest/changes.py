"""What changed in a corpus since a version was built, document by document (by content hash)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.store.catalog import Entry


@dataclass
class Changes:
    """Document ids by what happened to them; `unchanged` keep their passages and vectors."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.deleted)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.deleted)} deleted, "
            f"{len(self.unchanged)} unchanged documents"
        )


def compare(before: Sequence[Entry], now: Sequence[tuple[str, str]]) -> Changes:
    """Compare a version's documents with the corpus's (id, content hash) pairs, in the corpus's order."""
    old = {e.id: e.hash for e in before}
    changes = Changes()
    for doc_id, digest in now:
        if doc_id not in old:
            changes.added.append(doc_id)
        elif old[doc_id] != digest:
            changes.changed.append(doc_id)
        else:
            changes.unchanged.append(doc_id)
    present = {doc_id for doc_id, _ in now}
    changes.deleted = [e.id for e in before if e.id not in present]
    return changes
