"""Turn a learner's gaps into ranked baseline and specialist lists, each item with its reasons.

Candidates come from lists computed at index time (each statement's nearest resources by
meaning and by BM25) and the curators' mappings, so a request without free text runs no model
and no vector search: its candidates and their signals are read from the version's pools
(``ranking.candidates``). A free-text goal is encoded once and searched in FAISS and in the
database's full-text index.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import numpy as np
from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.orm import Session

from catalogue.framework import Capability
from indexes.embedding import Encoder
from indexes.ids import locate
from indexes.store import IndexVersion
from recommender.content.views import PUBLIC_COLUMNS, public_fields
from recommender.contract.openapi.schemas import DEFAULT_LIMIT, MAX_GAPS
from recommender.contract.validation import Gap, RecommendationRequest
from recommender.indexing.snapshot import ARCHETYPE_BITS, Snapshot
from recommender.indexing.views import version_of
from recommender.ranking import text_cache, text_gaps
from recommender.ranking.candidates import Candidates, gathered
from recommender.ranking.explain import explained
from recommender.ranking.scoring import Signals, score
from recommender.ranking.selection import pages, weak_matches
from recommender.ranking.text_gaps import Column
from recommender.storage.driver_reads import DriverRead, Reads
from recommender.storage.models import Feedback, Resource

STARTER_GAPS = 12
SHOWN_KEPT = 10_000  # resources whose shown fields a snapshot keeps (about 2 KB each)

# run on the driver's cursor, compiled once per dialect and list length
# (recommender/storage/driver_reads.py): the session's execution layer cost more than the reads
_NET_FEEDBACK = DriverRead(lambda codes: (
    select(Feedback.resource_id, Feedback.capability_code, Feedback.verdict,
           func.count().label("marks"))
    .where(Feedback.framework == bindparam("framework"), Feedback.capability_code.in_(codes),
           Feedback.verdict.in_([literal("useful"), literal("not_useful")]))
    .group_by(Feedback.resource_id, Feedback.capability_code, Feedback.verdict)), ["codes"],
    prepared=range(1, MAX_GAPS + 1))
# the shown resources of a default page (both lists) compiled as a worker starts
_SHOWN = DriverRead(lambda ids: select(*PUBLIC_COLUMNS).where(Resource.id.in_(ids)), ["ids"],
                    prepared=range(1, 2 * DEFAULT_LIMIT + 1))


def recommend(req: RecommendationRequest, index: IndexVersion, snapshot: Snapshot,
              session: Session, statements: Mapping[str, Capability], weights: dict[str, float],
              encoder: Encoder | None = None) -> dict:
    """Rank resources for the request's gaps; return the response body."""
    note = None
    gaps = req.gaps
    if not gaps and not req.text_gaps:
        gaps = starter_gaps(statements, req.archetype)
        note = f"a starter path for {req.archetype}s: the first-level statements for this role"
    if index.vectors.count == 0 or len(snapshot.ids) == 0:
        return _response(req, index, {"baseline": [], "specialist": []},
                         "the catalogue is empty: nothing to recommend yet")
    words = [g.text for g in req.text_gaps] + ([req.free_text] if req.free_text else [])
    words = list(dict.fromkeys(words))
    encoded = text_cache.encoded(encoder, words) if words and encoder is not None else {}
    readings = text_gaps.read(req.text_gaps, np.array([encoded[g.text] for g in req.text_gaps]),
                              index, statements, req.archetype) if encoded else []
    columns = text_gaps.columns(gaps, readings)
    candidates = gathered(req, index, snapshot, session, columns, encoded)
    if not len(candidates.ids):
        return _response(req, index, {"baseline": [], "specialist": []},
                         note or "no resource passes the filters")
    with Reads(session) as reads:
        return _ranked(req, index, snapshot, reads, statements, weights, columns, readings,
                       candidates, note)


def _ranked(req: RecommendationRequest, index: IndexVersion, snapshot: Snapshot, reads: Reads,
            statements: Mapping[str, Capability], weights: dict[str, float],
            columns: list[Column], readings: list, candidates: Candidates,
            note: str | None) -> dict:
    codes = [c.capability for c in columns]
    rows = candidates.rows
    scores = score(Signals(
        similarity=candidates.similarity,
        lexical_rank=candidates.lexical_rank,
        curated=candidates.curated,
        archetype_fit=(snapshot.archetype_bits[rows] & ARCHETYPE_BITS.get(req.archetype, 0)) > 0,
        is_baseline=snapshot.is_baseline[rows],
        gap_levels=np.array([statements[c].level for c in codes]),
        severities=np.array([c.severity for c in columns]),
        goal_similarity=candidates.goal_similarity,
        format_preferred=snapshot.format.mask(list(req.preferences.formats))[rows]
        if req.preferences.formats else None,
        duration_fit=_duration_fit(snapshot.duration[rows], req.preferences.duration_minutes),
        not_useful=_not_useful(reads, candidates.ids, codes, req.framework),
        level_wanted=req.preferences.level,
        words_only=np.array([not c.matched for c in columns]),
        level_inferred=snapshot.level_inferred[rows],
        archetypes_inferred=snapshot.archetypes_inferred[rows],
        in_scope=candidates.in_scope,
    ), weights)
    weak = weak_matches(scores, [c.matched for c in columns])
    chosen = pages(scores, snapshot, candidates, weak, req.limit, req.page)
    wanted = [int(candidates.ids[i]) for picks in chosen.values() for i in picks]
    full = shown_fields(reads, snapshot, wanted)
    lists = explained({level: [(i, full[rid]) for i, rid in zip(
        picks, candidates.ids[picks].tolist(), strict=True) if rid in full]
        for level, picks in chosen.items()}, scores, weak, columns, req, statements)
    if readings:
        lists["text_gaps"] = [r.as_dict(statements) for r in readings]
    return _response(req, index, lists, note)


def shown_fields(reads: Reads, snapshot: Snapshot, ids: list[int]) -> dict[int, dict]:
    """The fields answers show of the resources ``ids`` (those the database still holds), as
    the served version knows them: read from the database when first shown while it serves,
    then kept with its snapshot (at most ``SHOWN_KEPT``). An edit or a deletion reaches
    answers when its index update is served, as it reaches the ranking: within a second of
    the worker's update (docs/performance.md)."""
    kept = snapshot.shown
    missing = [rid for rid in ids if rid not in kept]
    if missing:
        if len(kept) + len(missing) > SHOWN_KEPT:
            kept.clear()
            missing = ids
        for row in _SHOWN.rows(reads, ids=missing):
            kept[row.id] = public_fields(row)
    return {rid: kept[rid] for rid in ids if rid in kept}


def starter_gaps(statements: Mapping[str, Capability], archetype: str | None) -> tuple[Gap, ...]:
    """Level-1 statements badged for the archetype, as mild gaps, in framework order."""
    chosen = [code for code, c in statements.items()
              if c.level == 1 and archetype in (c.archetypes or [])]
    return tuple(Gap(code, 1) for code in chosen[:STARTER_GAPS])


def _duration_fit(duration: np.ndarray, wanted: int | None) -> np.ndarray | None:
    """1 at the preferred duration, falling with the log-ratio; 0 when unknown."""
    if wanted is None:
        return None
    ratio = np.abs(np.log(np.where(np.isnan(duration), np.inf, duration) / wanted))
    return np.where(np.isfinite(ratio), np.clip(1 - ratio / np.log(8), 0, 1), 0.0)


def _not_useful(reads: Reads, ids: np.ndarray, codes: list[str], framework: str
                ) -> np.ndarray | None:
    """Net "not useful" marks (not useful minus useful) per candidate and gap."""
    rows = _NET_FEEDBACK.rows(reads, codes=codes, framework=framework)
    if not rows:
        return None
    column = {code: j for j, code in enumerate(codes)}
    out = np.zeros((len(ids), len(codes)), dtype=np.float32)
    rids = np.array([r[0] for r in rows], dtype=np.int64)
    where, hit = locate(ids, rids)
    for k in np.flatnonzero(hit):
        _, code, verdict, count = rows[k]
        out[where[k], column[code]] += count if verdict == "not_useful" else -count
    return np.maximum(out, 0)


def _response(req: RecommendationRequest, index: IndexVersion, lists: dict,
              note: str | None = None) -> dict:
    body = {
        "recommendation_id": str(uuid.uuid4()),
        **({"assessment_id": req.assessment_id} if req.assessment_id else {}),
        "archetype": req.archetype,
        "framework": req.framework,
        "framework_version": version_of(index, req.framework),
        "index_version": index.name,
        "page": req.page,
        **lists,
    }
    if note:
        body["note"] = note
    return body






