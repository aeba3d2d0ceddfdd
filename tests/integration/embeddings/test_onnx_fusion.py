"""Attention fusion at export (embeddings.onnx_fusion) on a small random BERT: the fused graph
computes what torch does, padding included, and what cannot be fused is exported plain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from transformers import BertConfig, BertModel, MPNetConfig

from embeddings.onnx_engine import _last_hidden_state, export_graphs
from embeddings.onnx_fusion import fuse


@pytest.fixture(scope="module")
def bert() -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=500, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128
    )
    return BertModel(config).eval()


def _inputs() -> dict[str, torch.Tensor]:
    ids = torch.tensor([[2, 17, 99, 54, 3], [2, 40, 3, 0, 0]])  # the second row padded
    return {"input_ids": ids, "attention_mask": (ids != 0).long()}


def test_the_export_fuses_attention_and_answers_as_torch(bert: BertModel, tmp_path: Path) -> None:
    fp32, int8 = tmp_path / "model.onnx", tmp_path / "model-int8.onnx"
    before = bert.config._attn_implementation
    export_graphs(_last_hidden_state(bert), _inputs(), ["last_hidden_state"], fp32, int8, bert)
    assert bert.config._attn_implementation == before  # the torch model runs as it did
    assert "Attention" in {n.op_type for n in onnx.load(str(fp32)).graph.node}
    assert "QAttention" in {n.op_type for n in onnx.load(str(int8)).graph.node}
    feed = {k: v.numpy() for k, v in _inputs().items()}
    got = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    with torch.no_grad():
        want = bert(**_inputs()).last_hidden_state.numpy()
    real = feed["attention_mask"].astype(bool)  # padded positions carry no meaning
    assert np.abs(got[real] - want[real]).max() < 1e-3


def test_a_model_the_fusions_do_not_know_is_left_plain(tmp_path: Path) -> None:
    raw = tmp_path / "raw.onnx"
    raw.write_bytes(b"never read")
    assert not fuse(raw, tmp_path / "fused.onnx", MPNetConfig(), {})
    assert not (tmp_path / "fused.onnx").exists()
