"""Turn a learner's gaps into ranked baseline and specialist lists, each item with its reasons.

No model runs here unless the learner gives a free-text goal: capability vectors were computed
when the index was built.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.licences import is_open
from indexes.embedding import Encoder
from indexes.store import IndexVersion
from recommender.models import Capability, Resource, ResourceCapability
from recommender.ranking import GapScore, preferred_level, score_gap, total_score
from recommender.requests import RecommendationRequest

CANDIDATES_PER_GAP = 50


@dataclass
class Ranked:
    resource: Resource
    score: float
    gaps: list[GapScore]


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
    curated: dict[int, set[str]] = {}
    for resource_id, code in session.execute(
            select(ResourceCapability.resource_id, ResourceCapability.capability_code)
            .where(ResourceCapability.capability_code.in_(codes),
                   ResourceCapability.source == "curated")):
        curated.setdefault(resource_id, set()).add(code)
    candidate_ids |= set(curated)
    resources = session.scalars(select(Resource).where(Resource.id.in_(candidate_ids))).all()

    vectors = np.stack([_resource_vector(index, r.id) for r in resources]) if resources \
        else np.zeros((0, index.vectors.dimension), dtype=np.float32)
    similarity = vectors @ queries.T
    goal_similarity = vectors @ goal if goal is not None else None
    ranked: list[Ranked] = []
    for row, resource in enumerate(resources):
        gap_scores = []
        for col, gap in enumerate(req.gaps):
            scored = score_gap(
                capability=gap.capability, capability_level=statements[gap.capability].level,
                severity=gap.severity, similarity=float(similarity[row, col]),
                curated=gap.capability in curated.get(resource.id, ()),
                goal_similarity=None if goal_similarity is None else float(goal_similarity[row]),
                resource_level=resource.level, resource_archetypes=resource.archetypes,
                archetype=req.archetype, weights=weights)
            if scored is not None:
                gap_scores.append(scored)
        if gap_scores:
            gap_scores.sort(key=lambda g: -g.score)
            ranked.append(Ranked(resource, total_score(gap_scores, weights), gap_scores))
    ranked.sort(key=lambda r: (-r.score, r.resource.slug))
    lists = {"baseline": [], "specialist": []}
    for item in ranked:
        bucket = lists[item.resource.level]
        if len(bucket) < req.limit:
            bucket.append(_item(item, statements, req))
    return {
        "recommendation_id": str(uuid.uuid4()),
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


def _item(item: Ranked, statements: dict[str, Capability], req: RecommendationRequest) -> dict:
    r = item.resource
    return {
        "id": r.slug,
        "title": r.title,
        "url": r.url,
        "provider": r.provider,
        "description": r.description,
        "format": r.format,
        "duration_minutes": r.duration_minutes,
        "level": r.level,
        "archetypes": r.archetypes,
        "licence": r.licence,
        "openly_licensed": is_open(r.licence),
        "access": r.access,
        "language": r.language,
        "score": round(item.score, 4),
        "because": [_because(g, statements[g.capability], req) for g in item.gaps],
    }


def _because(g: GapScore, statement: Capability, req: RecommendationRequest) -> dict:
    reasons = ["a curator mapped it to this statement" if g.curated
               else f"its content is close to this statement (similarity {g.similarity:.2f})"]
    if g.archetype_fit:
        reasons.append(f"it is written for {req.archetype}s")
    if g.level_fit:
        reasons.append(f"{preferred_level(statement.level)} learning suits a level-"
                       f"{statement.level} statement")
    if g.goal_similarity is not None and g.goal_similarity >= 0.3:
        reasons.append(f"it matches your goal (similarity {g.goal_similarity:.2f})")
    return {
        "capability": g.capability,
        "statement": statement.text,
        "domain": statement.domain_name,
        "capability_level": statement.level,
        "severity": g.severity,
        "match": "curated" if g.curated else "similar",
        "score": round(g.score, 4),
        "signals": {
            "similarity": round(g.similarity, 4),
            "curated": g.curated,
            "archetype_fit": g.archetype_fit,
            "level_fit": g.level_fit,
            "goal_similarity": None if g.goal_similarity is None
            else round(g.goal_similarity, 4),
        },
        "reason": "Serves your gap in " + statement.code + ": " + "; ".join(reasons) + ".",
    }
