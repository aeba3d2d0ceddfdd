"""The peer side of the side-by-side benchmark: txtai 9.14 doing ragqa's job on the same passages.

Runs in its own virtual environment (`bench/peer_setup.sh` makes `bench/.venv-txtai`); txtai is never
a dependency of ragqa, and this script imports no ragqa package when it benchmarks. Two modes:

    # in the project venv: write ragqa's trained reader as a plain transformers folder
    .venv/bin/python bench/peer_txtai.py export-reader var/peer/reader-e5-small

    # in the peer venv: index, ask, score
    bench/.venv-txtai/bin/python bench/peer_txtai.py --documents DOCS.jsonl --questions QS.jsonl \
        --embedding-model ~/.cache/ragqa/models/multilingual-e5-small \
        --reader var/peer/reader-e5-small --out result.json [--threads 2]

Inputs, written by the ragqa side: DOCS.jsonl holds one passage a line, {"id", "text"} (the passages
ragqa indexes); QS.jsonl one question a line, {"id", "question", "answers": [...]}.

What txtai is given:
- Embeddings: the same multilingual-e5-small folder, loaded by txtai's default method for a local
  folder ("transformers": mean pooling, as the folder's 1_Pooling says; txtai normalises the vectors;
  512-token truncation from the tokenizer, as sentence-transformers' max_seq_length). e5's prompts go
  in through txtai's `instructions` config, {"query": "query: ", "data": "passage: "}; with
  `instructions` set, txtai does not also load the folder's own prompts, so nothing is doubled.
- Hybrid BM25 with jieba: txtai's scoring `tokenizer` setting only takes keyword arguments of its own
  Tokenizer (Unicode word boundaries, regexp, n-grams; CJK text falls apart into single characters),
  no callable. Its documented extension point is a custom scoring class named by its import path in
  `scoring.method`, so `JiebaBM25` below subclasses txtai's BM25 and overrides `loadtokenizer` only:
  lower-cased jieba search-mode words (`lcut_for_search`), tokens without a letter or digit dropped.
  It tokenises both the indexed passages and the queries. BM25 scores are normalised
  (`"normalize": True`), so txtai fuses dense and sparse by a 0.5/0.5 weighted sum of normalised
  scores (its convex fusion; without `normalize` it uses reciprocal rank fusion), the configuration
  recorded as txtai's best in ../shared/NOTES.md; txtai takes 10 x top-k candidates a side.
- Reader: txtai.pipeline.Extractor over the embeddings, given txtai's Questions pipeline over the
  exported reader folder (export-reader above), context = top 5 passages, output "flatten".
  ragqa's reader (models/reader-e5-small/reader.json: max_length 192, stride 64, calibrated
  no-answer threshold 0.399) reads each passage on its own in 192-token windows with a 64-token
  stride and picks among the n-best spans inside the passage. txtai 9.14's Questions pipeline has no
  max_length or stride option, so comparable settings cannot be given: it joins the 5 passages with a
  space into one context, runs one forward pass truncated to the tokenizer's model_max_length (512
  tokens, about 1.5 DRCD passages; top-5 contexts were 1,200-1,650 tokens in the tiny run), takes the
  argmax start and argmax end over all tokens, and answers None when P(start) * P(end) < 0.05.
  Two minimal changes in a Questions subclass (`_questions`), passed to Extractor as its model:
  1. Guard: txtai 9.14 raises TypeError when the argmax start or end is not a context token ([CLS],
     </s> or the question: token_to_word gives None). This reader never had those positions decoded
     (ragqa only reads passage tokens), so it happens often; such an answer is None here.
  2. `--spans tokens` (default): the answer is the tokenizer's decoding of the predicted tokens.
     txtai maps a span through word_to_chars, i.e. whole pre-tokenizer words; the e5 tokenizer's
     pre-tokenizer does not split Chinese characters apart, so a "word" is a whole run of text: txtai as
     shipped answers with entire sentences or passages (EM 0 in the tiny run). `--spans words` keeps
     txtai's mapping. (That tokenizer's own char offsets also drift on non-ASCII text, see
     qa/reading/trained/token_offsets.py, so they cannot be used instead.)
- ragqa folds Traditional Chinese to Simplified (OpenCC, per character) and full-width letters and
  digits to half-width before its reader reads, as it was trained; txtai reads text as given.
  `--fold` gives txtai the same folding of passages and questions before indexing (and folds the gold
  answers before scoring, so EM/F1 compare like with like). It did not help in the tiny run.

Scoring: EM and F1 as ragqa's qa/evaluation/metrics.py (official CMRC 2018: character-level for
Chinese, LCS-based F1), copied below, not imported. A question with no answer scores 0.
Timing: build = Embeddings.index over all passages (model load timed apart); ask = one Extractor
call per question, one at a time, after one warm-up question; p50/p95/mean in ms. rss_mb is the process's
max resident set size (resource.getrusage) after the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ENGINE = "txtai 9.14.0"
E5_INSTRUCTIONS = {"query": "query: ", "data": "passage: "}
TOP_K = 5


# --- scoring: a copy of qa/evaluation/metrics.py (no ragqa import in this venv) -------------------

_OFFICIAL_PUNCT = set("-:_*^/\\~`+=，。：？！“”；’《》……·、「」（）－～『』")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _is_punct(char: str) -> bool:
    return char in _OFFICIAL_PUNCT or unicodedata.category(char)[0] in "PS"


def normalize_answer(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if not c.isspace() and not _is_punct(c))


def segment(text: str) -> list[str]:
    tokens: list[str] = []
    run = ""
    for char in unicodedata.normalize("NFKC", text).lower():
        if char.isspace() or _is_punct(char):
            tokens.extend(_WORD.findall(run))
            run = ""
        elif _CJK.match(char):
            tokens.extend(_WORD.findall(run))
            run = ""
            tokens.append(char)
        else:
            run += char
    tokens.extend(_WORD.findall(run))
    return tokens


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def exact_match(prediction: str | None, answers: Sequence[str]) -> float:
    if prediction is None or not answers:
        return 0.0
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(a) for a in answers))


def f1(prediction: str | None, answers: Sequence[str]) -> float:
    if prediction is None or not answers:
        return 0.0
    pred = segment(prediction)
    best = 0.0
    for answer in answers:
        gold = segment(answer)
        common = _lcs_length(gold, pred)
        if common == 0:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


# --- export mode (project venv only) -------------------------------------------------------------


def export_reader(out: str, folder: str = "models/reader-e5-small") -> None:
    """Write ragqa's trained reader as a transformers folder (BertForQuestionAnswering + tokenizer), fp32."""
    from qa.reading.trained.loading import _torch_model, load_reader
    from qa.reading.trained.settings import read_settings

    reader = load_reader(folder, inference="torch")
    model = reader.model
    if read_settings(folder).quantize:  # reader.model is then int8; txtai gets the torch model it was made from
        from embeddings.encoder import resolve_model

        base_name = reader.settings.base
        model = _torch_model(Path(folder), resolve_model(base_name)[1], base_name)
    model.save_pretrained(out)
    reader.tokenizer.save_pretrained(out)
    print(
        f"exported {folder} ({type(model).__name__}, max_length {reader.settings.max_length}, "
        f"stride {reader.settings.stride}) to {out}"
    )


# --- benchmark mode (peer venv only) -------------------------------------------------------------


def _register_jieba_bm25() -> str:
    """Define JiebaBM25 (txtai's BM25, jieba tokens) on this module; return its path for `scoring.method`."""
    import jieba
    from txtai.scoring import BM25

    jieba.setLogLevel(60)
    jieba.initialize()
    wordish = re.compile(r"\w")

    def tokenize(text: str) -> list[str]:
        return [w for w in jieba.lcut_for_search(text.lower()) if wordish.search(w)]

    class JiebaBM25(BM25):
        def loadtokenizer(self) -> Callable[[str], list[str]]:
            return tokenize

    module = sys.modules[__name__]
    module.JiebaBM25 = JiebaBM25  # type: ignore[attr-defined]
    return f"{__name__}.JiebaBM25"


def _questions(path: str, spans: str) -> Any:
    """txtai's Questions pipeline, guarded where 9.14 raises, with the span-to-text mapping chosen."""
    from txtai.pipeline import Questions

    class GuardedQuestions(Questions):
        def answer(self, context: str, tokens: Any, start: Any, end: Any) -> str | None:
            start, end = int(start), int(end)
            if end < start or tokens.token_to_sequence(start) != 1 or tokens.token_to_sequence(end) != 1:
                return None  # argmax on [CLS], </s> or the question, or an inverted span: txtai 9.14 raises here
            if spans == "tokens":
                return self.tokenizer.decode(tokens["input_ids"][0][start : end + 1], skip_special_tokens=True).strip()
            return super().answer(context, tokens, start, end)

    return GuardedQuestions(path)


def _read_jsonl(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _folder(fold: bool) -> Callable[[str], str]:
    """ragqa's qa.text.fold: OpenCC t2s per string, kept only when the length holds; full-width -> half-width."""
    if not fold:
        return lambda text: text
    try:
        import opencc
    except ImportError:
        sys.exit("--fold needs OpenCC in the peer venv: bench/.venv-txtai/bin/pip install OpenCC")
    converter = opencc.OpenCC("t2s")
    half = {
        c: c - 0xFEE0 for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(lo, hi + 1)
    }

    def fold_text(text: str) -> str:
        text = text.translate(half)
        converted = converter.convert(text).replace("甚么", "什么")
        return converted if len(converted) == len(text) else text

    return fold_text


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models are local folders; no hub lookups
    import torch
    from txtai import Embeddings
    from txtai.pipeline import Extractor

    torch.set_num_threads(args.threads)
    try:
        import faiss

        faiss.omp_set_num_threads(args.threads)
    except (ImportError, AttributeError):
        pass

    fold = _folder(args.fold)
    docs = _read_jsonl(args.documents)
    questions = _read_jsonl(args.questions)
    passages = [(d["id"], fold(d["text"]), None) for d in docs]

    config = {
        "path": args.embedding_model,
        "content": True,
        "hybrid": True,
        "instructions": E5_INSTRUCTIONS,
        "scoring": {"method": _register_jieba_bm25(), "terms": True, "normalize": True},
    }
    started = time.perf_counter()
    embeddings = Embeddings(config)
    load_s = time.perf_counter() - started

    started = time.perf_counter()
    embeddings.index(passages)
    build_s = time.perf_counter() - started
    chars = sum(len(text) for _, text, _ in passages)

    extractor = Extractor(embeddings, _questions(args.reader, args.spans), context=TOP_K, output="flatten")

    def ask(question: str) -> str | None:
        return extractor([question])[0]

    ask(fold(questions[0]["question"]))  # warm-up, not timed
    times, ems, f1s, unanswered = [], [], [], 0
    for q in questions:
        started = time.perf_counter()
        answer = ask(fold(q["question"]))
        times.append((time.perf_counter() - started) * 1000)
        gold = [fold(a) for a in q["answers"]]
        unanswered += answer is None
        ems.append(exact_match(answer, gold))
        f1s.append(f1(answer, gold))
        if args.verbose:
            print(json.dumps({"id": q["id"], "answer": answer, "gold": q["answers"][:3]}, ensure_ascii=False))

    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "engine": ENGINE,
        "build": {
            "passages": len(passages),
            "characters": chars,
            "seconds": round(build_s, 3),
            "passages_per_s": round(len(passages) / build_s, 2),
            "characters_per_s": round(chars / build_s, 1),
            "model_load_s": round(load_s, 3),
        },
        "ask": {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(_percentile(times, 0.95), 1),
            "mean_ms": round(statistics.fmean(times), 1),
            "n": len(times),
            "unanswered": unanswered,
        },
        "em": round(100 * statistics.fmean(ems), 2),
        "f1": round(100 * statistics.fmean(f1s), 2),
        "rss_mb": round(rss_kb / 1024, 1),
        "threads": args.threads,
        "config": {
            "top_k": TOP_K,
            "instructions": E5_INSTRUCTIONS,
            "scoring": "bm25, jieba lcut_for_search tokens, normalized, convex 0.5/0.5 hybrid",
            "reader": "txtai Questions: top-5 joined, one 512-token window, no stride, min score 0.05",
            "fold": args.fold,
            "spans": args.spans,
            "embedding_model": args.embedding_model,
            "reader_path": args.reader,
        },
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export-reader"]:
        parser = argparse.ArgumentParser(prog="peer_txtai.py export-reader")
        parser.add_argument("out")
        parser.add_argument("--folder", default="models/reader-e5-small")
        ns = parser.parse_args(argv[1:])
        export_reader(ns.out, ns.folder)
        return
    parser = argparse.ArgumentParser(description="txtai 9.14 on ragqa's passages and questions")
    parser.add_argument("--documents", required=True, help="DOCS.jsonl: {id, text} a line")
    parser.add_argument("--questions", required=True, help="QS.jsonl: {id, question, answers} a line")
    parser.add_argument("--embedding-model", required=True, help="multilingual-e5-small folder")
    parser.add_argument("--reader", required=True, help="folder written by export-reader")
    parser.add_argument("--out", required=True, help="result.json")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fold", action="store_true", help="fold Traditional->Simplified, full->half width (as ragqa)")
    parser.add_argument(
        "--spans",
        choices=("words", "tokens"),
        default="tokens",
        help="answer text from the predicted tokens (default) or, as txtai ships, from whole pre-tokenizer words",
    )
    parser.add_argument("--verbose", action="store_true", help="print each answer")
    args = parser.parse_args(argv)
    result = run(args)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    b, a = result["build"], result["ask"]
    print(
        f"{ENGINE}: {b['passages']} passages in {b['seconds']} s ({b['passages_per_s']} passages/s, "
        f"{b['characters_per_s']} chars/s); {a['n']} questions p50 {a['p50_ms']} ms p95 {a['p95_ms']} ms "
        f"mean {a['mean_ms']} ms; "
        f"EM {result['em']} F1 {result['f1']} ({a['unanswered']} unanswered); max RSS {result['rss_mb']} MB; "
        f"{result['threads']} threads; spans {args.spans}, fold {args.fold}"
    )


if __name__ == "__main__":
    main()
