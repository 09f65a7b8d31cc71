"""A loaded, verified index version: a full version, or one with its chain of deltas applied."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from indexes.deltas import Delta, LayeredVectors, Overlay, patched
from indexes.ids import locate
from indexes.neighbours import NeighbourLists
from indexes.vectors import VectorIndex


@dataclass
class IndexVersion:
    """Resource vectors, statement vectors and per-statement neighbour lists, as served.

    ``name`` is what the store's pointer names: a full version's name, or
    ``<full version>+<delta>`` with the chain of deltas ``chain`` applied over ``base``."""

    name: str
    manifest: dict
    vectors: VectorIndex | LayeredVectors
    capability_ids: list[str]
    capability_vectors: np.ndarray
    dense: NeighbourLists
    lexical: NeighbourLists
    lexical_stats: dict
    # each resource's similarity to its nearest statement: (sorted ids, similarities), kept
    # at build so a request does not multiply its candidates by every statement; None for a
    # version written before it was kept (then computed from the vectors)
    nearest: tuple[np.ndarray, np.ndarray] | None = None
    # each resource's share of out-of-scope neighbours, as a full build keeps it: (sorted ids,
    # shares; NaN where not kept); read by ``recommender.indexing.neighbourhood``
    outside: tuple[np.ndarray, np.ndarray] | None = None
    base: str = ""                           # the full version (its own name when no deltas)
    chain: tuple[str, ...] = ()              # the deltas applied, oldest first
    touched: tuple[np.ndarray, ...] = ()     # the ids each of them changed
    overlay: Overlay | None = None           # what they changed, accumulated
    full: IndexVersion | None = None         # the full version without them

    def __post_init__(self):
        self.base = self.base or self.name

    def row(self, capability_id: str) -> int | None:
        return self._rows().get(capability_id)

    def vectors_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, found): each id's vector, zeros where the version does not hold the id;
        read in place, memory-mapped (see ``VectorIndex.vectors_of``)."""
        return self.vectors.vectors_of(ids)

    def nearest_similarity(self, ids: np.ndarray) -> np.ndarray:
        """Each resource's similarity to its nearest statement (-inf for an id the version
        does not hold)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.nearest is None:
            vectors, found = self.vectors_of(ids)
            best = (vectors @ self.capability_vectors.T).max(axis=1, initial=-np.inf)
            return np.where(found, best, -np.inf)
        kept, similarity = self.nearest
        if not len(kept):
            out = np.full(len(ids), -np.inf)
        else:
            where, found = locate(kept, ids)  # positions are clamped to the array
            out = np.where(found, similarity[where], -np.inf)
        if self.overlay is not None:
            out[np.isin(ids, self.overlay.hidden)] = -np.inf
            where, mine = locate(self.overlay.ids, ids)
            out[mine] = self.overlay.nearest[where[mine]]
        return out

    def capability_vector(self, capability_id: str) -> np.ndarray | None:
        row = self._rows().get(capability_id)
        return None if row is None else self.capability_vectors[row]

    def with_delta(self, delta: Delta, stem: str | None = None,
                   manifest: dict | None = None) -> IndexVersion:
        """This version with ``delta`` applied (a new object; this one is unchanged, so a
        request still ranking with it sees one consistent version). ``stem`` names the
        delta once it is stored; ``manifest``: the fields it changes."""
        full = self.full or self
        overlay = (self.overlay or Overlay.empty(full.vectors.dimension)) \
            .apply(delta, full.vectors.sorted_ids())
        return replace(
            self, name=f"{self.base}+{stem}" if stem else self.name,
            manifest=dict(self.manifest, **(manifest or {})),
            vectors=LayeredVectors(full.vectors, overlay),
            dense=patched(self.dense, delta.dense_rows, delta.dense),
            lexical=patched(self.lexical, delta.lexical_rows, delta.lexical),
            chain=self.chain + ((stem,) if stem else ()), touched=self.touched + (delta.touched,),
            overlay=overlay, full=full)

    def touched_since(self, name: str) -> np.ndarray | None:
        """The ids changed between version ``name`` and this one, when this one is ``name``
        with more deltas applied; None when it is not."""
        if name == self.name:
            return np.zeros(0, dtype=np.int64)
        if name == self.base:
            since = 0
        else:
            base, _, stem = name.partition("+")
            if base != self.base or stem not in self.chain:
                return None
            since = self.chain.index(stem) + 1
        later = self.touched[since:]
        return np.unique(np.concatenate(later)) if later else np.zeros(0, dtype=np.int64)

    def _rows(self) -> dict[str, int]:
        rows = self.__dict__.get("_row_cache")
        if rows is None:
            rows = {cid: i for i, cid in enumerate(self.capability_ids)}
            self.__dict__["_row_cache"] = rows
        return rows
