"""What an incremental update changes in the served index version, as a delta."""

from __future__ import annotations

import numpy as np

from catalogue.framework import Capability
from indexes.deltas import Delta, changed_rows
from indexes.lexical import Bm25
from indexes.lexical import tokens as lexical_tokens
from indexes.version import IndexVersion


def delta_of(loaded: IndexVersion, ids: np.ndarray, texts: list[str], vectors: np.ndarray,
             touched: np.ndarray, statements: list[Capability]) -> Delta:
    """What the resources ``touched`` change in ``loaded``: those still there (``ids``,
    their ``texts`` and ``vectors``) with each one's nearest statement, the others removed,
    and the neighbour-list rows that differ once they are merged in (lexical scores use the
    statistics of the last full build)."""
    bm25 = Bm25.from_json([lexical_tokens(s.lexical_text()) for s in statements],
                          loaded.lexical_stats)
    words = [lexical_tokens(t) for t in texts]
    lexical_scores = bm25.score([bm25.counts(w) for w in words],
                                np.array([len(w) for w in words], dtype=np.float32))
    similarity = vectors @ loaded.capability_vectors.T
    dense_rows, dense = changed_rows(loaded.dense,
                                     loaded.dense.merge(ids, similarity, drop=touched))
    lexical_rows, lexical = changed_rows(
        loaded.lexical, loaded.lexical.merge(ids, lexical_scores, drop=touched,
                                             floor=0.0))
    best = similarity.max(axis=1, initial=-np.inf).astype(np.float32) if len(ids) \
        else np.zeros(0, dtype=np.float32)
    order = np.argsort(ids, kind="stable")
    return Delta(upserted=ids[order], vectors=vectors[order],
                 nearest=best[order], removed=np.setdiff1d(touched, ids),
                 dense_rows=dense_rows, dense=dense, lexical_rows=lexical_rows,
                 lexical=lexical)
