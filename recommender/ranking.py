"""How a candidate resource is scored against one learner gap.

Every signal is a number in [0, 1] (similarity may be lower) and every weight is named in
``DEFAULT_WEIGHTS``; an app can override them with the ``RANKING_WEIGHTS`` config mapping.

score(resource, gap) =
      match      * cosine(resource, capability statement)
    + curated    * [resource is mapped to the statement by a curator]
    + goal       * cosine(resource, learner's free-text goal)        (when a goal is given)
    + archetype  * [resource is written for the learner's archetype]
    + level      * [resource level suits the gap: baseline for level 1-2, specialist for 3-4]
    + severity   * (gap severity - 1) / 2
A resource's score is its best gap score plus ``breadth`` for each further gap it serves.
A resource serves a gap only when it is curated for it or its similarity reaches
``MIN_SIMILARITY``.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WEIGHTS = {
    "match": 1.0,
    "curated": 0.35,
    "goal": 0.4,
    "archetype": 0.3,
    "level": 0.2,
    "severity": 0.1,
    "breadth": 0.05,
}
MIN_SIMILARITY = 0.3


def preferred_level(capability_level: int) -> str:
    """Our working rule: level 1-2 gaps are served by baseline, level 3-4 by specialist."""
    return "baseline" if capability_level <= 2 else "specialist"


@dataclass(frozen=True)
class GapScore:
    capability: str
    severity: int
    score: float
    similarity: float
    curated: bool
    archetype_fit: bool
    level_fit: bool
    goal_similarity: float | None


def score_gap(*, capability: str, capability_level: int, severity: int, similarity: float,
              curated: bool, goal_similarity: float | None, resource_level: str,
              resource_archetypes: list[str], archetype: str,
              weights: dict[str, float]) -> GapScore | None:
    """Score one resource for one gap, or None when it does not serve the gap."""
    if not curated and similarity < MIN_SIMILARITY:
        return None
    archetype_fit = archetype in resource_archetypes
    level_fit = resource_level == preferred_level(capability_level)
    score = (weights["match"] * similarity
             + weights["curated"] * curated
             + weights["archetype"] * archetype_fit
             + weights["level"] * level_fit
             + weights["severity"] * (severity - 1) / 2)
    if goal_similarity is not None:
        score += weights["goal"] * goal_similarity
    return GapScore(capability, severity, score, similarity, curated, archetype_fit, level_fit,
                    goal_similarity)


def total_score(gap_scores: list[GapScore], weights: dict[str, float]) -> float:
    """Best gap score plus a small bonus for each further gap the resource serves."""
    best = max(g.score for g in gap_scores)
    return best + weights["breadth"] * (len(gap_scores) - 1)
