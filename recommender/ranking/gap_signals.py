"""The per-gap signals read from the index and the database: each candidate's rank in a
statement's BM25 list (or a text gap's full-text search) and whether a curator mapped it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sqlalchemy.orm import Session

from indexes.ids import locate
from indexes.store import IndexVersion
from recommender.indexing.pools import LEXICAL_DEPTH
from recommender.indexing.snapshot import Snapshot
from recommender.ranking import text_search
from recommender.ranking.text_gaps import Column

__all__ = ["LEXICAL_DEPTH", "curated", "lexical_ranks", "text_hits"]


def text_hits(session: Session, text: str, snapshot: Snapshot) -> dict[int, int]:
    """Resource id -> rank in the database's full-text search for ``text``."""
    hits = text_search.search(session, text, LEXICAL_DEPTH, rows=len(snapshot.ids),
                              version=snapshot.version)
    return {rid: rank for rank, (rid, _) in enumerate(hits)}


def lexical_ranks(index: IndexVersion, index_rows: list[int | None], columns: list[Column],
                   text_ranks: Mapping[str, Mapping[int, int]], ids: np.ndarray) -> np.ndarray:
    """(candidates x gaps) rank of each candidate in the gap statement's BM25 list (or, for a
    gap in words, the better of that and its words' full-text rank), -1 when absent; ``ids``
    are sorted."""
    ranks = np.full((len(ids), len(index_rows)), -1, dtype=np.int64)
    for j, (row, column) in enumerate(zip(index_rows, columns, strict=True)):
        if row is not None and column.matched:
            where, hit = locate(ids, index.lexical.ids[row])
            ranks[where[hit], j] = np.flatnonzero(hit)
        for text in column.texts:
            found = np.array([text_ranks[text].get(int(rid), -1) for rid in ids])
            better = (found >= 0) & ((ranks[:, j] < 0) | (found < ranks[:, j]))
            ranks[better, j] = found[better]
    return ranks


def curated(snapshot: Snapshot, codes: list[str], ids: np.ndarray) -> np.ndarray:
    """(candidates x gaps) whether a curator mapped the candidate to the gap's statement."""
    out = np.zeros((len(ids), len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        mapped = snapshot.curated.get(code)
        if mapped is not None:
            where, hit = locate(ids, mapped)
            out[where[hit], j] = True
    return out
