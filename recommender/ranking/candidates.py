"""A request's candidate resources, filtered, with the per-gap signals that scoring reads.

Gaps given as statement ids read their candidates and signals from the version's pools
(``recommender.indexing.pools``: worked out once per version); gaps in words and free-text
goals are searched per request (one batched vector search, one full-text search each) and
their candidates' vectors gathered from the index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexes.store import IndexVersion
from indexes.vectors import similarities
from recommender.contract.validation import RecommendationRequest
from recommender.indexing import neighbourhood
from recommender.indexing.pools import (
    CURATED_DEPTH,
    DENSE_DEPTH,
    LEXICAL_DEPTH,
    statement_queries,
)
from recommender.indexing.snapshot import Snapshot
from recommender.ranking import gap_signals, text_cache, text_gaps
from recommender.ranking.scoring import rrf
from recommender.ranking.text_gaps import Column
from recommender.storage.models import Feedback


@dataclass
class Candidates:
    ids: np.ndarray            # resource ids, sorted
    rows: np.ndarray           # their rows in the snapshot
    similarity: np.ndarray     # (n, g) cosine to each gap's query vector
    lexical_rank: np.ndarray   # (n, g) rank in the gap's BM25 (or full-text) list, -1
    curated: np.ndarray        # (n, g) bool
    in_scope: np.ndarray       # (n,) bool
    goal_similarity: np.ndarray | None = None  # (n,) with a free-text goal


def gathered(req: RecommendationRequest, index: IndexVersion, snapshot: Snapshot,
             session: Session, columns: list[Column], encoded: Mapping[str, np.ndarray]
             ) -> Candidates:
    """The candidates of the request's gaps (``columns``) that pass its filters."""
    index_rows = [index.row(c.capability) for c in columns]
    pools = snapshot.pools
    if pools is not None and pools.version == index.name and not encoded \
            and None not in index_rows:
        at = pools.pool(index_rows)
        keep = filtered(req, snapshot, session, pools.ids[at], pools.rows[at])
        at = at[keep]
        similarity, lexical_rank, curated = pools.signals(at, index_rows)
        return Candidates(pools.ids[at], pools.rows[at], similarity, lexical_rank, curated,
                          pools.in_scope[at])
    return _searched(req, index, snapshot, session, columns, index_rows, encoded)


def _searched(req: RecommendationRequest, index: IndexVersion, snapshot: Snapshot,
              session: Session, columns: list[Column], index_rows: list[int | None],
              encoded: Mapping[str, np.ndarray]) -> Candidates:
    absent = np.zeros(index.vectors.dimension, dtype=np.float32)  # a statement not indexed
    known = [r for r in index_rows if r is not None]
    own = dict(zip(known, statement_queries(index, snapshot, known), strict=True))
    queries = np.stack([text_gaps.query_vector(c, own[r] if r is not None else absent, encoded)
                        for c, r in zip(columns, index_rows, strict=True)])
    found_rows = [row for row, c in zip(index_rows, columns, strict=True)
                  if row is not None and c.matched]
    parts = [index.dense.ids[found_rows, :DENSE_DEPTH].ravel(),
             index.lexical.ids[found_rows, :LEXICAL_DEPTH].ravel()]
    # curated lists are ordered by similarity to their statement
    parts += [snapshot.curated[c.capability][:CURATED_DEPTH] for c in columns
              if c.matched and c.capability in snapshot.curated]
    # the words of text gaps and of the goal: one batched vector search, one text search each
    # (kept for the next request with the same words: ranking.text_cache)
    searched = list(dict.fromkeys([t for c in columns for t in c.texts]
                                  + ([req.free_text] if req.free_text and encoded else [])))
    text_ranks: dict[str, dict[int, int]] = {}
    for text, (found, ranks) in text_cache.searched(index, snapshot, session, searched,
                                                    encoded).items():
        text_ranks[text] = ranks
        parts += [found, np.fromiter(ranks, dtype=np.int64)]
    pool = np.unique(np.concatenate(parts).astype(np.int64, copy=False))
    pool = pool[pool >= 0]
    rows = snapshot.positions(pool)
    keep = filtered(req, snapshot, session, pool, rows)
    ids, rows = pool[keep], rows[keep]
    vectors = index.vectors_of(ids)[0]
    goal_similarity = None
    if req.free_text and encoded:
        text_rank = np.array([text_ranks[req.free_text].get(int(rid), -1) for rid in ids])
        goal_similarity = 0.7 * (vectors @ encoded[req.free_text]) + 0.3 * rrf(text_rank)
    return Candidates(
        ids, rows, similarity=similarities(vectors, queries),
        lexical_rank=gap_signals.lexical_ranks(index, index_rows, columns, text_ranks, ids),
        curated=gap_signals.curated(snapshot, [c.capability if c.matched else ""
                                               for c in columns], ids),
        in_scope=neighbourhood.in_scope(index, ids, snapshot.curated_any[rows]),
        goal_similarity=goal_similarity)


def filtered(req: RecommendationRequest, snapshot: Snapshot, session: Session,
             ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Which of the resources ``ids`` (at snapshot ``rows``, -1 for none) pass the request's
    filters."""
    keep = rows >= 0
    f = req.filters
    for values, column in ((f.formats, snapshot.format), (f.licences, snapshot.licence),
                           (f.providers, snapshot.provider), (f.languages, snapshot.language)):
        if values:
            keep &= np.where(rows >= 0, column.mask(list(values))[rows], False)
    if f.max_duration_minutes is not None:
        duration = snapshot.duration[rows]
        keep &= ~(duration > f.max_duration_minutes)  # unknown durations are kept
    if req.learner_id and f.exclude_completed:
        done = set(session.scalars(select(Feedback.resource_id).where(
            Feedback.learner_id == req.learner_id, Feedback.verdict == "completed")))
        if done:
            keep &= ~np.isin(ids, list(done))
    return keep
