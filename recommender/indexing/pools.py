"""Each statement's candidate resources for ranking, with their signals against every
statement, worked out once per index version (like its snapshot) instead of per request.

A gap given as a statement id takes its candidates from lists fixed by the version: the
statement's nearest resources by meaning (``DENSE_DEPTH``) and by BM25 (``LEXICAL_DEPTH``),
and the first ``CURATED_DEPTH`` of its curated mappings. A request's candidates are the union
of its gaps' lists, and each candidate is scored against every gap: its cosine to the gap's
statement's query vector (``statement_queries``), its rank in the statement's BM25 list and
whether a curator mapped it there. The
union of every statement's lists is a few thousand resources at any catalogue size (at most
statements x 150), so these signals are kept for all of them against all statements (at 160
statements and 100k resources: 16,000 candidates, 20 MB, built in 0.06 s), and a request
reads its rows and columns instead of gathering vectors and searching lists. Gaps in words
and free-text goals search the index per request and are ranked without this table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexes.ids import locate
from indexes.store import IndexVersion
from indexes.vectors import similarities
from recommender.indexing import neighbourhood
from recommender.indexing.snapshot import Snapshot

DENSE_DEPTH = 60     # per gap, from the statement's precomputed neighbours
CURATED_DEPTH = 60   # ... from its curated mappings, the most similar first
LEXICAL_DEPTH = 30   # ... from its BM25 list (and a text's full-text search)
# a statement no curator mapped anything to is queried with its first FEEDBACK BM25 matches'
# mean vector mixed in, at FEEDBACK_WEIGHT (pseudo-relevance feedback, Rocchio); both chosen on
# the train half of the judged sets without labels (docs/ranking.md)
FEEDBACK = 3
FEEDBACK_WEIGHT = 0.5
# one candidate against one statement: cosine, rank in its BM25 list (-1: absent; lists are
# neighbours.DEPTH = 200 long), curated; aligned (8 bytes), as unaligned floats read slowly
CELL = np.dtype([("similarity", np.float32), ("lexical_rank", np.int16), ("curated", bool)],
                align=True)


@dataclass
class Pools:
    """The candidates of every statement of one index version and its snapshot. Statements
    are the version's (``IndexVersion.row`` numbers the columns)."""

    version: str               # the index version's name
    ids: np.ndarray            # (u,) sorted: every statement's candidates the snapshot holds
    rows: np.ndarray           # (u,) their rows in the snapshot
    cells: np.ndarray          # (u, s) CELL: each candidate's signals against each statement
    in_scope: np.ndarray       # (u,) bool: curated for something, or near some statement
    members: list[np.ndarray]  # per statement: positions in ``ids`` of its own candidates

    def pool(self, statement_rows: list[int]) -> np.ndarray:
        """Positions (sorted, so in id order) of the candidates of these statements."""
        chosen = np.zeros(len(self.ids), dtype=bool)  # a mask: 10x faster than np.unique
        for row in statement_rows:
            chosen[self.members[row]] = True
        return np.flatnonzero(chosen)

    def signals(self, at: np.ndarray, statement_rows: list[int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(similarity, lexical rank (int64), curated) of the candidates at ``at`` against
        these statements: (len(at) x statements) each."""
        # a flat index (a third of the cost of 2-d fancy indexing) into one table: a cell's
        # three signals share a cache line (the reads are scattered: 14,000 at 10 gaps)
        cells = self.cells.reshape(-1).take(
            at[:, None] * self.cells.shape[1] + np.asarray(statement_rows))
        return (cells["similarity"].copy(), cells["lexical_rank"].astype(np.int64),
                cells["curated"].copy())


def build(index: IndexVersion, snapshot: Snapshot) -> Pools:
    """The pools of ``index`` over its ``snapshot`` (the same version)."""
    codes = index.capability_ids
    own = []
    for row, code in enumerate(codes):
        parts = [index.dense.ids[row, :DENSE_DEPTH], index.lexical.ids[row, :LEXICAL_DEPTH]]
        if code in snapshot.curated:
            parts.append(snapshot.curated[code][:CURATED_DEPTH])
        found = np.unique(np.concatenate(parts).astype(np.int64, copy=False))
        own.append(found[found >= 0])
    ids = np.unique(np.concatenate(own)) if own else np.zeros(0, dtype=np.int64)
    rows = snapshot.positions(ids)
    ids, rows = ids[rows >= 0], rows[rows >= 0]
    members = []
    for found in own:
        where, hit = locate(ids, found)
        members.append(where[hit])
    vectors = index.vectors_of(ids)[0]
    cells = np.zeros((len(ids), len(codes)), dtype=CELL)
    cells["similarity"] = similarities(vectors, statement_queries(index, snapshot,
                                                                  list(range(len(codes)))))
    cells["lexical_rank"] = -1
    for row, code in enumerate(codes):
        where, hit = locate(ids, index.lexical.ids[row])
        cells["lexical_rank"][where[hit], row] = np.flatnonzero(hit)
        mapped = snapshot.curated.get(code)
        if mapped is not None:
            where, hit = locate(ids, mapped)
            cells["curated"][where[hit], row] = True
    in_scope = neighbourhood.in_scope(index, ids, snapshot.curated_any[rows])
    return Pools(index.name, ids, rows, cells, in_scope, members)


def statement_queries(index: IndexVersion, snapshot: Snapshot, rows: list[int]) -> np.ndarray:
    """(len(rows), d): the vectors the candidates of these statements (index rows) are
    compared with. A statement with curated mappings is its own vector. One without is its
    vector plus ``FEEDBACK_WEIGHT`` times the normalised mean of its first ``FEEDBACK`` BM25
    matches' vectors, normalised: the resources that use the statement's own words pull its
    query toward what they say (a few vectors a statement, not a search)."""
    own = index.capability_vectors[rows]
    top = index.lexical.ids[rows, :FEEDBACK]
    vectors, found = index.vectors_of(top.ravel())
    found = found.reshape(top.shape) & (top >= 0)
    mean = (vectors.reshape(*top.shape, own.shape[1]) * found[..., None]).sum(axis=1)
    size = np.linalg.norm(mean, axis=1)
    use = (size > 0) & np.array([not len(snapshot.curated.get(index.capability_ids[r], ()))
                                 for r in rows], dtype=bool)
    out = own.copy()
    mixed = own[use] + FEEDBACK_WEIGHT * mean[use] / size[use, None]
    out[use] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out
