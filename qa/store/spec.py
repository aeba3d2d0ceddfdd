"""What an index's vectors depend on, saved with every version and compared in one place.

A version's vectors can be searched with questions, or carried into a new version, only when the
model that embeds now makes the same vectors as the one that made them: the same model and weights,
the same engine and ONNX export, the same prompts, the same passages, the same kind of sentence
vectors, in the same store. `IndexSpec` names those settings; `mismatch` is the one rule set that
decides whether two specs fit, and every caller (loading, `serve`, `index --if-stale`, `index
--update`) asks it, keeping its own decision about what a mismatch means (refuse, rebuild, re-embed).

The manifest keeps its format: the spec reads the fields it always had (`model`, `chunking`,
`sentences`, `backend`), so a version written before the spec existed is judged as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from embeddings.onnx_engine import GRAPH_VERSION
from qa.store.backend import FAISS, MILVUS, BackendSettings

TORCH = "torch"  # the reference engine; it runs the model itself, so it has no exported graph


class Embedder(Protocol):
    """What a spec reads of an encoder (`embeddings.encoder.Encoder`)."""

    model_id: str
    fingerprint: str
    inference: str
    prompts: dict[str, str]


@dataclass(frozen=True)
class IndexSpec:
    """The settings an index's vectors were (or would be) made with.

    A field left None is not asked about: a caller that cannot know it (`serve` before a model is
    loaded) or need not (an update keeps the live version's sentence-vector mode) leaves it out.

    Attributes:
        graph: the ONNX export's version (`embeddings.onnx_engine.GRAPH_VERSION`); None under torch.
        prompts: (name, prompt) pairs in the model's order, so that the manifest is written as before.
        chunker: the passage splitter's version (`qa.ingest.indexer.CHUNKER_VERSION`).
        sentence_vectors: "pooled" or "encoded" (`qa.store.sentences.MODES`).
        backend: where the vectors are (`qa.store.backend.KINDS`); collection: the Milvus collection.
    """

    model_id: str | None = None
    fingerprint: str | None = None
    inference: str | None = None
    graph: int | None = None
    prompts: tuple[tuple[str, str], ...] | None = None
    chunker: int | None = None
    max_chars: int | None = None
    min_chars: int | None = None
    sentence_vectors: str | None = None
    backend: str | None = None
    collection: str | None = None

    @classmethod
    def of(
        cls,
        encoder: Embedder,
        chunking: Mapping[str, int] | None = None,
        sentence_vectors: str | None = None,
        backend: BackendSettings | None = None,
        root: str | Path | None = None,
    ) -> IndexSpec:
        """The spec of vectors this encoder makes now under these settings.

        Args:
            chunking: the splitter's settings as the manifest records them (`qa.ingest.indexer.chunking_settings`).
            root: the index root, which names the Milvus collection when the settings name none.
        """
        collection = None
        if backend is not None and backend.kind == MILVUS:
            from qa.store.milvus import collection_name

            collection = backend.collection or (collection_name(root) if root is not None else None)
        return cls(
            model_id=encoder.model_id,
            fingerprint=encoder.fingerprint,
            inference=encoder.inference,
            graph=None if encoder.inference == TORCH else GRAPH_VERSION,
            prompts=tuple(encoder.prompts.items()),
            chunker=None if chunking is None else chunking["version"],
            max_chars=None if chunking is None else chunking["max_chars"],
            min_chars=None if chunking is None else chunking["min_chars"],
            sentence_vectors=sentence_vectors,
            backend=None if backend is None else backend.kind,
            collection=collection,
        )

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> IndexSpec:
        """What a version's manifest says its vectors were made with; a field it never recorded reads as
        the only value it could have had then (torch, encoded sentence vectors, FAISS), or None."""
        model = _mapping(manifest.get("model"))
        chunking = _mapping(manifest.get("chunking"))
        backend = _mapping(manifest.get("backend"))
        return cls(
            model_id=model.get("id"),
            fingerprint=model.get("fingerprint"),
            inference=model.get("inference", TORCH),
            graph=model.get("graph"),
            prompts=tuple((str(k), str(v)) for k, v in _mapping(model.get("prompts")).items()),
            chunker=chunking.get("version"),
            max_chars=chunking.get("max_chars"),
            min_chars=chunking.get("min_chars"),
            sentence_vectors=_mapping(manifest.get("sentences")).get("vectors", "encoded"),
            backend=backend.get("kind", FAISS),
            collection=backend.get("collection"),
        )

    def to_manifest(self) -> dict[str, Any]:
        """The manifest's `model`, `chunking` and `sentences` parts, as they have always been written.

        The backend is not among them: the store records it as it writes the vectors (`backend`, FAISS
        when absent), with what it alone knows (the Milvus address and partitions).
        """
        model: dict[str, Any] = {
            "id": self.model_id,
            "fingerprint": self.fingerprint,
            "prompts": dict(self.prompts or ()),
            "inference": self.inference,  # the engine the vectors came from; questions use it too
        }
        if self.graph is not None:
            model["graph"] = self.graph  # how its graph was exported: another export is another engine
        return {
            "model": model,
            "chunking": {"version": self.chunker, "max_chars": self.max_chars, "min_chars": self.min_chars},
            "sentences": {"vectors": self.sentence_vectors},
        }

    def mismatch(self, other: IndexSpec) -> str | None:
        """Why vectors made under `other` (an index's spec) do not fit this one, or None when they do.

        Only the fields this spec sets are compared, and the first difference is the reason. A
        fingerprint is compared only where both record one; an export's graph only where `other`
        came from an exported graph (one recorded before graph versions were kept differs from any).
        """
        if self.model_id is not None and other.model_id != self.model_id:
            return f"the index was built with model '{other.model_id}'"
        if self.fingerprint is not None and other.fingerprint not in (None, self.fingerprint):
            return f"the index was built with other weights of model '{other.model_id}'"
        if self.inference is not None and other.inference != self.inference:
            return f"the index was embedded by the {other.inference} engine, not {self.inference}"
        if self.graph is not None and other.inference != TORCH and other.graph != self.graph:
            made = "unrecorded" if other.graph is None else other.graph
            return f"the model's ONNX export has changed since the index was embedded (graph {made}, now {self.graph})"
        if self.prompts is not None and dict(other.prompts or ()) != dict(self.prompts):
            return "the index was embedded with other prompts"
        if (self.chunker is not None and other.chunker != self.chunker) or (
            self.min_chars is not None and other.min_chars != self.min_chars
        ):
            return "passage splitting has changed since the index was built"
        if self.max_chars is not None and other.max_chars != self.max_chars:
            return f"the index was split into passages of up to {other.max_chars} characters, not {self.max_chars}"
        if self.sentence_vectors is not None and other.sentence_vectors != self.sentence_vectors:
            return f"the index's sentence vectors were {other.sentence_vectors}, not {self.sentence_vectors}"
        if self.backend is not None and other.backend != self.backend:
            return f"the index keeps its vectors in {other.backend}, not {self.backend}"
        if self.collection is not None and other.collection != self.collection:
            return f"the index keeps its vectors in another Milvus collection ({other.collection})"
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    """A manifest part, or nothing when an older or hand-edited manifest holds no mapping there."""
    return value if isinstance(value, Mapping) else {}
