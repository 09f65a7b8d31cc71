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


INDEX_KINDS = ("flat", "hnsw")
# efSearch 256: recall@10 0.90 on clustered 384-d vectors (benchmarks/index_types.py)
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 256


class VectorIndex:
    """Cosine search over normalised vectors with resource ids (FAISS IDMap2).

    ``kind`` picks the structure: ``flat`` (exact, the default) or ``hnsw`` (an approximate
    graph for very large catalogues; it cannot delete in place, so a removal rebuilds the graph
    from the stored vectors, without re-encoding anything).
    """

    def __init__(self, dimension: int, index=None, *, kind: str = "flat"):
        lib = _require_faiss()
        if kind not in INDEX_KINDS:
            raise ValueError(f"index type must be one of {', '.join(INDEX_KINDS)}, not {kind!r}")
        self.dimension = dimension
        self.kind = kind
        self._index = index if index is not None else lib.IndexIDMap2(
            _new_inner(lib, kind, dimension))

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, kind: str = "flat") -> VectorIndex:
        index = cls(vectors.shape[1], kind=kind)
        index.add(ids, vectors)
        return index

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of dimension {self.dimension}, got "
                             f"{vectors.shape[-1] if vectors.ndim else '?'}")
        if not len(vectors):
            return
        self._index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        ids = np.asarray(ids, dtype=np.int64)
        if self.kind != "hnsw":
            return int(self._index.remove_ids(ids))
        # HNSW graphs cannot delete: rebuild from the stored vectors, no re-encoding needed
        keep_ids = self.ids()
        mask = ~np.isin(keep_ids, ids)
        vectors = self._index.index.reconstruct_n(0, self._index.ntotal)
        self._index = _require_faiss().IndexIDMap2(
            _new_inner(_require_faiss(), "hnsw", self.dimension))
        self._index.add_with_ids(vectors[mask], keep_ids[mask])
        return int((~mask).sum())

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

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything in the index, in storage order."""
        n = self.count
        if not n:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return self.ids(), self._index.index.reconstruct_n(0, n)

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
        inner = lib.downcast_index(index.index)
        kind = "hnsw" if isinstance(inner, lib.IndexHNSW) else "flat"
        if kind == "hnsw":  # a search-time setting: set it again on every load
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index.d, index, kind=kind)


def _new_inner(lib, kind: str, dimension: int):
    if kind == "hnsw":
        inner = lib.IndexHNSWFlat(dimension, HNSW_M, lib.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = HNSW_EF_SEARCH
        return inner
    return lib.IndexFlatIP(dimension)
