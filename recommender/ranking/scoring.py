"""How candidate resources are scored against a learner's gaps.

Every signal is a number in [0, 1] (similarity may be lower) and every weight is named in
``DEFAULT_WEIGHTS``; an app can override them with the ``RANKING_WEIGHTS`` config mapping.

score(resource, gap) =
      match      * cosine(resource, capability statement's query vector)   (dense leg;
                   ``pools.statement_queries``)
    + lexical    * 61 / (61 + rank of the resource in the statement's BM25 list)  (lexical leg,
                   reciprocal-rank fused with the dense leg; 0 when not in the list)
    + curated    * [a curator mapped the resource to the statement]
    + goal       * similarity to the learner's free-text goal               (when given)
    + archetype  * [resource is written for the learner's archetype]
    + level      * [resource level suits the gap: baseline for level 1-2, specialist for 3-4,
                    or the level the learner asked for]
    + severity   * (gap severity - 1) / 2
    + format     * [resource format is one the learner prefers]
    + duration   * closeness of its duration to the learner's preferred duration
    - not_useful * min(1, (not useful - useful marks for this resource and statement) / 3)

A resource serves a gap when it is curated for it, its similarity reaches ``MIN_SIMILARITY``
or it is among the statement's ``LEXICAL_SERVES`` best BM25 matches (not for a gap in words
that matches no statement: there only similarity serves), and it is in the framework's scope:
curated for something, or with some statement at ``IN_SCOPE_SIMILARITY`` or closer and a
neighbourhood in the catalogue mostly in scope (``recommender.indexing.neighbourhood``). Its
score is its best served-gap score plus ``breadth`` for each further gap it serves. Scores
are computed for all candidates and gaps at once (NumPy), so the cost per request stays flat
as gaps are added.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_WEIGHTS = {
    "match": 1.0,
    "lexical": 0.25,
    "curated": 0.35,
    "goal": 0.4,
    "archetype": 0.3,
    "level": 0.2,
    "severity": 0.1,
    "format": 0.1,
    "duration": 0.05,
    "not_useful": 0.5,
    "breadth": 0.05,
    # the archetype and level terms count this much for labels inferred from the text (the
    # inference is right about 73% (archetypes) and 71% (levels) of the time)
    "inferred_labels": 0.33,
}
MIN_SIMILARITY = 0.3
LEXICAL_SERVES = 20
RRF_K = 60
NOT_USEFUL_SATURATES = 3


# rrf of ranks 0 .. RRF_TABLE - 1 (and 0 for -1, absent) read from a table: the formula's
# five array operations cost 4x the one lookup
RRF_TABLE = 4096
_RRF = np.concatenate([[0.0], (RRF_K + 1) / (RRF_K + 1 + np.arange(RRF_TABLE, dtype=np.float64))])


def rrf(rank: np.ndarray) -> np.ndarray:
    """Reciprocal-rank signal scaled to 1 for the top rank; rank -1 (absent) gives 0."""
    if rank.size and rank.max() < RRF_TABLE:
        return _RRF.take(rank + 1)
    return np.where(rank >= 0, (RRF_K + 1) / (RRF_K + 1 + np.maximum(rank, 0)), 0.0)


def _trust(inferred: np.ndarray | None, weights: dict[str, float]) -> np.ndarray:
    """(n, 1): 1 for a stated label, ``inferred_labels`` for one inferred from the text."""
    if inferred is None:
        return np.ones((1, 1))
    return np.where(inferred, weights["inferred_labels"], 1.0)[:, None]


@dataclass(frozen=True)
class Signals:
    """Per-candidate and per-gap inputs, as arrays (n candidates x g gaps)."""

    similarity: np.ndarray        # (n, g) cosine to each gap's statement
    lexical_rank: np.ndarray      # (n, g) rank in the statement's BM25 list, -1 if absent
    curated: np.ndarray           # (n, g) bool
    archetype_fit: np.ndarray     # (n,) bool
    is_baseline: np.ndarray       # (n,) bool
    gap_levels: np.ndarray        # (g,) statement level 1-4
    severities: np.ndarray        # (g,) 1-3
    goal_similarity: np.ndarray | None = None   # (n,)
    format_preferred: np.ndarray | None = None  # (n,) bool
    duration_fit: np.ndarray | None = None      # (n,) 0-1
    not_useful: np.ndarray | None = None        # (n, g) net "not useful" marks
    level_wanted: str | None = None             # overrides the level rule
    level_inferred: np.ndarray | None = None    # (n,) bool: level inferred, not stated
    archetypes_inferred: np.ndarray | None = None  # (n,) bool: archetypes inferred
    in_scope: np.ndarray | None = None          # (n,) bool: curated for something, or
    # close enough to some statement (IN_SCOPE_SIMILARITY); others serve no gap
    words_only: np.ndarray | None = None        # (g,) bool: a gap in words no statement
    # matches, which only similarity can serve (a shared word is too weak a sign on its own)


@dataclass(frozen=True)
class Scores:
    signals: Signals
    per_gap: np.ndarray    # (n, g) score of each candidate for each gap
    serves: np.ndarray     # (n, g) bool: the candidate serves the gap
    level_fit: np.ndarray  # (n, g) bool
    total: np.ndarray      # (n,) final score; -inf where nothing is served


def score(signals: Signals, weights: dict[str, float]) -> Scores:
    """Apply the rule above to every candidate and gap."""
    s = signals
    if s.level_wanted:
        wants_baseline = np.full(len(s.gap_levels), s.level_wanted == "baseline")
    else:
        wants_baseline = s.gap_levels <= 2
    level_fit = s.is_baseline[:, None] == wants_baseline[None, :]
    # each term added in place, in the order of the rule above (so the sums are the same to
    # the last bit); a flag's term as np.where, which costs half a bool-to-float product
    per_gap = weights["match"] * s.similarity + weights["lexical"] * rrf(s.lexical_rank)
    per_gap += np.where(s.curated, weights["curated"], 0.0)
    per_gap += weights["archetype"] * s.archetype_fit[:, None] * _trust(s.archetypes_inferred,
                                                                        weights)
    per_gap += np.where(level_fit, weights["level"] * _trust(s.level_inferred, weights), 0.0)
    per_gap += weights["severity"] * ((s.severities - 1) / 2)[None, :]
    for name, column in (("goal", s.goal_similarity), ("format", s.format_preferred),
                         ("duration", s.duration_fit)):
        if column is not None:
            per_gap += weights[name] * column[:, None]
    if s.not_useful is not None:
        per_gap -= weights["not_useful"] * np.clip(s.not_useful / NOT_USEFUL_SATURATES, 0, 1)
    lexical_serves = (s.lexical_rank >= 0) & (s.lexical_rank < LEXICAL_SERVES)
    if s.words_only is not None:
        lexical_serves &= ~s.words_only[None, :]
    serves = s.curated | (s.similarity >= MIN_SIMILARITY) | lexical_serves
    if s.in_scope is not None:
        serves &= s.in_scope[:, None]
    # a candidate's best and its count over its gaps, reduced over the transposed copy: NumPy
    # reduces a row of 10 at a time 10x slower than it does 10 columns of a thousand
    best = np.ascontiguousarray(np.where(serves, per_gap, -np.inf).T).max(axis=0,
                                                                          initial=-np.inf)
    served = np.ascontiguousarray(serves.T).sum(axis=0)
    total = best + weights["breadth"] * np.maximum(served - 1, 0)
    return Scores(signals=signals, per_gap=per_gap, serves=serves, level_fit=level_fit,
                  total=total)
