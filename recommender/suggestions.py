"""Suggest capability statements for a resource, and spot near-duplicates, from its vector."""

from __future__ import annotations

import numpy as np

SUGGESTIONS_PER_RESOURCE = 3
# above the closest pair of distinct resources in the shipped catalogue (0.914: NHS England's
# and SHTG's guides to home blood pressure monitoring), so a flag means a likely copy
NEAR_DUPLICATE_SIMILARITY = 0.93


def suggest(vectors: np.ndarray, capability_vectors: np.ndarray, capability_ids: list[str],
            k: int = SUGGESTIONS_PER_RESOURCE) -> list[list[tuple[str, float]]]:
    """For each resource vector, its k nearest statements with their cosine as confidence."""
    if not len(vectors) or not len(capability_ids):
        return [[] for _ in range(len(vectors))]
    similarity = vectors @ capability_vectors.T
    k = min(k, similarity.shape[1])
    top = np.argsort(-similarity, axis=1)[:, :k]
    return [[(capability_ids[j], float(similarity[i, j])) for j in row]
            for i, row in enumerate(top)]


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
