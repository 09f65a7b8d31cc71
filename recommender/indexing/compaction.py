"""Folding an index version's deltas into a new full version (compaction).

Deltas (``indexes.deltas``) make a one-resource change cheap, but each one served adds to
every search (the overlay's vectors are scored beside the full version's, and the full
version's changed ones are filtered out) and to the load of a fresh process (each delta read
and checked). When they grow past a number of deltas or a share of the version's resources
(``INDEX_COMPACT_DELTAS``, ``INDEX_COMPACT_SHARE``), the worker writes a new full version
from the vectors already held: nothing is encoded again. The neighbour lists by meaning and
each resource's nearest statement are computed afresh from the vectors, exactly as a full
build computes them (a delta can only merge: a list that lost a member is refilled here);
the lists by BM25 are kept as merged, since their statistics come from the texts, which only
a full build reads.
"""

from __future__ import annotations

import logging

from indexes.neighbours import NeighbourLists, nearest
from indexes.store import IndexStore
from indexes.vectors import VectorIndex
from indexes.version import IndexVersion
from recommender.indexing import neighbourhood
from recommender.indexing.basis import BASIS
from recommender.indexing.build import BuildOutcome

log = logging.getLogger(__name__)


def due(version: IndexVersion | None, max_deltas: int, max_share: float) -> bool:
    """True when the deltas over a version have grown enough to be folded in."""
    if version is None or not version.chain:
        return False
    full = version.full.vectors.count if version.full is not None else version.vectors.count
    return len(version.chain) >= max_deltas or version.overlay.size >= max_share * max(full, 1)


def compact(store: IndexStore, lock_timeout: float = 3600) -> BuildOutcome:
    """Publish the current version, deltas and all, as a new full version."""
    with store.lock(lock_timeout):
        loaded = store.load()
        if not loaded.chain:
            return BuildOutcome("unchanged", loaded.name, loaded.vectors.count)
        ids, matrix = loaded.vectors.matrix()
        vectors = VectorIndex.build(ids, matrix, kind=loaded.vectors.kind)
        similarity = matrix @ loaded.capability_vectors.T
        closest = nearest(ids, similarity)
        manifest = {key: loaded.manifest[key] for key in (*BASIS, "catalogue_checksum")
                    if key in loaded.manifest}
        dense = NeighbourLists.from_scores(ids, similarity)
        name = store.publish(vectors, loaded.capability_ids, loaded.capability_vectors,
                             manifest, dense=dense, lexical=loaded.lexical,
                             lexical_stats=loaded.lexical_stats, nearest=closest,
                             outside=neighbourhood.kept(vectors, ids, matrix, closest,
                                                        dense, loaded.lexical))
    log.info("compacted index %s (%d deltas, %d resources changed) into %s",
             loaded.name, len(loaded.chain), loaded.overlay.size, name)
    return BuildOutcome("compacted", name, vectors.count, changed=loaded.overlay.size)
