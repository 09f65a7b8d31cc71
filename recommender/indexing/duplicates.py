"""Spot resources under different URLs whose text is nearly the same, for a curator to
decide (the indexer flags them; nothing is ever merged)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexes.vectors import VectorIndex
from recommender.storage.models import NearDuplicate

# above the closest pair of distinct resources in the shipped catalogue (0.914: NHS England's
# and SHTG's guides to home blood pressure monitoring), so a flag means a likely copy
NEAR_DUPLICATE_SIMILARITY = 0.93
NEIGHBOURS_FOR_DUPLICATES = 3
# the duplicate scan searches the index once per resource; past this size a full build skips
# it (incremental updates still scan what they change)
DUPLICATE_SCAN_LIMIT = 20_000


def near_duplicate_pairs(ids: np.ndarray, scores: np.ndarray, neighbours: np.ndarray,
                         threshold: float = NEAR_DUPLICATE_SIMILARITY) -> set[tuple[int, int]]:
    """Pairs (smaller id, larger id) whose similarity reaches the threshold, from the result
    of searching the index with the resources' own vectors."""
    pairs = set()
    for rid, row_scores, row_ids in zip(ids, scores, neighbours, strict=True):
        for other, similarity in zip(row_ids, row_scores, strict=True):
            if other >= 0 and other != rid and similarity >= threshold:
                pairs.add((int(min(rid, other)), int(max(rid, other))))
    return pairs


def flag_near_duplicates(session: Session, vectors: VectorIndex, ids: list[int]) -> None:
    """Record pairs of resources with nearly the same text for a curator; never merges."""
    if not ids or vectors.count < 2 or len(ids) > DUPLICATE_SCAN_LIMIT:
        return
    queries = np.stack([vectors.reconstruct(rid) for rid in ids])
    scores, neighbours = vectors.search(queries, NEIGHBOURS_FOR_DUPLICATES)
    pairs = near_duplicate_pairs(np.array(ids), scores, neighbours)
    if not pairs:
        return
    known = set(session.execute(select(NearDuplicate.resource_id, NearDuplicate.other_id)).all())
    similarity = {(a, b): float(np.dot(vectors.reconstruct(a), vectors.reconstruct(b)))
                  for a, b in pairs}
    session.add_all(NearDuplicate(resource_id=a, other_id=b, similarity=round(s, 4))
                    for (a, b), s in similarity.items() if (a, b) not in known)
