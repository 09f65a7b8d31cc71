"""A FAISS inner-product index over normalised vectors, keyed by int64 resource ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np

try:
    import faiss
except ImportError:  # pragma: no cover - faiss-cpu is a hard dependency
    faiss = None


def _require_faiss():
    if faiss is None:  # pragma: no cover
        raise ImportError("the vector index needs the 'faiss-cpu' package")
    return faiss


def set_search_threads(threads: int) -> None:
    """FAISS threads per process: one for serving (several processes share the cores and a
    single query is faster on one thread); more only helps batch builds."""
    _require_faiss().omp_set_num_threads(threads)


class VectorIndex:
    """Exact cosine search (IDMap over a flat inner-product index) with resource ids."""

    def __init__(self, dimension: int, index=None):
        lib = _require_faiss()
        self.dimension = dimension
        self._index = index if index is not None else lib.IndexIDMap2(
            lib.IndexFlatIP(dimension))

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        index = cls(vectors.shape[1])
        index.add(ids, vectors)
        return index

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of dimension {self.dimension}, got "
                             f"{vectors.shape[-1] if vectors.ndim else '?'}")
        if len(vectors):
            self._index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        return int(self._index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids) arrays of shape (len(queries), k); missing hits have id -1."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, self.count)) if self.count else 1
        if not self.count:
            n = len(queries)
            return np.zeros((n, k), dtype=np.float32), np.full((n, k), -1, dtype=np.int64)
        return self._index.search(queries, k)

    def reconstruct(self, resource_id: int) -> np.ndarray:
        return self._index.reconstruct(int(resource_id))

    def ids(self) -> np.ndarray:
        """Every resource id in the index."""
        return _require_faiss().vector_to_array(self._index.id_map).astype(np.int64)

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def save(self, path: Path) -> None:
        _require_faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        lib = _require_faiss()
        index = lib.read_index(str(path))
        return cls(index.d, index)
