"""Fine-tune an extractive reader (`ragqa train-reader`): SQuAD-format data in, a `models/` folder out.

Each question becomes SQuAD-style windows (`qa.reading.trained.windows`); a window holding the whole answer is
labelled with its tokens, one without it with [CLS], so the reader learns to say "not here".
Traditional Chinese is folded to Simplified first (OpenCC, per character, offsets unchanged).
Training saves a checkpoint every `checkpoint_every` steps and resumes from it, so a run can be
spread over sessions. The word-embedding matrix is frozen and not shipped (see extractive_reader).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.evaluation.datasets import in_fold, parse_fold
from qa.reading.trained.loading import load_weights
from qa.reading.trained.settings import CONFIG, WEIGHTS, ReaderSettings
from qa.reading.trained.windows import make_windows, token_span
from qa.text import to_simplified

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainingConfig:
    base: str
    data: list[str]
    out: str
    max_length: int = 256
    stride: int = 64
    epochs: float = 1.0
    batch_size: int = 16
    learning_rate: float = 1e-4
    warmup: float = 0.1
    seed: int = 0
    limit: int | None = None  # questions, a seeded sample
    negatives: float | None = None  # windows without the answer kept per window with it (None: all)
    checkpoint_every: int = 100
    max_steps: int | None = None  # stop early (the checkpoint stays, to resume)
    # Questions also paired with another paragraph of their article, labelled [CLS] (per question, 0..1):
    # what the reader meets when retrieval brings the right article but the wrong paragraph.
    cross_negatives: float = 0.0
    init: str | None = None  # a trained reader folder to start from (the same base), instead of a fresh head
    # Only some articles of a data file ({path: "K/N"}, as qa.evaluation.datasets.fold): train on one fold of a
    # set whose other folds calibrate and report, e.g. {"DRCD_test.json": "3/4"} beside 1/4 and 2/2.
    folds: dict[str, str] = field(default_factory=dict)
    # A reading setting written to reader.json, not part of what is trained: int8 dynamic
    # quantization when reading (calibrate-reader then chooses thresholds on int8 scores).
    quantize: bool = False
    # Where the steps run: "auto" takes a CUDA GPU when torch sees one. Not part of the run's identity:
    # a checkpoint made on one device resumes on another.
    device: str = "auto"


@dataclass
class Example:
    question: str
    context: str
    start: int
    end: int


@dataclass
class Report:
    examples: int
    windows: int
    steps: int
    total_steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    finished: bool = False
    device: str = "cpu"


def load_examples(
    paths: list[str], cross_negatives: float = 0.0, seed: int = 0, folds: dict[str, str] | None = None
) -> list[Example]:
    """Answerable SQuAD questions whose first answer is found at its offset (or once in the context).

    With cross_negatives > 0, that share of the questions (seeded) is also paired with another
    paragraph of the same article that does not contain the answer text: an Example with
    start = end = -1, which every window labels [CLS]. `folds` keeps only articles K, K+N, ... of
    a file (1-based, the same articles as `ragqa eval --fold K/N`).
    """
    examples = []
    rng = random.Random(seed)
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        part, parts = parse_fold((folds or {}).get(path, "1/1"))
        for index, article in enumerate(data["data"]):
            if not in_fold(index, part, parts):
                continue
            contexts = [to_simplified(paragraph["context"]) for paragraph in article["paragraphs"]]
            for number, paragraph in enumerate(article["paragraphs"]):
                context = contexts[number]
                for qa in paragraph["qas"]:
                    if qa.get("is_impossible") or not qa.get("answers"):
                        continue
                    answer = qa["answers"][0]
                    text = to_simplified(answer["text"]).strip()
                    start = int(answer.get("answer_start", -1))
                    if context[start : start + len(text)] != text:
                        start = context.find(text) if context.count(text) == 1 else -1
                    if not text or start < 0:
                        continue
                    question = to_simplified(qa["question"])
                    examples.append(Example(question, context, start, start + len(text)))
                    others = [c for i, c in enumerate(contexts) if i != number and text not in c]
                    if others and rng.random() < cross_negatives:
                        examples.append(Example(question, rng.choice(others), -1, -1))
    return examples


def features(
    tokenizer: Any, examples: list[Example], max_length: int, stride: int
) -> tuple[Any, np.ndarray, np.ndarray]:
    """Windows plus start/end token labels ([CLS] = 0 where the window lacks the answer)."""
    windows = make_windows(tokenizer, [e.question for e in examples], [e.context for e in examples], max_length, stride)
    starts = np.zeros(len(windows), dtype=np.int64)
    ends = np.zeros(len(windows), dtype=np.int64)
    for w in range(len(windows)):
        example = examples[windows.pair[w]]
        span = token_span(windows.offsets[w], example.start, example.end) if example.start >= 0 else None
        if span is not None:
            starts[w], ends[w] = span
    return windows, starts, ends


def train(config: TrainingConfig, progress: Callable[[str], None] = print) -> Report:
    """Run (or resume) a training run into config.out; write the reader when it finishes."""
    import torch
    from transformers import AutoTokenizer, BertForQuestionAnswering, get_linear_schedule_with_warmup
    from transformers.utils import logging as hf_logging

    from embeddings.encoder import resolve_model

    hf_logging.set_verbosity_error()  # the load report lists the fresh QA head as "missing": expected here
    hf_logging.disable_progress_bar()
    device = training_device(config.device)  # before anything is written: a missing GPU leaves no folder behind
    started = time.perf_counter()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    _, base = resolve_model(config.base)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = BertForQuestionAnswering.from_pretrained(base, local_files_only=True)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    if config.init is not None:
        _load_trained(model, config.init, config.base)
    model.to(device)

    examples = load_examples(config.data, config.cross_negatives, config.seed, config.folds)
    if not examples:
        raise ValueError(f"no answerable question with a locatable answer in {', '.join(config.data)}")
    if config.limit is not None and config.limit < len(examples):
        examples = random.Random(config.seed).sample(examples, config.limit)
    windows, starts, ends = features(tokenizer, examples, config.max_length, config.stride)
    cross = np.array([examples[p].start < 0 for p in windows.pair], dtype=bool)
    pool = _pool(starts, config.negatives, config.seed, cross, np.asarray(windows.pair))
    progress(
        f"{len(examples)} questions -> {len(windows)} windows of {config.max_length} tokens, "
        f"{len(pool)} trained on ({int((starts[pool] > 0).sum())} hold the answer)"
    )
    per_epoch = -(-len(pool) // config.batch_size)
    total = max(1, int(per_epoch * config.epochs))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup * total), total)
    step = 0
    losses: list[float] = []
    checkpoint = out / CHECKPOINT
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=True, map_location=device)
        if state["config"] != _identity(config):
            raise ValueError(f"{checkpoint} belongs to a run with other settings; remove it or use another --out")
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, losses = state["step"], state["losses"]
        progress(f"resumed at step {step} of {total}")
    order = pool[_order(len(pool), total * config.batch_size, config.seed)]
    model.train()
    stop = total if config.max_steps is None else min(total, step + config.max_steps)
    while step < stop:
        rows = order[step * config.batch_size : (step + 1) * config.batch_size]
        batch = {k: torch.from_numpy(v).to(device) for k, v in windows.batch(rows).items()}
        output = model(
            **batch,
            start_positions=torch.from_numpy(starts[rows]).to(device),
            end_positions=torch.from_numpy(ends[rows]).to(device),
        )
        output.loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        losses.append(float(output.loss.detach()))
        if step % config.checkpoint_every == 0 or step == stop:
            _save_checkpoint(checkpoint, model, optimizer, schedule, step, losses, config)
            progress(
                f"step {step}/{total}  loss {np.mean(losses[-config.checkpoint_every :]):.3f}  "
                f"{time.perf_counter() - started:.0f} s"
            )
    report = Report(
        len(examples),
        len(windows),
        step,
        total,
        time.perf_counter() - started,
        losses,
        step >= total,
        device=_device_name(device),
    )
    if report.finished:
        save_reader(model, out, _settings(config), config, report)
    return report


def export_checkpoint(config: TrainingConfig) -> Report:
    """Write the reader from the run's checkpoint as it stands (to evaluate a run before it ends).

    reader.json records the step reached, so an unfinished reader is never mistaken for a finished one.
    """
    import torch
    from transformers import BertForQuestionAnswering
    from transformers.utils import logging as hf_logging

    from embeddings.encoder import resolve_model

    out = Path(config.out)
    checkpoint = out / CHECKPOINT
    if not checkpoint.is_file():
        raise ValueError(f"no checkpoint in {out}; start the run first")
    state = torch.load(checkpoint, weights_only=True, map_location="cpu")
    if state["config"] != _identity(config):
        raise ValueError(f"{checkpoint} belongs to a run with other settings; give the settings it was started with")
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    _, base = resolve_model(config.base)
    model = BertForQuestionAnswering.from_pretrained(base, local_files_only=True)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    model.load_state_dict(state["model"], strict=False)
    report = Report(
        0, 0, state["step"], state["step"], 0.0, state["losses"], finished=False, device=state.get("device", "cpu")
    )  # where the run trained, not where it is exported
    save_reader(model, out, _settings(config), config, report)
    return report


def save_reader(model: Any, out: Path, settings: ReaderSettings, config: TrainingConfig, report: Report) -> None:
    """Write what training changed (fp16) and the reader's settings; the word embeddings stay with the base."""
    from safetensors.torch import save_file

    trained = {name: p.detach().half().cpu().contiguous() for name, p in model.named_parameters() if p.requires_grad}
    save_file(trained, str(out / WEIGHTS))
    meta = {
        "settings": asdict(settings),
        "training": asdict(config),
        "run": {
            "examples": report.examples,
            "windows": report.windows,
            "steps": report.steps,
            "seconds": round(report.seconds),
            "final_loss": round(float(np.mean(report.losses[-50:])), 4),
            "finished": report.finished,
            "device": report.device,
        },
    }
    (out / CONFIG).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def _pool(
    starts: np.ndarray,
    negatives: float | None,
    seed: int,
    cross: np.ndarray | None = None,
    pair: np.ndarray | None = None,
) -> np.ndarray:
    """The windows trained on: all that hold the answer, and a seeded sample of the others.

    Long contexts give many windows without the answer; keeping them all spends most of the
    time teaching [CLS], keeping some still teaches the reader to say "not here". A question
    paired with another paragraph (`cross`) keeps one of that paragraph's windows, chosen by the seed.
    """
    rng = np.random.default_rng(seed)
    cross = np.zeros(len(starts), dtype=bool) if cross is None else cross
    positive, negative = np.flatnonzero(starts > 0), np.flatnonzero((starts == 0) & ~cross)
    if negatives is not None and len(negative) > negatives * len(positive):
        negative = np.sort(rng.choice(negative, int(negatives * len(positive)), replace=False))
    chosen = []
    if cross.any() and pair is not None:
        windows = np.flatnonzero(cross)
        for group in np.split(windows, np.flatnonzero(np.diff(pair[windows])) + 1):
            chosen.append(int(rng.choice(group)))
    return np.sort(np.concatenate([positive, negative, np.asarray(chosen, dtype=np.int64)]))


def _load_trained(model: Any, folder: str, base: str) -> None:
    """Start from a trained reader's weights (warm start) instead of a fresh QA head."""
    meta = json.loads((Path(folder) / CONFIG).read_text(encoding="utf-8"))
    if meta["settings"]["base"] != base:
        raise ValueError(f"{folder} was trained over '{meta['settings']['base']}', not '{base}'")
    load_weights(model, folder, base)


def _settings(config: TrainingConfig) -> ReaderSettings:
    """How the trained reader reads, before calibration chooses the rest."""
    return ReaderSettings(config.base, config.max_length, config.stride, quantize=config.quantize)


def _identity(config: TrainingConfig) -> dict[str, Any]:
    """The settings that make a run what it is (how often it saves, where it pauses, runs or will read do not)."""
    return {k: v for k, v in asdict(config).items() if k not in ("checkpoint_every", "max_steps", "quantize", "device")}


def training_device(name: str) -> Any:
    """The torch device for "auto", "cpu" or "cuda"; asking for a GPU that is not there is an error."""
    import torch

    if name not in ("auto", "cpu", "cuda"):
        raise ValueError(f"unknown device '{name}'; use auto, cpu or cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("no CUDA GPU is visible to torch; train with --device cpu")
    if name == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    torch.backends.cuda.matmul.allow_tf32 = True  # TF32 matmuls: ~1e-3 relative error, far below the steps' noise
    return torch.device("cuda")


def _device_name(device: Any) -> str:
    import torch

    return f"cuda ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "cpu"


def _order(n: int, needed: int, seed: int) -> np.ndarray:
    """Shuffled window indices, epoch after epoch, fixed by the seed (so a resumed run continues the same order)."""
    rng = np.random.default_rng(seed)
    chunks = [rng.permutation(n) for _ in range(-(-needed // n))]
    return np.concatenate(chunks)[:needed]


def _save_checkpoint(
    path: Path, model: Any, optimizer: Any, schedule: Any, step: int, losses: list[float], config: TrainingConfig
) -> None:
    import torch

    trainable = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    state = {
        "model": trainable,
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "step": step,
        "losses": losses,
        "config": _identity(config),
        "device": _device_name(next(iter(trainable.values())).device),
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # a run killed while saving keeps the previous checkpoint
