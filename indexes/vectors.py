"""A FAISS inner-product index over normalised vectors, keyed by int64 resource ids."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from indexes.ids import locate

try:
    import faiss
except ImportError:  # pragma: no cover - faiss-cpu is a hard dependency
    faiss = None


def _require_faiss():
    if faiss is None:  # pragma: no cover
        raise ImportError("the vector index needs the 'faiss-cpu' package")
    return faiss


def set_search_threads(threads: int) -> None:
    """FAISS and NumPy BLAS threads per process: one for serving (several processes share the
    cores and a single query is faster on one thread); more only helps batch builds.

    The BLAS limit matters most: ranking multiplies a few hundred candidate vectors by the gap
    vectors, which takes 0.26 ms on one thread and a median 12 ms on two OpenBLAS threads when
    the other core is busy (their threads wait for each other)."""
    _require_faiss().omp_set_num_threads(threads)
    threadpool_limits(limits=threads, user_api="blas")


def similarities(vectors: np.ndarray, queries: np.ndarray, rows: int = 4096) -> np.ndarray:
    """(n, q) float32 inner products of ``vectors`` with ``queries``, each the float32 nearest
    its exact value, whatever the batch. A float32 matrix product rounds each sum differently
    with the shapes of the batch (its blocking), so the same pair could differ in the last
    digit between a request's candidates and a table kept per version; summed in float64 (a
    product of two float32 is exact there) and then rounded, it does not. ``rows`` at a time,
    to bound the float64 copy."""
    queries = np.asarray(queries, dtype=np.float64)
    out = np.empty((len(vectors), len(queries)), dtype=np.float32)
    for first in range(0, len(vectors), rows):
        out[first:first + rows] = np.asarray(vectors[first:first + rows],
                                             dtype=np.float64) @ queries.T
    return out


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
        self.mapped = False  # vectors read from a memory-mapped file (see ``load``)

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
        self._own()
        self._index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        ids = np.asarray(ids, dtype=np.int64)
        keep_ids = self.ids()
        mask = ~np.isin(keep_ids, ids)
        if mask.all():  # nothing to remove (an incremental add): no copy, no graph rebuild
            return 0
        if self.kind != "hnsw":
            self._own()
            return int(self._index.remove_ids(ids))
        # HNSW graphs cannot delete: rebuild from the stored vectors, no re-encoding needed
        vectors = self._index.index.reconstruct_n(0, self._index.ntotal)
        self._index = _require_faiss().IndexIDMap2(
            _new_inner(_require_faiss(), "hnsw", self.dimension))
        self.mapped = False
        self._index.add_with_ids(vectors[mask], keep_ids[mask])
        return int((~mask).sum())

    def search(self, queries: np.ndarray, k: int, selector: Selector | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids) arrays of shape (len(queries), k); missing hits have id -1.
        ``selector`` leaves some ids out of the search."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, self.count)) if self.count else 1
        if not self.count:
            n = len(queries)
            return np.zeros((n, k), dtype=np.float32), np.full((n, k), -1, dtype=np.int64)
        with _few_threads(len(queries)):
            if selector is None:
                return self._index.search(queries, k)
            return self._index.search(queries, k, params=selector.params)

    def vectors_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, found): each id's vector, zeros where the index does not hold the id.

        Read in place from the index's storage (memory-mapped when loaded so): the only
        per-process arrays are the sorted ids and their rows (16 bytes a resource)."""
        ids = np.asarray(ids, dtype=np.int64)
        sorted_ids, rows = self._lookup()
        if not len(sorted_ids):
            return (np.zeros((len(ids), self.dimension), dtype=np.float32),
                    np.zeros(len(ids), dtype=bool))
        where, found = locate(sorted_ids, ids)
        out = self.take(rows[where])
        if not found.all():
            out[~found] = 0
        return out, found

    def sorted_ids(self) -> np.ndarray:
        """Every resource id in the index, sorted (kept until the index changes)."""
        return self._lookup()[0]

    def _lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted resource ids, each one's storage row), kept until the index changes."""
        cached = self.__dict__.get("_lookup_cache")
        if cached is None or cached[0] is not self._index or cached[1] != self.count:
            ids = self.ids()
            order = np.argsort(ids)
            cached = self.__dict__["_lookup_cache"] = (self._index, self.count, ids[order],
                                                       order)
        return cached[2], cached[3]

    def reconstruct(self, resource_id: int) -> np.ndarray:
        return self._index.reconstruct(int(resource_id))

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything in the index, in storage order (a copy)."""
        n = self.count
        if not n:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return self.ids(), self._index.index.reconstruct_n(0, n)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """Copies of the vectors at storage positions ``rows`` (the order of ``ids()``).

        Reads the stored vectors in place, memory-mapped or not. They are gathered as bytes:
        in a mapped file FAISS's header leaves the floats unaligned, and numpy's unaligned
        float path is 50-100x slower (measured: 1,500 rows of 200k, 1.1 ms against 100 ms)."""
        lib = _require_faiss()
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dimension), dtype=np.float32)
        cached = self.__dict__.get("_storage")
        if cached is None or cached[0] is not self._index:  # SWIG downcasts cost ~50 us
            storage = lib.downcast_index(self._index.index)
            if self.kind == "hnsw":
                storage = lib.downcast_index(storage.storage)
            cached = self.__dict__["_storage"] = (self._index, storage)
        stored = lib.rev_swig_ptr(cached[1].get_xb(), self.count * self.dimension)
        as_bytes = stored.view(np.uint8).reshape(self.count, 4 * self.dimension)
        return as_bytes.take(rows, axis=0).view(np.float32)

    def ids(self) -> np.ndarray:
        """Every resource id in the index."""
        return _require_faiss().vector_to_array(self._index.id_map).astype(np.int64)

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def save(self, path: Path) -> None:
        _require_faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, *, mmap: bool = True) -> VectorIndex:
        """Read an index file. With ``mmap`` (the default) the vectors stay in the file,
        memory-mapped (FAISS ``IO_FLAG_MMAP_IFC``): their pages live once in the OS page cache,
        shared by every process serving the version, instead of a private copy per process.
        Only an HNSW graph's links and the id map are read into memory. The first ``add`` or
        ``remove`` copies the index into memory (a mapped index cannot change)."""
        lib = _require_faiss()
        index = lib.read_index(str(path), lib.IO_FLAG_MMAP_IFC if mmap else 0)
        out = cls(index.d, index, kind=_kind(lib, index))
        out.mapped = mmap
        return out

    def _own(self) -> None:
        """Replace a memory-mapped index by an in-memory copy before changing it."""
        if self.mapped:
            lib = _require_faiss()
            self._index = lib.deserialize_index(lib.serialize_index(self._index))
            _kind(lib, self._index)
            self.mapped = False


# below this many queries FAISS scans for each query on one thread anyway; more OpenMP threads
# only wait for each other: one query over 100k flat vectors took 45 ms with two threads on
# this 2-core machine under load, 7 ms with one (the indexing worker's near-duplicate check)
SEQUENTIAL_QUERIES = 20


@contextmanager
def _few_threads(queries: int):
    """One OpenMP thread for a search of few queries, the process's setting restored after."""
    lib = _require_faiss()
    threads = lib.omp_get_max_threads()
    if queries >= SEQUENTIAL_QUERIES or threads == 1:
        yield
        return
    lib.omp_set_num_threads(1)
    try:
        yield
    finally:
        lib.omp_set_num_threads(threads)


class Selector:
    """A FAISS search parameter that leaves the given ids out (the id batch is kept alive
    with it: FAISS holds only a pointer)."""

    def __init__(self, excluded: np.ndarray):
        lib = _require_faiss()
        self.excluded = np.ascontiguousarray(excluded, dtype=np.int64)
        self._batch = lib.IDSelectorBatch(self.excluded)
        self._not = lib.IDSelectorNot(self._batch)
        self.params = lib.SearchParameters(sel=self._not)


def _kind(lib, index) -> str:
    """"hnsw" or "flat" for a loaded IDMap2 index; sets HNSW's search-time efSearch, which is
    not stored in the file."""
    inner = lib.downcast_index(index.index)
    if isinstance(inner, lib.IndexHNSW):
        inner.hnsw.efSearch = HNSW_EF_SEARCH
        return "hnsw"
    return "flat"


def _new_inner(lib, kind: str, dimension: int):
    if kind == "hnsw":
        inner = lib.IndexHNSWFlat(dimension, HNSW_M, lib.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = HNSW_EF_SEARCH
        return inner
    return lib.IndexFlatIP(dimension)
