"""Turn a learner's gaps into ranked baseline and specialist lists, each item with its reasons.

No model runs here unless the learner gives a free-text goal: capability vectors were computed
when the index was built.
"""

from __future__ import annotations

import uuid

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexes.embedding import Encoder
from indexes.store import IndexVersion
from recommender.models import Capability, Resource, ResourceCapability
from recommender.ranking import Scores, Signals, preferred_level, score
from recommender.requests import RecommendationRequest
from recommender.resource_views import public_fields

CANDIDATES_PER_GAP = 50
GOAL_REASON_SIMILARITY = 0.3


def recommend(req: RecommendationRequest, index: IndexVersion, session: Session,
              statements: dict[str, Capability], weights: dict[str, float],
              encoder: Encoder | None = None) -> dict:
    """Rank resources for the request's gaps; return the response body."""
    codes = [g.capability for g in req.gaps]
    queries = np.stack([_capability_vector(index, code) for code in codes])
    depth = max(CANDIDATES_PER_GAP, req.limit * 5)
    candidate_ids = _dense_candidates(index, queries, depth)
    goal = None
    if req.free_text and encoder is not None:
        goal = encoder.encode([req.free_text])[0]
        candidate_ids |= _dense_candidates(index, goal[None, :], depth)
    curated_pairs = session.execute(
        select(ResourceCapability.resource_id, ResourceCapability.capability_code)
        .where(ResourceCapability.capability_code.in_(codes),
               ResourceCapability.source == "curated")).all()
    candidate_ids |= {rid for rid, _ in curated_pairs}

    # light rows first: only what scoring needs; full rows later for the winners only
    rows = session.execute(select(Resource.id, Resource.level, Resource.archetypes)
                           .where(Resource.id.in_(candidate_ids))).all()
    if not rows:
        return _response(req, index, {"baseline": [], "specialist": []})
    ids = [r.id for r in rows]
    position = {rid: i for i, rid in enumerate(ids)}
    curated = np.zeros((len(ids), len(codes)), dtype=bool)
    column = {code: j for j, code in enumerate(codes)}
    for rid, code in curated_pairs:
        if rid in position:
            curated[position[rid], column[code]] = True
    vectors = np.stack([_resource_vector(index, rid) for rid in ids])
    scores = score(Signals(
        similarity=vectors @ queries.T,
        curated=curated,
        archetype_fit=np.array([req.archetype in (r.archetypes or []) for r in rows]),
        is_baseline=np.array([r.level == "baseline" for r in rows]),
        gap_levels=np.array([statements[c].level for c in codes]),
        severities=np.array([g.severity for g in req.gaps]),
        goal_similarity=None if goal is None else vectors @ goal,
    ), weights)

    chosen: dict[str, list[int]] = {"baseline": [], "specialist": []}
    order = sorted((i for i in range(len(ids)) if np.isfinite(scores.total[i])),
                   key=lambda i: -scores.total[i])
    for i in order:
        bucket = chosen["baseline" if rows[i].level == "baseline" else "specialist"]
        if len(bucket) < req.limit:
            bucket.append(i)
    wanted = [ids[i] for bucket in chosen.values() for i in bucket]
    full = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(wanted)))}
    lists = {level: [_item(full[ids[i]], i, scores, req, statements) for i in bucket]
             for level, bucket in chosen.items()}
    return _response(req, index, lists)


def _response(req: RecommendationRequest, index: IndexVersion, lists: dict) -> dict:
    return {
        "recommendation_id": str(uuid.uuid4()),
        **({"assessment_id": req.assessment_id} if req.assessment_id else {}),
        "archetype": req.archetype,
        "framework_version": index.manifest.get("framework_version"),
        "index_version": index.name,
        **lists,
    }


def _capability_vector(index: IndexVersion, code: str) -> np.ndarray:
    vector = index.capability_vector(code)
    if vector is None:  # statement newer than the index: curated mappings still serve it
        return np.zeros(index.vectors.dimension, dtype=np.float32)
    return vector


def _resource_vector(index: IndexVersion, resource_id: int) -> np.ndarray:
    try:
        return index.vectors.reconstruct(resource_id)
    except RuntimeError:  # added after this index version was built
        return np.zeros(index.vectors.dimension, dtype=np.float32)


def _dense_candidates(index: IndexVersion, queries: np.ndarray, depth: int) -> set[int]:
    _, ids = index.vectors.search(queries, depth)
    return {int(i) for i in ids.ravel() if i >= 0}


def _item(r: Resource, i: int, scores: Scores, req: RecommendationRequest,
          statements: dict[str, Capability]) -> dict:
    served = [j for j in np.argsort(-scores.per_gap[i]) if scores.serves[i, j]]
    return {
        **public_fields(r),
        "score": round(float(scores.total[i]), 4),
        "because": [_because(i, j, scores, req, statements) for j in served],
    }


def _because(i: int, j: int, scores: Scores, req: RecommendationRequest,
             statements: dict[str, Capability]) -> dict:
    gap = req.gaps[j]
    statement = statements[gap.capability]
    signals = scores.signals
    similarity = float(signals.similarity[i, j])
    curated = bool(signals.curated[i, j])
    archetype_fit = bool(signals.archetype_fit[i])
    level_fit = bool(scores.level_fit[i, j])
    goal = None if signals.goal_similarity is None else float(signals.goal_similarity[i])
    reasons = ["a curator mapped it to this statement" if curated
               else f"its content is close to this statement (similarity {similarity:.2f})"]
    if archetype_fit:
        reasons.append(f"it is written for {req.archetype}s")
    if level_fit:
        reasons.append(f"{preferred_level(statement.level)} learning suits a level-"
                       f"{statement.level} statement")
    if goal is not None and goal >= GOAL_REASON_SIMILARITY:
        reasons.append(f"it matches your goal (similarity {goal:.2f})")
    return {
        "capability": gap.capability,
        "statement": statement.text,
        "domain": statement.domain_name,
        "capability_level": statement.level,
        "severity": gap.severity,
        "match": "curated" if curated else "similar",
        "score": round(float(scores.per_gap[i, j]), 4),
        "signals": {
            "similarity": round(similarity, 4),
            "curated": curated,
            "archetype_fit": archetype_fit,
            "level_fit": level_fit,
            "goal_similarity": None if goal is None else round(goal, 4),
        },
        "reason": f"Serves your gap in {gap.capability}: " + "; ".join(reasons) + ".",
    }
