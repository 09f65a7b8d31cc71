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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from catalogue.framework import ARCHETYPE_BADGES, statement_key
from indexes.ids import locate
from indexes.store import IndexVersion
from recommender.storage.models import NearDuplicate, Resource, ResourceCapability

if TYPE_CHECKING:
    from recommender.indexing.pools import Pools

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
    slugs: np.ndarray          # (rows,) str objects
    is_baseline: np.ndarray
    archetype_bits: np.ndarray
    duration: np.ndarray       # minutes, NaN when unknown
    provider: Codes
    format: Codes
    licence: Codes
    language: Codes
    curated: dict[str, np.ndarray]       # statement key -> resource ids a curator mapped
    duplicates: dict[int, set[int]]      # resource id -> near-duplicates flagged for it
    curated_any: np.ndarray = None       # (rows,) bool: a curator mapped it to something
    level_inferred: np.ndarray = None    # (rows,) bool: the level was inferred from its text
    archetypes_inferred: np.ndarray = None  # (rows,) bool: ... and so were the archetypes
    pools: Pools | None = None           # each statement's candidates (set by serving)
    # resource id -> its fields as answers show them, read when first shown while this
    # version serves (recommender.ranking.recommend.shown_fields): a change to a resource
    # makes a new version, whose snapshot keeps the others' and reads the changed ones again
    shown: dict[int, dict] = field(default_factory=dict)

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
        return _read(session, index)


def patch(session: Session, previous: Snapshot, index: IndexVersion,
          touched: np.ndarray) -> Snapshot:
    """``previous`` brought up to ``index``, a version with deltas over it: only the rows of
    the resources the deltas ``touched`` are read again (a one-resource change at 100k
    resources reads one row, not 100k). Near-duplicate flags are read whole, as a full load
    does, since a curator's decision on one does not make a new index version."""
    touched = np.asarray(touched, dtype=np.int64)
    fresh = _read(session, index, only=touched)
    stay = ~np.isin(previous.ids, touched)
    at = np.searchsorted(previous.ids[stay], fresh.ids)  # both sorted by id

    def rows(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        return np.insert(old[stay], at, new)

    def codes(old: Codes, new: Codes) -> Codes:
        labels = list(old.labels) + [label for label in new.labels if label not in old.labels]
        recoded = np.array([labels.index(label) for label in new.labels], dtype=np.int32)
        return Codes(rows(old.codes, recoded[new.codes] if len(new.codes) else new.codes),
                     labels)

    curated = {code: found[~np.isin(found, touched)] for code, found in previous.curated.items()}
    for code, found in fresh.curated.items():
        curated[code] = _by_similarity(index, code, np.concatenate(
            [curated.get(code, np.zeros(0, dtype=np.int64)), found]).tolist())
    curated = {code: found for code, found in curated.items() if len(found)}
    ids = rows(previous.ids, fresh.ids)
    return Snapshot(
        version=index.name, ids=ids, slugs=rows(previous.slugs, fresh.slugs),
        is_baseline=rows(previous.is_baseline, fresh.is_baseline),
        archetype_bits=rows(previous.archetype_bits, fresh.archetype_bits),
        duration=rows(previous.duration, fresh.duration),
        provider=codes(previous.provider, fresh.provider),
        format=codes(previous.format, fresh.format),
        licence=codes(previous.licence, fresh.licence),
        language=codes(previous.language, fresh.language),
        curated=curated, duplicates=fresh.duplicates,
        level_inferred=rows(previous.level_inferred, fresh.level_inferred),
        archetypes_inferred=rows(previous.archetypes_inferred, fresh.archetypes_inferred),
        curated_any=rows(previous.curated_any, fresh.curated_any),
        shown=_kept_shown(previous.shown, touched))


def _kept_shown(shown: dict[int, dict], touched: np.ndarray) -> dict[int, dict]:
    """The shown fields of the resources a delta did not touch (a copy: the previous version
    may still be serving)."""
    kept = dict(shown)
    for rid in touched.tolist():
        kept.pop(rid, None)
    return kept


def _read(session: Session, index: IndexVersion, only: np.ndarray | None = None) -> Snapshot:
    """The snapshot of the whole catalogue, or of the resources in ``only``."""
    query = select(Resource.id, Resource.slug, Resource.level,
                   type_coerce(Resource.archetypes, String),
                   Resource.duration_minutes, Resource.provider, Resource.format,
                   Resource.licence, Resource.language,
                   Resource.labels[("level", "source")].as_string(),
                   Resource.labels[("archetypes", "source")].as_string())
    mapped = select(ResourceCapability.resource_id, ResourceCapability.framework,
                    ResourceCapability.capability_code) \
        .where(ResourceCapability.source == "curated")
    if only is not None:
        query = query.where(Resource.id.in_(only.tolist()))
        mapped = mapped.where(ResourceCapability.resource_id.in_(only.tolist()))
    rows = session.execute(query.order_by(Resource.id))
    (ids, slugs, levels, archetypes, durations, providers, formats, licences,
     languages, level_sources, archetype_sources) = _columns(rows, 11)
    curated: dict[str, list[int]] = {}
    for rid, framework, code in session.execute(mapped):  # by index key: one per framework
        curated.setdefault(statement_key(framework, code), []).append(rid)
    duplicates: dict[int, set[int]] = {}
    for a, b in session.execute(select(NearDuplicate.resource_id, NearDuplicate.other_id)
                                .where(NearDuplicate.status != "dismissed")):
        duplicates.setdefault(a, set()).add(b)
        duplicates.setdefault(b, set()).add(a)
    level = _codes(levels)
    ids = np.array(ids, dtype=np.int64)
    curated_ids = {code: _by_similarity(index, code, found) for code, found in curated.items()}
    return Snapshot(
        version=index.name,
        ids=ids,
        slugs=np.array(slugs, dtype=object),
        is_baseline=level.mask(["baseline"]),
        archetype_bits=_archetype_bits(archetypes),
        duration=np.array(durations, dtype=np.float64),  # None becomes NaN
        provider=_codes(providers),
        format=_codes(formats),
        licence=_codes(licences),
        language=_codes(languages),
        curated=curated_ids,
        duplicates=duplicates,
        level_inferred=np.array([v == "suggested" for v in level_sources], dtype=bool),
        archetypes_inferred=np.array([v == "suggested" for v in archetype_sources], dtype=bool),
        curated_any=_curated_any(ids, curated_ids),
    )


def _curated_any(ids: np.ndarray, curated: dict[str, np.ndarray]) -> np.ndarray:
    """Per row: a curator mapped the resource to something."""
    mapped = [found for found in curated.values() if len(found)]
    return np.isin(ids, np.unique(np.concatenate(mapped))) if mapped else \
        np.zeros(len(ids), dtype=bool)


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
