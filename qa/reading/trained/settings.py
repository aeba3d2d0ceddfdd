"""A trained reader's settings as its folder's reader.json keeps them, and the calibration written back there.

What ships in `models/<name>/` is only what training changed (`reader.safetensors`, fp16) plus
`reader.json`; the frozen word embeddings come from the installed base model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG = "reader.json"
WEIGHTS = "reader.safetensors"
QUESTIONS = ("chinese", "other", "any")  # which questions a reader is given (ReaderSettings.questions)


@dataclass
class ReaderSettings:
    base: str  # embedded model name or folder the reader was trained over
    max_length: int = 256
    stride: int = 64
    # Chosen from labelled data by `ragqa calibrate-reader` (qa.evaluation.calibration), never by hand:
    threshold: float = 0.0  # no-answer cut on the combined score
    retrieval_weight: float = 0.0  # exponent of the retrieval score in the combined score
    quantize: bool = False  # int8 dynamic quantization of the linear layers when reading
    # The answer-type choice over the n-best (qa.reading.trained.answer_fit.choose), also chosen by calibration:
    type_ratio: float = 0.0  # a typed runner-up must score at least this share of the passage's best span
    type_penalty: float = 1.0  # combined-score factor of a passage with no span of the asked form
    # The answer sentence's share of the retrieval evidence (answering.blend_evidence), also calibrated.
    sentence_share: float = 0.0
    # Power of the sentence's relevance when choosing among a passage's spans (sentence_relevance.focus).
    sentence_focus: float = 0.0
    # The heuristic reader's score at which its answer stands in when this reader abstains (None: never).
    fallback_threshold: float | None = None
    # Which questions this reader is given: "chinese" (written mostly in Chinese characters), "other"
    # (the rest) or "any" (qa.reading.router). Set from measured reading in each language, not by base.
    questions: str = "chinese"

    def __post_init__(self) -> None:
        if self.questions not in QUESTIONS:
            raise ValueError(
                f"reader setting 'questions' must be one of {', '.join(QUESTIONS)}, not {self.questions!r}"
            )


def read_settings(folder: str | Path) -> ReaderSettings:
    """The settings in a reader folder's reader.json."""
    return ReaderSettings(**json.loads((Path(folder) / CONFIG).read_text(encoding="utf-8"))["settings"])


def record_calibration(folder: str | Path, chosen: dict[str, Any]) -> None:
    """Store a calibration's threshold and retrieval weight (and how they were chosen) in reader.json."""
    path = Path(folder) / CONFIG
    meta = json.loads(path.read_text(encoding="utf-8"))
    for key in ("threshold", "retrieval_weight", "type_ratio", "type_penalty", "sentence_share", "sentence_focus"):
        if key in chosen:
            meta["settings"][key] = chosen[key]
    meta["settings"]["fallback_threshold"] = chosen.get("fallback", {}).get("threshold")
    meta["calibration"] = {k: chosen[k] for k in ("settings", "cases", "chosen", "fallback") if k in chosen}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
