"""The graph questions are embedded with under `onnx-int8`: the int8 graph with its first layers fp32.

Dynamic int8 quantization (the passages' graph) moves a question's vector to cosine ~0.996 of
torch's, and that costs English questions over Chinese passages about 2 points of recall@1; fp32
question vectors get them back, whatever embedded the passages (docs/quality.md, "Cross-lingual
question vectors"). The loss is in the matrix products of the first layers, not in the word table
nor the last layers: with the first `FP32_LAYERS` of e5-small's 12 fp32 and the rest int8,
questions find what torch's find, for under half the memory all-fp32 matrix products would add to
a server worker (+30 MB) and under a ms a question on two threads. Passages keep the int8 graph
their index was built with, so their vectors and every index built before stay as they are.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

FP32_LAYERS = 6
QUERY_GRAPH = f"model-query-fp32-first{FP32_LAYERS}.onnx"  # another choice of layers is another file
# Node names as torch's exporter writes them ("/encoder/layer.3/...") and as ONNX Runtime's attention
# fusion numbers its nodes, in layer order ("Attention_3").
_LAYER = re.compile(r"(?:^Attention_|/layer\.)(\d+)(?:/|$)")


def fp32_nodes(graph: Any, layers: int) -> list[str]:
    """The weight-carrying nodes (MatMul, fused Attention) of the graph's first `layers` layers."""
    names = []
    for node in graph.node:
        found = _LAYER.search(node.name)
        if node.op_type in ("MatMul", "Attention") and found and int(found.group(1)) < layers:
            names.append(node.name)
    return names


def write_query_graph(fp32: Path, out: Path, layers: int = FP32_LAYERS) -> None:
    """Write the questions' graph from the exported fp32 graph: quantized as the passages' graph is
    (int8 per output channel, dynamic activations), but for the first `layers` layers, kept fp32.
    Written whole or not at all."""
    import onnx

    from embeddings.onnx_engine import quantize

    keep = fp32_nodes(onnx.load(str(fp32), load_external_data=False).graph, layers)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:  # a killed write leaves nothing behind
        written = Path(tmp) / out.name
        quantize(fp32, written, keep_fp32=keep)
        os.replace(written, out)
