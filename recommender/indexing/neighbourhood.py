"""Scope by a resource's neighbourhood in the catalogue: the share of its nearest resources
that are out of the framework's scope by their own text.

A resource's nearest statement can be close by a coincidence of vocabulary: a talk on a
research campus's data management is near the framework's data-management statements (cosine
0.58) and is no help to a health and care learner. Its neighbours in the catalogue say more:
it came with other records about research data and microscopy, and 8 of its 10 nearest are out
of scope. A resource nobody curated whose ``NEIGHBOURS`` nearest resources are out of scope
for at least ``OUTSIDE_SHARE`` of them is ranked for no gap (``recommender.ranking``); a
curator's mapping overrides it. Both were chosen on the train half of the judged sets without
labels (docs/ranking.md). Such a record is suggested for no statement either
(``unsuggested``), so coverage does not count it where no list lets it serve.

A full build (and a compaction) keeps the share of each resource in scope by its own text and
on some statement's dense or BM25 list with the version (``IndexVersion.outside``; 0, no gate,
for those on no list; NaN for those out of scope by their text, which no gap takes anyway), as
it keeps the nearest statement's similarity: one search per such resource, once. A resource
an incremental update changed is searched when first asked, once per version (a few:
compaction folds them in). The shares of resources an update did not change stay as the last
full build left them until the next one, and a version written before shares were kept (or by
a benchmark that keeps none) gates nothing: searching its whole pool per version or per
request would cost seconds at 100k resources.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np

from indexes.ids import locate
from indexes.neighbours import NeighbourLists
from indexes.store import IndexVersion
from indexes.vectors import VectorIndex
from recommender.indexing.suggestions import IN_SCOPE_SIMILARITY

NEIGHBOURS = 10
OUTSIDE_SHARE = 0.7
_VERSIONS_KEPT = 2  # versions whose changed resources' searched shares are kept
_SEARCHED: dict[str, dict[int, float]] = {}  # version name -> resource id -> share


def shares(vectors: VectorIndex, ids: np.ndarray, queries: np.ndarray,
           in_scope_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The share of each resource's ``NEIGHBOURS`` nearest others (``ids`` with their vectors
    ``queries``, searched in ``vectors``) that ``in_scope_of`` (ids -> bool) leaves out."""
    out = np.zeros(len(ids), dtype=np.float32)
    if not len(ids) or vectors.count < 2:
        return out
    _, found = vectors.search(np.ascontiguousarray(queries, dtype=np.float32), NEIGHBOURS + 1)
    others = np.where(found == np.asarray(ids)[:, None], -1, found)
    # the nearest NEIGHBOURS others: the resource itself (or the search's padding) left out
    kept = np.argsort(others < 0, axis=1, kind="stable")[:, :NEIGHBOURS]
    others = np.take_along_axis(others, kept, axis=1)
    real = others >= 0
    outside = real & ~in_scope_of(np.where(real, others, 0).ravel()).reshape(others.shape)
    counted = np.maximum(real.sum(axis=1), 1)
    return (outside.sum(axis=1) / counted).astype(np.float32)


def kept(vectors: VectorIndex, ids: np.ndarray, matrix: np.ndarray,
         nearest: tuple[np.ndarray, np.ndarray], *lists: NeighbourLists
         ) -> tuple[np.ndarray, np.ndarray]:
    """What a full build keeps: (sorted ids, shares), the share of each resource in scope by
    its own text (``nearest``: sorted ids and their nearest statement's similarity) that is
    on one of the version's statement ``lists`` (dense and BM25), NaN for those out of scope
    by their text, and 0 (no gate) for the rest. Searching only the
    listed ones bounds the build's cost by the lists' size (160 statements by their depth),
    not the catalogue's: every candidate of a statement gap is on a list; a gap in words also
    reaches the rest, which are then in scope by their own text alone."""
    near_ids, near = nearest

    def by_text(x: np.ndarray) -> np.ndarray:
        where, found = locate(near_ids, x)
        return found & (near[where] >= IN_SCOPE_SIMILARITY)

    order = np.argsort(ids, kind="stable")
    ids = np.asarray(ids, dtype=np.int64)[order]
    out = np.full(len(ids), np.nan, dtype=np.float32)
    mine = by_text(ids)
    out[mine] = 0.0
    mine &= np.isin(ids, listed(*lists))
    # only the searched rows of the matrix are gathered (the whole of it is 1.5 GB at 1M)
    out[mine] = shares(vectors, ids[mine], matrix[order[mine]], by_text)
    return ids, out


def listed(*lists: NeighbourLists) -> np.ndarray:
    """The resource ids on any of these neighbour lists."""
    found = np.unique(np.concatenate([np.asarray(found.ids).ravel() for found in lists]))
    return found[found >= 0]


def outside_shares(index: IndexVersion, ids: np.ndarray) -> np.ndarray:
    """Each resource's share of out-of-scope neighbours, read from what the full build kept
    or, for a resource changed since, searched now; 0 for all in a version that kept none."""
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros(len(ids), dtype=np.float32)
    if index.outside is None:
        return out
    where, held = locate(index.outside[0], ids) if len(index.outside[0]) else \
        (np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool))
    changed = np.isin(ids, index.overlay.ids) if index.overlay is not None else ~held
    held &= ~changed
    out[held] = index.outside[1][where[held]]
    if changed.any():
        out[changed] = _searched(index, ids[changed])
    return out


def searched(index: IndexVersion, ids: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The shares of these resources (with their ``vectors``) in ``index``, searched now."""
    return shares(index.vectors, ids, vectors,
                  lambda x: index.nearest_similarity(x) >= IN_SCOPE_SIMILARITY)


def gated(shares: np.ndarray) -> np.ndarray:
    """(n,) bool: the shares that take a resource nobody curated out of scope (a share is a
    count over ``NEIGHBOURS`` kept as float32: 7 of 10 must reach 0.7), and NaN, kept for a
    resource out of scope by its own text."""
    return ~(np.asarray(shares) < OUTSIDE_SHARE - 1e-6)


def unsuggested(suggestions: dict[int, list], ids: np.ndarray, shares: np.ndarray,
                curated: Collection[int]) -> None:
    """Empties, in place, the suggested statements of each resource nobody curated whose
    neighbourhood takes it out of scope (``ids`` with their ``shares``): a record ranked for
    no gap is mapped to none, so coverage does not count it either."""
    for rid in np.asarray(ids)[gated(shares)].tolist():
        if suggestions.get(rid) and rid not in curated:
            suggestions[rid] = []


def unsuggested_changed(suggestions: dict[int, list], index: IndexVersion, ids: np.ndarray,
                        vectors: np.ndarray, curated: Collection[int]) -> None:
    """``unsuggested`` for the resources an update changed (``ids``, ``vectors``), their
    neighbourhoods searched in the updated ``index``: only those with suggestions and nobody's
    curation, as no other can lose any."""
    asked = np.array([bool(suggestions.get(rid)) and rid not in curated
                      for rid in ids.tolist()], dtype=bool)
    if asked.any():
        unsuggested(suggestions, ids[asked], searched(index, ids[asked], vectors[asked]),
                    curated)


def _searched(index: IndexVersion, ids: np.ndarray) -> np.ndarray:
    """The shares of resources changed since the full build, searched once per version and
    kept for it: a request on the path of gaps in words would otherwise search them again
    (a flat search at 100k costs milliseconds)."""
    kept = _SEARCHED.get(index.name)
    if kept is None:
        while len(_SEARCHED) >= _VERSIONS_KEPT:
            _SEARCHED.pop(next(iter(_SEARCHED)))
        kept = _SEARCHED[index.name] = {}
    todo = np.array([rid for rid in ids.tolist() if rid not in kept], dtype=np.int64)
    if len(todo):
        vectors, found = index.vectors_of(todo)
        out = np.zeros(len(todo), dtype=np.float32)
        out[found] = searched(index, todo[found], vectors[found])
        kept.update(zip(todo.tolist(), out.tolist(), strict=True))
    return np.array([kept[rid] for rid in ids.tolist()], dtype=np.float32)


def in_scope(index: IndexVersion, ids: np.ndarray, curated_any: np.ndarray) -> np.ndarray:
    """(n,) bool: the resources in the framework's scope: curated for something, or with a
    statement at ``IN_SCOPE_SIMILARITY`` or closer and less than ``OUTSIDE_SHARE`` of their
    neighbourhood out of scope."""
    near = index.nearest_similarity(ids) >= IN_SCOPE_SIMILARITY
    check = near & ~curated_any
    ok = near.copy()
    ok[check] = ~gated(outside_shares(index, ids[check]))
    return curated_any | ok
