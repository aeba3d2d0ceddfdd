"""Each model's cosines are read on one scale, measured on the reference text with the real models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.pipeline import Pipeline
from qa.retrieval import cosine_scale
from qa.retrieval.cosine_scale import CosineScale
from qa.store.versions import resolve
from qa.text import is_mostly_cjk


@pytest.fixture(scope="module")
def m3e_scale(m3e_encoder) -> CosineScale:
    return cosine_scale.measure(m3e_encoder)


@pytest.fixture(scope="module")
def e5_scale(encoder) -> CosineScale:
    return cosine_scale.measure(encoder)


ZH, EN = "张江科学城的创新药", "The tram line opens next year"


def test_m3e_small_keeps_the_scale_the_reader_was_tuned_on(m3e_scale: CosineScale) -> None:
    for cosine in [0.5, 0.6, 0.7, 0.8, 0.9]:
        assert m3e_scale.semantic(cosine, ZH) == pytest.approx((cosine - 0.45) / 0.55, abs=0.01)


def test_each_model_and_script_gets_its_own_anchors(m3e_scale: CosineScale, e5_scale: CosineScale) -> None:
    # e5 runs high on Chinese and low on English: one floor for both would misread one of them.
    assert e5_scale.han.median > m3e_scale.han.median + 0.1
    assert e5_scale.other.median < e5_scale.han.median - 0.05
    # Each model's typical unrelated cosine means the same on the shared scale, in both scripts.
    for scale in (m3e_scale, e5_scale):
        assert scale.semantic(scale.han.median, ZH) == pytest.approx(scale.semantic(scale.other.median, EN))
    assert e5_scale.semantic(m3e_scale.han.median, ZH) == 0.0  # unrelated for e5, though m3e would call it similar
    assert e5_scale.semantic(e5_scale.other.high, EN) > e5_scale.semantic(e5_scale.other.high, ZH)
    assert e5_scale.semantic(1.0, ZH) > 0.95 and e5_scale.semantic(-1.0, EN) == 0.0


@pytest.mark.parametrize(
    "text,han",
    [
        ("张江科学城", True),
        ("PD-1抑制剂特瑞普利单抗", True),
        ("臺北市", True),
        ("The CAR-T 产品", False),
        ("Москва", False),
        ("2024", False),
        ("", False),
    ],
)
def test_script_of_a_sentence(text: str, han: bool) -> None:
    assert is_mostly_cjk(text) is han


def test_measuring_is_deterministic(encoder, e5_scale: CosineScale) -> None:
    again = cosine_scale.measure(encoder)
    for mine, theirs in ((again.han, e5_scale.han), (again.other, e5_scale.other)):
        assert (mine.median, mine.high) == pytest.approx((theirs.median, theirs.high), abs=1e-5)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {},
        {"han": {"median": "x", "high": 0.9}, "other": {"median": 0.1, "high": 0.2}},
        {"han": {"median": 0.9, "high": 0.8}, "other": {"median": 0.1, "high": 0.2}},
        {"han": {"median": 0.1, "high": 0.2}},
        [1, 2],
    ],
)
def test_a_malformed_stored_scale_is_ignored(stored) -> None:
    assert CosineScale.from_dict(stored) is None


def test_the_index_records_the_scale_and_old_indexes_get_it_measured(
    index_dir: Path, tmp_path: Path, encoder, e5_scale: CosineScale
) -> None:
    live = resolve(index_dir).path
    manifest = json.loads((live / "manifest.json").read_text())
    recorded = CosineScale.from_dict(manifest["model"]["cosine_scale"])
    assert recorded is not None and recorded.han.median == pytest.approx(e5_scale.han.median, abs=1e-5)
    old = tmp_path / "index"
    shutil.copytree(live, old)  # a flat index folder, as older ragqa wrote them
    del manifest["model"]["cosine_scale"]
    (old / "manifest.json").write_text(json.dumps(manifest))  # the manifest is not in its own checksum list
    pipeline = Pipeline.load(old, encoder=encoder)
    assert pipeline.scale.other.high == pytest.approx(e5_scale.other.high, abs=1e-5)
