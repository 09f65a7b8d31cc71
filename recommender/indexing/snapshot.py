"""An in-memory, columnar view of the catalogue for ranking, rebuilt per index version.

Ranking filters and scores hundreds of candidates per request; reading their metadata from the
database each time would cost more than the ranking itself, so each web process keeps these
arrays and rebuilds them when a new index version is published (every catalogue change makes
one within seconds).
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from catalogue.framework import ARCHETYPE_BADGES
from indexes.ids import locate
from indexes.store import IndexVersion
from recommender.storage.models import NearDuplicate, Resource, ResourceCapability

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
    curated_any: np.ndarray = None       # (rows,) bool: a curator mapped it to something
    level_inferred: np.ndarray = None    # (rows,) bool: the level was inferred from its text
    archetypes_inferred: np.ndarray = None  # (rows,) bool: ... and so were the archetypes

    def positions(self, resource_ids: np.ndarray) -> np.ndarray:
        """Row of each id in the snapshot, -1 for ids it does not hold."""
        where, found = locate(self.ids, resource_ids)
        return np.where(found, where, -1)


def load(session: Session, index: IndexVersion) -> Snapshot:
    """Read the catalogue's ranking columns; curated lists come ordered by similarity to
    their statement, so a request can take the best ones first.

    At a million resources this is what a worker does before it serves a new version, so the
    rows are read as plain columns: the archetypes as their stored JSON text, decoded once per
    distinct value (a catalogue has a few dozen), not once per row, and with the garbage
    collector paused: the rows are millions of short-lived tuples, which it would otherwise
    scan over and over (at a million resources the read took 8.5 s with it, 3.3 s without).
    """
    with _collector_paused():
        return _load(session, index)


def _load(session: Session, index: IndexVersion) -> Snapshot:
    rows = session.execute(select(Resource.id, Resource.slug, Resource.level,
                                  type_coerce(Resource.archetypes, String),
                                  Resource.duration_minutes, Resource.provider, Resource.format,
                                  Resource.licence, Resource.language,
                                  Resource.labels[("level", "source")].as_string(),
                                  Resource.labels[("archetypes", "source")].as_string())
                           .order_by(Resource.id))
    (ids, slugs, levels, archetypes, durations, providers, formats, licences,
     languages, level_sources, archetype_sources) = _columns(rows, 11)
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
    level = _codes(levels)
    return Snapshot(
        version=index.name,
        ids=np.array(ids, dtype=np.int64),
        slugs=list(slugs),
        is_baseline=level.mask(["baseline"]),
        archetype_bits=_archetype_bits(archetypes),
        duration=np.array(durations, dtype=np.float64),  # None becomes NaN
        provider=_codes(providers),
        format=_codes(formats),
        licence=_codes(licences),
        language=_codes(languages),
        curated={code: _by_similarity(index, code, ids) for code, ids in curated.items()},
        duplicates=duplicates,
        level_inferred=np.array([v == "suggested" for v in level_sources], dtype=bool),
        archetypes_inferred=np.array([v == "suggested" for v in archetype_sources], dtype=bool),
        curated_any=np.isin(np.array(ids, dtype=np.int64),
                            np.fromiter({rid for found in curated.values() for rid in found},
                                        dtype=np.int64)),
    )


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector (reading rows makes no reference cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _columns(rows, width: int) -> list[tuple]:
    """The rows' columns (``width`` of them, empty when there are no rows)."""
    return list(zip(*rows, strict=True)) or [()] * width


def _archetype_bits(values) -> np.ndarray:
    """Each resource's archetypes as a bit set. A value is the column's JSON text, or already
    a list where the driver decodes JSON itself (psycopg)."""
    bits: dict = {}

    def decode(value) -> int:
        names = json.loads(value) if isinstance(value, str) else value
        return sum(ARCHETYPE_BITS.get(a, 0) for a in names or [])

    out = []
    for value in values:
        key = value if value is None or isinstance(value, str) else tuple(value)
        found = bits.get(key)
        if found is None:
            found = bits[key] = decode(value)
        out.append(found)
    return np.array(out, dtype=np.uint8)


def _codes(values) -> Codes:
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
