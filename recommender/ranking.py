"""How candidate resources are scored against a learner's gaps.

Every signal is a number in [0, 1] (similarity may be lower) and every weight is named in
``DEFAULT_WEIGHTS``; an app can override them with the ``RANKING_WEIGHTS`` config mapping.

score(resource, gap) =
      match      * cosine(resource, capability statement)
    + curated    * [a curator mapped the resource to the statement]
    + goal       * cosine(resource, learner's free-text goal)        (when a goal is given)
    + archetype  * [resource is written for the learner's archetype]
    + level      * [resource level suits the gap: baseline for level 1-2, specialist for 3-4]
    + severity   * (gap severity - 1) / 2

A resource serves a gap only when it is curated for it or its similarity reaches
``MIN_SIMILARITY``. Its score is its best served-gap score plus ``breadth`` for each further
gap it serves. Scores are computed for all candidates and gaps at once (NumPy), so that the
cost per request stays flat as gaps are added.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
class Signals:
    """Per-candidate and per-gap inputs, as arrays (n candidates x g gaps)."""

    similarity: np.ndarray        # (n, g) cosine to each gap's statement
    curated: np.ndarray           # (n, g) bool
    archetype_fit: np.ndarray     # (n,) bool
    is_baseline: np.ndarray       # (n,) bool
    gap_levels: np.ndarray        # (g,) statement level 1-4
    severities: np.ndarray        # (g,) 1-3
    goal_similarity: np.ndarray | None = None  # (n,)


@dataclass(frozen=True)
class Scores:
    signals: Signals
    per_gap: np.ndarray   # (n, g) score of each candidate for each gap
    serves: np.ndarray    # (n, g) bool: the candidate serves the gap
    level_fit: np.ndarray  # (n, g) bool
    total: np.ndarray     # (n,) final score; -inf where nothing is served


def score(signals: Signals, weights: dict[str, float]) -> Scores:
    """Apply the rule above to every candidate and gap."""
    s = signals
    gap_wants_baseline = s.gap_levels <= 2
    level_fit = s.is_baseline[:, None] == gap_wants_baseline[None, :]
    per_gap = (weights["match"] * s.similarity
               + weights["curated"] * s.curated
               + weights["archetype"] * s.archetype_fit[:, None]
               + weights["level"] * level_fit
               + weights["severity"] * ((s.severities - 1) / 2)[None, :])
    if s.goal_similarity is not None:
        per_gap = per_gap + weights["goal"] * s.goal_similarity[:, None]
    serves = s.curated | (s.similarity >= MIN_SIMILARITY)
    best = np.where(serves, per_gap, -np.inf).max(axis=1, initial=-np.inf)
    total = best + weights["breadth"] * np.maximum(serves.sum(axis=1) - 1, 0)
    return Scores(signals=signals, per_gap=per_gap, serves=serves, level_fit=level_fit, total=total)
