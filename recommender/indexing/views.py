"""One framework's view of an index version and its catalogue snapshot.

An index version holds the statements of every loaded framework, each under its key
(``catalogue.framework.statement_key``: the default framework's ids as they are, another's as
``<framework>/<id>``), with their vectors and neighbour lists as rows. A request ranks within
one framework: its view has only that framework's rows, under their own ids, so ranking code
never sees another framework's statements. Views are made once per version and framework,
with their own candidate pools (``pools``: columns are the view's statements).
"""

from __future__ import annotations

import threading
from dataclasses import replace

from catalogue.framework import DEFAULT_FRAMEWORK, key_parts
from indexes.neighbours import NeighbourLists
from indexes.store import IndexVersion
from recommender.indexing import pools
from recommender.indexing.basis import framework_versions
from recommender.indexing.snapshot import Snapshot

_lock = threading.Lock()
_KEPT = 8  # views kept per process (frameworks x the versions being served)


def frameworks_of(index: IndexVersion) -> tuple[str, ...]:
    """The frameworks whose statements an index version holds, the default first."""
    return tuple(framework_versions(index.manifest))


def version_of(index: IndexVersion, framework: str) -> str | None:
    """The framework version whose statements an index version holds (None: not held)."""
    return framework_versions(index.manifest).get(framework)


def _whole(index: IndexVersion, framework: str) -> bool:
    """Whether ``framework``'s view of ``index`` is the version itself (it holds no other)."""
    return framework == DEFAULT_FRAMEWORK and len(frameworks_of(index)) == 1


def view(cache: dict, index: IndexVersion, snapshot: Snapshot, framework: str
         ) -> tuple[IndexVersion, Snapshot]:
    """The index version and snapshot as ``framework`` sees them (the same objects when the
    version holds no other framework's statements)."""
    if _whole(index, framework):
        return index, snapshot
    key = (index.name, snapshot.version, framework)
    found = cache.get(key)
    if found is None:
        with _lock:
            found = cache.get(key)
            if found is None:
                served = _index_view(index, framework)
                seen = _snapshot_view(snapshot, framework)
                if snapshot.pools is not None:  # the view's own: its statements' columns
                    seen.pools = pools.build(served, seen)
                found = (served, seen)
                while len(cache) >= _KEPT:
                    cache.pop(next(iter(cache)))
                cache[key] = found
    return found


def sliced(index: IndexVersion, framework: str) -> IndexVersion:
    """One framework's view of an index version, made afresh (not kept)."""
    return index if _whole(index, framework) else _index_view(index, framework)


def _index_view(index: IndexVersion, framework: str) -> IndexVersion:
    rows = [i for i, k in enumerate(index.capability_ids) if key_parts(k)[0] == framework]

    def lists(of: NeighbourLists) -> NeighbourLists:
        return NeighbourLists(of.ids[rows], of.scores[rows])

    return replace(index, capability_ids=[key_parts(index.capability_ids[i])[1] for i in rows],
                   capability_vectors=index.capability_vectors[rows],
                   dense=lists(index.dense), lexical=lists(index.lexical))


def _snapshot_view(snapshot: Snapshot, framework: str) -> Snapshot:
    curated = {}
    for key, ids in snapshot.curated.items():
        mine, code = key_parts(key)
        if mine == framework:
            curated[code] = ids
    return replace(snapshot, curated=curated)
