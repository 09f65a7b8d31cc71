"""Per capability statement, its nearest resources by one measure, kept at index time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEPTH = 200  # resources kept per statement
COLUMNS_PER_BLOCK = 16  # statements' scores copied out together (bounded memory at 1M)
FEW = 10_000  # merging at most this many resources sorts only the lists they change


@dataclass
class NeighbourLists:
    """ids (m statements x DEPTH), -1 padded, best first; scores alongside."""

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls, statements: int, depth: int = DEPTH) -> NeighbourLists:
        return cls(np.full((statements, depth), -1, dtype=np.int64),
                   np.full((statements, depth), -np.inf, dtype=np.float32))

    @classmethod
    def from_scores(cls, ids: np.ndarray, scores: np.ndarray, depth: int = DEPTH,
                    floor: float = -np.inf) -> NeighbourLists:
        """Lists from a full score matrix (resources x statements)."""
        m = scores.shape[1] if scores.ndim == 2 else 0
        out = cls.empty(m, depth)
        return out.merge(ids, scores, floor=floor) if len(ids) else out

    def merge(self, ids: np.ndarray, scores: np.ndarray, *, drop: np.ndarray | None = None,
              floor: float = -np.inf) -> NeighbourLists:
        """Lists with ``ids`` (their ``scores``: resources x statements) merged in, and the
        resources in ``drop`` (and old entries of ``ids``) taken out. Scores at or below
        ``floor`` are not kept. Only the lists that change are sorted again: for a few
        resources, those that lose an entry or that one of them enters."""
        remove = np.concatenate([np.asarray(ids, dtype=np.int64),
                                 np.asarray(drop if drop is not None else [], dtype=np.int64)])
        keep = ~np.isin(self.ids, remove) & (self.ids >= 0)
        depth = self.ids.shape[1]
        ids = np.asarray(ids)
        rows = self._changing(keep, scores, floor) if len(ids) <= FEW \
            else range(self.ids.shape[0])
        new_ids, new_scores = self.ids.copy(), self.scores.copy()
        block, first = np.zeros((0, 0), dtype=np.float32), -COLUMNS_PER_BLOCK
        for j in rows:
            if len(ids) and not first <= j < first + COLUMNS_PER_BLOCK:
                first = j  # a few columns at a time, contiguous
                block = np.ascontiguousarray(scores[:, j:j + COLUMNS_PER_BLOCK].T)
            column = block[j - first] if len(ids) else np.zeros(0, np.float32)
            fresh = column > floor
            all_ids = np.concatenate([self.ids[j][keep[j]], ids[fresh]])
            all_scores = np.concatenate([self.scores[j][keep[j]], column[fresh]])
            if len(all_scores) > depth:  # only the best depth (and ties with the last) sorted
                cut = np.partition(all_scores, len(all_scores) - depth)[len(all_scores) - depth]
                best = all_scores >= cut
                all_ids, all_scores = all_ids[best], all_scores[best]
            order = np.lexsort((all_ids, -all_scores))[:depth]
            n = len(order)
            new_ids[j, :n], new_scores[j, :n] = all_ids[order], all_scores[order]
            new_ids[j, n:], new_scores[j, n:] = -1, -np.inf
        return NeighbourLists(new_ids, new_scores)

    def _changing(self, keep: np.ndarray, scores: np.ndarray, floor: float) -> np.ndarray:
        """The lists a merge changes: those that lose an entry, and those that a new score
        enters (above the floor and not below the list's last; -inf when it is not full)."""
        lost = (~keep & (self.ids >= 0)).any(axis=1)
        if not len(scores):
            return np.flatnonzero(lost)
        enters = ((scores > floor) & (scores >= self.scores[:, -1])).any(axis=0)
        return np.flatnonzero(lost | enters)

    def ranks(self, row: int) -> dict[int, int]:
        """resource id -> rank (0 = best) in one statement's list."""
        ids = self.ids[row]
        return {int(rid): rank for rank, rid in enumerate(ids) if rid >= 0}


def nearest(ids: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted ids, each one's best score) from a score matrix (resources x statements)."""
    ids = np.asarray(ids, dtype=np.int64)
    best = scores.max(axis=1, initial=-np.inf).astype(np.float32) if len(ids) else \
        np.zeros(0, dtype=np.float32)
    order = np.argsort(ids, kind="stable")
    return ids[order], best[order]
