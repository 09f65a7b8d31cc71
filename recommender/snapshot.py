"""An in-memory, columnar view of the catalogue for ranking, rebuilt per index version.

Ranking filters and scores hundreds of candidates per request; reading their metadata from the
database each time would cost more than the ranking itself, so each web process keeps these
arrays and rebuilds them when a new index version is published (every catalogue change makes
one within seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.framework import ARCHETYPE_BADGES
from indexes.ids import locate
from indexes.store import IndexVersion
from recommender.models import NearDuplicate, Resource, ResourceCapability

ARCHETYPE_BITS = {name: 1 << i for i, name in enumerate(ARCHETYPE_BADGES)}


@dataclass
class Codes:
    """A categorical column: an int code per resource and the labels."""

    codes: np.ndarray
    labels: list[str]

    def mask(self, wanted: list[str]) -> np.ndarray:
        chosen = [self.labels.index(w) for w in wanted if w in self.labels]
        return np.isin(self.codes, chosen)


@dataclass
class Snapshot:
    version: str
    ids: np.ndarray            # sorted resource ids
    slugs: list[str]
    is_baseline: np.ndarray
    archetype_bits: np.ndarray
    duration: np.ndarray       # minutes, NaN when unknown
    provider: Codes
    format: Codes
    licence: Codes
    language: Codes
    curated: dict[str, np.ndarray]       # statement id -> resource ids a curator mapped
    duplicates: dict[int, set[int]]      # resource id -> near-duplicates flagged for it

    def positions(self, resource_ids: np.ndarray) -> np.ndarray:
        """Row of each id in the snapshot, -1 for ids it does not hold."""
        where, found = locate(self.ids, resource_ids)
        return np.where(found, where, -1)


def load(session: Session, index: IndexVersion) -> Snapshot:
    """Read the catalogue's ranking columns; curated lists come ordered by similarity to
    their statement, so a request can take the best ones first."""
    rows = session.execute(select(Resource.id, Resource.slug, Resource.level,
                                  Resource.archetypes, Resource.duration_minutes,
                                  Resource.provider, Resource.format, Resource.licence,
                                  Resource.language).order_by(Resource.id)).all()
    curated: dict[str, list[int]] = {}
    for rid, code in session.execute(select(ResourceCapability.resource_id,
                                            ResourceCapability.capability_code)
                                     .where(ResourceCapability.source == "curated")):
        curated.setdefault(code, []).append(rid)
    duplicates: dict[int, set[int]] = {}
    for a, b in session.execute(select(NearDuplicate.resource_id, NearDuplicate.other_id)
                                .where(NearDuplicate.status != "dismissed")):
        duplicates.setdefault(a, set()).add(b)
        duplicates.setdefault(b, set()).add(a)
    return Snapshot(
        version=index.name,
        ids=np.array([r.id for r in rows], dtype=np.int64),
        slugs=[r.slug for r in rows],
        is_baseline=np.array([r.level == "baseline" for r in rows], dtype=bool),
        archetype_bits=np.array([sum(ARCHETYPE_BITS.get(a, 0) for a in r.archetypes or [])
                                 for r in rows], dtype=np.uint8),
        duration=np.array([np.nan if r.duration_minutes is None else r.duration_minutes
                           for r in rows], dtype=np.float64),
        provider=_codes([r.provider for r in rows]),
        format=_codes([r.format for r in rows]),
        licence=_codes([r.licence for r in rows]),
        language=_codes([r.language for r in rows]),
        curated={code: _by_similarity(index, code, ids) for code, ids in curated.items()},
        duplicates=duplicates,
    )


def _codes(values: list[str]) -> Codes:
    labels = sorted(set(values))
    index = {label: i for i, label in enumerate(labels)}
    return Codes(np.array([index[v] for v in values], dtype=np.int32), labels)


def _by_similarity(index: IndexVersion, code: str, ids: list[int]) -> np.ndarray:
    ids_array = np.array(sorted(ids), dtype=np.int64)
    row = index.row(code)
    if row is None or not len(ids_array):
        return ids_array
    vectors, found = index.vectors_of(ids_array)
    similarity = np.where(found, vectors @ index.capability_vectors[row], -np.inf)
    return ids_array[np.argsort(-similarity, kind="stable")]
