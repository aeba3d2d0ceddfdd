"""The questions' graph: its first layers stay fp32, the rest is quantized as the passages' graph is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.query_graph import fp32_nodes, write_query_graph

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _layered_graph(path: Path, layers: int = 3, width: int = 32) -> None:
    """A stack of MatMuls named as torch's exporter names a transformer's layers."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, weights, previous = [], [], "x"
    for k in range(layers):
        weight = rng.normal(0, 0.2, (width, width)).astype(np.float32)
        weights.append(numpy_helper.from_array(weight, f"w{k}"))
        nodes.append(
            helper.make_node("MatMul", [previous, f"w{k}"], [f"h{k}"], name=f"/encoder/layer.{k}/output/dense/MatMul")
        )
        previous = f"h{k}"
    graph = helper.make_graph(
        nodes,
        "layers",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, ["batch", width])],
        weights,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_the_first_layers_stay_fp32_and_the_rest_is_int8(tmp_path: Path) -> None:
    _layered_graph(tmp_path / "fp32.onnx")
    write_query_graph(tmp_path / "fp32.onnx", tmp_path / "query.onnx", layers=2)
    ops = {n.name: n.op_type for n in onnx.load(str(tmp_path / "query.onnx")).graph.node}
    assert ops["/encoder/layer.0/output/dense/MatMul"] == "MatMul"
    assert ops["/encoder/layer.1/output/dense/MatMul"] == "MatMul"
    assert "MatMulInteger" in ops.values()  # layer 2, quantized
    x = np.random.default_rng(1).normal(size=(4, 32)).astype(np.float32)
    got, want = _run(tmp_path / "query.onnx", x), _run(tmp_path / "fp32.onnx", x)
    cosine = (got * want).sum(axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cosine.min() > 0.99
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fp32.onnx", "query.onnx"]  # nothing half-written


@pytest.mark.parametrize(
    ("name", "op", "picked"),
    [
        ("Attention_2", "Attention", True),  # ONNX Runtime's fused attention, numbered by layer
        ("Attention_12", "Attention", False),
        ("/transformer/encoder/layer.0/intermediate/dense/MatMul", "MatMul", True),
        ("/transformer/encoder/layer.11/output/dense/MatMul", "MatMul", False),
        ("/transformer/encoder/layer.1/output/LayerNorm/Add", "Add", False),  # no weights to keep
        ("/pooler/dense/MatMul", "MatMul", False),
    ],
)
def test_the_nodes_kept_fp32_are_those_of_the_first_layers(name: str, op: str, picked: bool) -> None:
    from onnx import helper

    graph = helper.make_graph([helper.make_node(op, ["a", "b"], ["c"], name=name)], "g", [], [])
    assert (fp32_nodes(graph, 3) == [name]) is picked
