"""Incremental changes to an index version, kept as append-only deltas over it.

A delta holds what one incremental update changed: the vectors of the resources added or
changed, with each one's similarity to its nearest statement; the ids removed; and the rows of
the per-statement neighbour lists that changed (whole rows). It is written once, checksummed,
and never changed. The version served is a full version with its chain of deltas applied in
order, in memory: the full version's vectors stay memory-mapped and untouched, the changed
ones sit in a small overlay searched alongside them, and the full version's copies of changed
or removed resources are left out of its searches (a FAISS id selector).

Rewriting the whole version for one changed resource cost 1.2-2.7 s at 100k resources (the
vectors file rewritten, checksummed and fsynced); a delta for one resource is a few KB.
Deltas are folded into a new full version (compaction) when they grow: see
``recommender.indexing.compaction``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexes.ids import locate
from indexes.neighbours import NeighbourLists
from indexes.vectors import Selector, VectorIndex


@dataclass(frozen=True)
class Delta:
    """One incremental update's changes."""

    upserted: np.ndarray   # ids added or changed
    vectors: np.ndarray    # (len(upserted), dimension)
    nearest: np.ndarray    # each upserted resource's similarity to its nearest statement
    removed: np.ndarray    # ids removed and not added back
    dense_rows: np.ndarray  # statement rows whose dense neighbour list changed
    dense: NeighbourLists   # those rows' new lists
    lexical_rows: np.ndarray
    lexical: NeighbourLists

    @property
    def touched(self) -> np.ndarray:
        """Every resource id this delta changed, added or removed (sorted)."""
        return np.union1d(self.upserted, self.removed).astype(np.int64)

    def arrays(self) -> dict[str, np.ndarray]:
        """The delta as named arrays (what is written to its file)."""
        return {"upserted": self.upserted, "vectors": self.vectors, "nearest": self.nearest,
                "removed": self.removed, "dense_rows": self.dense_rows,
                "dense_ids": self.dense.ids, "dense_scores": self.dense.scores,
                "lexical_rows": self.lexical_rows, "lexical_ids": self.lexical.ids,
                "lexical_scores": self.lexical.scores}

    @classmethod
    def from_arrays(cls, a) -> Delta:
        return cls(np.asarray(a["upserted"], dtype=np.int64),
                   np.asarray(a["vectors"], dtype=np.float32),
                   np.asarray(a["nearest"], dtype=np.float32),
                   np.asarray(a["removed"], dtype=np.int64),
                   np.asarray(a["dense_rows"], dtype=np.int64),
                   NeighbourLists(a["dense_ids"], a["dense_scores"]),
                   np.asarray(a["lexical_rows"], dtype=np.int64),
                   NeighbourLists(a["lexical_ids"], a["lexical_scores"]))


def changed_rows(old: NeighbourLists, new: NeighbourLists
                 ) -> tuple[np.ndarray, NeighbourLists]:
    """(rows of ``new`` that differ from ``old``, those rows' lists): a neighbour-list patch."""
    rows = np.flatnonzero((old.ids != new.ids).any(axis=1) |
                          (old.scores != new.scores).any(axis=1))
    return rows, NeighbourLists(new.ids[rows], new.scores[rows])


def patched(lists: NeighbourLists, rows: np.ndarray, patch: NeighbourLists) -> NeighbourLists:
    """A copy of ``lists`` with ``rows`` replaced by the patch's lists."""
    if not len(rows):
        return lists
    ids, scores = lists.ids.copy(), lists.scores.copy()
    ids[rows], scores[rows] = patch.ids, patch.scores
    return NeighbourLists(ids, scores)


@dataclass(frozen=True)
class Overlay:
    """What a chain of deltas changed, accumulated: the resources added or changed since the
    full version (sorted ids, their vectors and nearest-statement similarities) and the full
    version's ids that are no longer served from it (changed or removed)."""

    ids: np.ndarray
    vectors: np.ndarray
    nearest: np.ndarray
    hidden: np.ndarray

    @classmethod
    def empty(cls, dimension: int) -> Overlay:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32),
                   np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64))

    def apply(self, delta: Delta, base_ids: np.ndarray) -> Overlay:
        """This overlay with ``delta`` applied; ``base_ids``: the full version's sorted ids."""
        touched = delta.touched
        stay = ~np.isin(self.ids, touched)
        ids = np.concatenate([self.ids[stay], delta.upserted])
        order = np.argsort(ids, kind="stable")
        _, in_base = locate(base_ids, touched)
        return Overlay(ids[order],
                       np.concatenate([self.vectors[stay], delta.vectors])[order],
                       np.concatenate([self.nearest[stay], delta.nearest])[order],
                       np.union1d(self.hidden, touched[in_base]).astype(np.int64))

    @property
    def size(self) -> int:
        """Resources the overlay serves or hides: what compaction would fold in."""
        return len(self.ids) + len(np.setdiff1d(self.hidden, self.ids))


class LayeredVectors:
    """A full version's vector index with an overlay: searched, counted and read as one."""

    def __init__(self, base: VectorIndex, overlay: Overlay):
        self.base = base
        self.overlay = overlay
        self.dimension = base.dimension
        self.kind = base.kind
        self._selector = Selector(overlay.hidden) if len(overlay.hidden) else None

    @property
    def count(self) -> int:
        return self.base.count - len(self.overlay.hidden) + len(self.overlay.ids)

    def ids(self) -> np.ndarray:
        base = self.base.ids()
        return np.concatenate([base[~np.isin(base, self.overlay.hidden)], self.overlay.ids])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) as ``VectorIndex.search``: the best of the full version's vectors
        (less the hidden ones) and the overlay's."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, self.count)) if self.count else 1
        scores, ids = self.base.search(queries, k, selector=self._selector)
        if not len(self.overlay.ids):
            return scores, ids
        extra = queries @ self.overlay.vectors.T
        extra_ids = np.broadcast_to(self.overlay.ids, extra.shape)
        scores = np.where(ids >= 0, scores, -np.inf)  # FAISS pads a short answer with -1
        all_scores = np.concatenate([scores, extra], axis=1)
        all_ids = np.concatenate([ids, extra_ids], axis=1)
        best = np.argsort(-all_scores, axis=1, kind="stable")[:, :k]
        found_scores = np.take_along_axis(all_scores, best, axis=1).astype(np.float32)
        found_ids = np.take_along_axis(all_ids, best, axis=1)
        return found_scores, np.where(np.isfinite(found_scores), found_ids, -1)

    def vectors_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, found) as ``VectorIndex.vectors_of``."""
        ids = np.asarray(ids, dtype=np.int64)
        out, found = self.base.vectors_of(ids)
        hidden = np.isin(ids, self.overlay.hidden)
        out[hidden], found = 0, found & ~hidden
        if len(self.overlay.ids):
            where, mine = locate(self.overlay.ids, ids)
            out[mine], found = self.overlay.vectors[where[mine]], found | mine
        return out, found

    def reconstruct(self, resource_id: int) -> np.ndarray:
        vectors, found = self.vectors_of(np.array([resource_id]))
        if not found[0]:
            raise KeyError(f"resource {resource_id} is not in the index")
        return vectors[0]

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything served (a copy)."""
        ids, vectors = self.base.matrix()
        keep = ~np.isin(ids, self.overlay.hidden)
        return (np.concatenate([ids[keep], self.overlay.ids]),
                np.concatenate([vectors[keep], self.overlay.vectors]))
