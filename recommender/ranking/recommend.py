"""Turn a learner's gaps into ranked baseline and specialist lists, each item with its reasons.

Candidates come from lists computed at index time (each statement's nearest resources by
meaning and by BM25) and the curators' mappings, so a request without free text runs no model
and no vector search. A free-text goal is encoded once and searched in FAISS and in the
database's full-text index.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from catalogue.framework import Capability
from indexes.embedding import Encoder
from indexes.ids import locate
from indexes.store import IndexVersion
from recommender.content.views import PUBLIC_COLUMNS
from recommender.contract.validation import Gap, RecommendationRequest
from recommender.indexing.snapshot import ARCHETYPE_BITS, Snapshot
from recommender.indexing.suggestions import IN_SCOPE_SIMILARITY
from recommender.indexing.views import version_of
from recommender.ranking import gap_signals, text_gaps
from recommender.ranking.explain import explained
from recommender.ranking.scoring import Scores, Signals, rrf, score
from recommender.storage.models import Feedback, Resource

DENSE_DEPTH = 60       # per gap, from the statement's precomputed neighbours
CURATED_DEPTH = 60
GOAL_DEPTH = 100
WEAK_MATCHES = 3       # nearest resources offered for a gap nothing serves
STARTER_GAPS = 12
PROVIDER_PENALTY = 0.08  # diversity: each item already shown from the same provider
GAP_PENALTY = 0.06       # ... and each item already shown for the same best gap


# built once: compiled once by SQLAlchemy's cache, bound per request
_NET_FEEDBACK = (
    select(Feedback.resource_id, Feedback.capability_code, Feedback.verdict, func.count())
    .where(Feedback.framework == bindparam("framework"),
           Feedback.capability_code.in_(bindparam("codes", expanding=True)),
           Feedback.verdict.in_(("useful", "not_useful")))
    .group_by(Feedback.resource_id, Feedback.capability_code, Feedback.verdict))
_SHOWN = select(*PUBLIC_COLUMNS).where(Resource.id.in_(bindparam("ids", expanding=True)))


@dataclass
class Candidates:
    ids: np.ndarray      # resource ids
    rows: np.ndarray     # their rows in the snapshot


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
    encoded = dict(zip(words, encoder.encode(words), strict=True)) \
        if words and encoder is not None else {}
    readings = text_gaps.read(req.text_gaps, np.array([encoded[g.text] for g in req.text_gaps]),
                              index, statements, req.archetype) if encoded else []
    columns = text_gaps.columns(gaps, readings)
    codes = [c.capability for c in columns]
    index_rows = [index.row(code) for code in codes]
    absent = np.zeros(index.vectors.dimension, dtype=np.float32)  # a statement not indexed
    queries = np.stack([text_gaps.query_vector(
        c, index.capability_vectors[r] if r is not None else absent, encoded)
        for c, r in zip(columns, index_rows, strict=True)])
    found_rows = [row for row, c in zip(index_rows, columns, strict=True)
                  if row is not None and c.matched]
    parts = [index.dense.ids[found_rows, :DENSE_DEPTH].ravel(),
             index.lexical.ids[found_rows, :gap_signals.LEXICAL_DEPTH].ravel()]
    # curated lists are ordered by similarity to their statement
    parts += [snapshot.curated[c.capability][:CURATED_DEPTH] for c in columns
              if c.matched and c.capability in snapshot.curated]
    # the words of text gaps and of the goal: one batched vector search, one text search each
    searched = list(dict.fromkeys([t for c in columns for t in c.texts]
                                  + ([req.free_text] if req.free_text and encoded else [])))
    text_ranks: dict[str, dict[int, int]] = {}
    if searched:
        _, found = index.vectors.search(np.stack([encoded[t] for t in searched]), GOAL_DEPTH)
        parts.append(found.ravel())
        for text in searched:
            text_ranks[text] = gap_signals.text_hits(session, text, snapshot)
            parts.append(np.fromiter(text_ranks[text], dtype=np.int64))
    goal, goal_text_rank = None, {}
    if req.free_text and encoded:
        goal, goal_text_rank = encoded[req.free_text], text_ranks[req.free_text]
    pool = np.unique(np.concatenate(parts).astype(np.int64, copy=False))
    pool = pool[pool >= 0]
    candidates = _filtered(req, snapshot, session, pool)
    if not len(candidates.ids):
        return _response(req, index, {"baseline": [], "specialist": []},
                         note or "no resource passes the filters")
    vectors = _vectors(index, candidates.ids)
    goal_similarity = None
    if goal is not None:
        text_rank = np.array([goal_text_rank.get(int(rid), -1) for rid in candidates.ids])
        goal_similarity = 0.7 * (vectors @ goal) + 0.3 * rrf(text_rank)
    rows = candidates.rows
    scores = score(Signals(
        similarity=vectors @ queries.T,
        lexical_rank=gap_signals.lexical_ranks(index, index_rows, columns, text_ranks,
                                               candidates.ids),
        curated=gap_signals.curated(snapshot, [c.capability if c.matched else ""
                                               for c in columns], candidates.ids),
        archetype_fit=(snapshot.archetype_bits[rows] & ARCHETYPE_BITS.get(req.archetype, 0)) > 0,
        is_baseline=snapshot.is_baseline[rows],
        gap_levels=np.array([statements[c].level for c in codes]),
        severities=np.array([c.severity for c in columns]),
        goal_similarity=goal_similarity,
        format_preferred=snapshot.format.mask(list(req.preferences.formats))[rows]
        if req.preferences.formats else None,
        duration_fit=_duration_fit(snapshot.duration[rows], req.preferences.duration_minutes),
        not_useful=_not_useful(session, candidates.ids, codes, req.framework),
        level_wanted=req.preferences.level,
        words_only=np.array([not c.matched for c in columns]),
        level_inferred=snapshot.level_inferred[rows],
        archetypes_inferred=snapshot.archetypes_inferred[rows],
        in_scope=snapshot.curated_any[rows] | (
            index.nearest_similarity(candidates.ids) >= IN_SCOPE_SIMILARITY),
    ), weights)
    weak = _weak_matches(scores, [c.matched for c in columns])
    chosen = {level: _select(scores, snapshot, candidates, weak, is_baseline, req.limit,
                             req.page)
              for level, is_baseline in (("baseline", True), ("specialist", False))}
    wanted = [int(candidates.ids[i]) for picks in chosen.values() for i in picks]
    full = {r.id: r for r in session.execute(_SHOWN, {"ids": wanted})}
    lists = {level: [explained(full[int(candidates.ids[i])], i, scores, weak, columns, req,
                               statements)
                     for i in picks if int(candidates.ids[i]) in full]
             for level, picks in chosen.items()}
    if readings:
        lists["text_gaps"] = [r.as_dict(statements) for r in readings]
    return _response(req, index, lists, note)


def starter_gaps(statements: Mapping[str, Capability], archetype: str | None) -> tuple[Gap, ...]:
    """Level-1 statements badged for the archetype, as mild gaps, in framework order."""
    chosen = [code for code, c in statements.items()
              if c.level == 1 and archetype in (c.archetypes or [])]
    return tuple(Gap(code, 1) for code in chosen[:STARTER_GAPS])


def _filtered(req: RecommendationRequest, snapshot: Snapshot, session: Session,
              ids: np.ndarray) -> Candidates:
    rows = snapshot.positions(ids)
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
    return Candidates(ids[keep], rows[keep])


def _vectors(index: IndexVersion, ids: np.ndarray) -> np.ndarray:
    """Resource vectors from the version's matrix; zeros for ids not in this version."""
    return index.vectors_of(ids)[0]


def _duration_fit(duration: np.ndarray, wanted: int | None) -> np.ndarray | None:
    """1 at the preferred duration, falling with the log-ratio; 0 when unknown."""
    if wanted is None:
        return None
    ratio = np.abs(np.log(np.where(np.isnan(duration), np.inf, duration) / wanted))
    return np.where(np.isfinite(ratio), np.clip(1 - ratio / np.log(8), 0, 1), 0.0)


def _not_useful(session: Session, ids: np.ndarray, codes: list[str], framework: str
                ) -> np.ndarray | None:
    """Net "not useful" marks (not useful minus useful) per candidate and gap."""
    rows = session.execute(_NET_FEEDBACK, {"codes": codes, "framework": framework}).all()
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


def _weak_matches(scores: Scores, offered: list[bool]) -> set[tuple[int, int]]:
    """(candidate, gap) pairs offered as weaker matches for the gaps nothing else serves (not
    for gaps in words that match no statement: there the nearest may be anything)."""
    weak = set()
    similarity = scores.signals.similarity
    if scores.signals.in_scope is not None:
        similarity = np.where(scores.signals.in_scope[:, None], similarity, -np.inf)
    for j in range(scores.serves.shape[1]):
        if offered[j] and not scores.serves[:, j].any():
            for i in np.argsort(-similarity[:, j])[:WEAK_MATCHES]:
                if np.isfinite(similarity[i, j]):
                    weak.add((int(i), j))
    return weak


def _select(scores: Scores, snapshot: Snapshot, candidates: Candidates,
            weak: set[tuple[int, int]], is_baseline: bool, limit: int, page: int) -> list[int]:
    """The page of one list: best first, spread across gaps and providers (a greedy,
    MMR-like re-ranking), near-duplicates of items already shown left out."""
    total = scores.total.copy()
    for i, j in weak:
        if not np.isfinite(total[i]):
            total[i] = scores.per_gap[i, j] - 1.0  # below every real match
    order = np.argsort(-total, kind="stable")
    order = order[(scores.signals.is_baseline[order] == is_baseline)
                  & np.isfinite(total[order])][:limit * page * 4 + 20]
    # ties broken by resource id so that pages stay stable
    order = order[np.lexsort((candidates.ids[order], -total[order]))]
    best_gap = np.argmax(np.where(scores.serves, scores.per_gap, -np.inf), axis=1)[order]
    provider = snapshot.provider.codes[candidates.rows[order]]
    base = total[order]
    penalty = np.zeros(len(order))
    open_ = np.ones(len(order), dtype=bool)
    chosen: list[int] = []
    shown_ids: set[int] = set()
    while open_.any() and len(chosen) < limit * page:
        k = int(np.argmax(np.where(open_, base - penalty, -np.inf)))
        open_[k] = False
        rid = int(candidates.ids[order[k]])
        if snapshot.duplicates.get(rid, set()) & shown_ids:
            continue
        chosen.append(int(order[k]))
        shown_ids.add(rid)
        penalty += PROVIDER_PENALTY * (provider == provider[k])
        penalty += GAP_PENALTY * (best_gap == best_gap[k])
    return chosen[limit * (page - 1):]


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






