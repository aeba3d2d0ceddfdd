"""The build's embedding stage on Ray: batches of passages go to a pool of actors, each of which
loads the embedding model once, through Ray Data (`map_batches` with an actor pool).

`RayEmbedder` is what the build calls instead of the local encoder for passages and their
sentences; everything else (splitting, BM25, the backend write, the pointer switch) stays on this
machine, so a failed Ray job fails before anything is published and leaves the live index as it was.
Each actor needs the model under the same name or path as this machine (`ragqa model install` on
every node, or a shared folder).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embeddings.encoder import Encoder
from qa.errors import RagqaError
from qa.store.backend import require

log = logging.getLogger(__name__)

LOCAL = "local"  # `--ray` without an address: start a Ray instance on this machine
BATCH = 64  # passages per actor call: big enough to amortise the round trip, small enough to spread


class RayBuildFailed(RagqaError):
    status = 500
    code = "ray_build_failed"


class PassageActor:
    """One Ray actor: loads the model once, then embeds every batch it is given (as passages)."""

    def __init__(self, model: str, prompts: dict[str, str]) -> None:
        from embeddings.encoder import load_encoder

        self.encoder = load_encoder(model)
        self.encoder.prompts = dict(prompts)  # the prompts the driver's encoder (and so the index) uses

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode_passages([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": vectors}


@dataclass
class RayEmbedder:
    """Embed passages on a Ray cluster with the model of `encoder`; call it like `Encoder.encode_passages`."""

    encoder: Encoder
    address: str = LOCAL
    actors: int = 2
    batch_size: int = BATCH
    say: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        if self.encoder.inference != "torch":
            raise RagqaError(
                f"a Ray build embeds with torch, and this build asks for {self.encoder.inference}; drop --inference"
            )

    def __call__(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        ray = require("ray", "ray", "ragqa index --ray")
        self._start(ray)
        if self.say:
            self.say(f"embedding {len(texts)} texts on Ray ({self.where()}) with {self.actors} actors")
        try:
            return self._embed(ray, texts, progress)
        except RagqaError:
            raise
        except Exception as exc:  # a task or actor failure surfaces as Ray's own exception types
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
            raise RayBuildFailed(f"the Ray build failed ({first}); the live index is unchanged") from exc

    def where(self) -> str:
        return "a local instance" if self.address == LOCAL else self.address

    def _start(self, ray: Any) -> None:
        if ray.is_initialized():
            return
        try:
            if self.address == LOCAL:
                ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=self.address, log_to_driver=False, configure_logging=False)
        except Exception as exc:  # ConnectionError and Ray's own errors for an address it cannot reach
            raise RayBuildFailed(f"cannot reach Ray at {self.where()} ({exc}); the live index is unchanged") from exc

    def _embed(self, ray: Any, texts: Sequence[str], progress: bool) -> np.ndarray:
        import ray.data

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        items = [{"row": n, "text": t} for n, t in enumerate(texts)]
        vectors = ray.data.from_items(items).map_batches(
            PassageActor,
            fn_constructor_kwargs={"model": self.encoder.model_id, "prompts": self.encoder.prompts},
            batch_size=self.batch_size,
            concurrency=self.actors,
            num_cpus=1,
        )
        out = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        seen = np.zeros(len(texts), dtype=bool)
        for batch in vectors.iter_batches(batch_size=None, batch_format="numpy"):
            out[batch["row"]] = batch["vector"]
            seen[batch["row"]] = True
        if not seen.all():
            raise RayBuildFailed(f"the Ray build returned {int(seen.sum())} of {len(texts)} vectors")
        return out
