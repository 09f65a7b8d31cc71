"""The scoring rule on worked examples."""

import numpy as np
import pytest

from recommender.learners.rules import preferred_level
from recommender.ranking.scoring import DEFAULT_WEIGHTS, MIN_SIMILARITY, Signals, score


def signals(**overrides) -> Signals:
    base = dict(similarity=np.array([[0.5]]), curated=np.array([[False]]),
                archetype_fit=np.array([True]), is_baseline=np.array([True]),
                gap_levels=np.array([1]), severities=np.array([1]))
    merged = {**base, **overrides}
    merged.setdefault("lexical_rank", np.full(merged["similarity"].shape, -1))
    return Signals(**merged)


def test_worked_example_adds_the_named_weights():
    result = score(signals(similarity=np.array([[0.6]]), curated=np.array([[True]]),
                           severities=np.array([3])), DEFAULT_WEIGHTS)
    w = DEFAULT_WEIGHTS
    expected = w["match"] * 0.6 + w["curated"] + w["archetype"] + w["level"] + w["severity"]
    assert result.total[0] == pytest.approx(expected)


def test_curated_mapping_beats_equal_similarity():
    sim = np.array([[0.5], [0.5]])
    result = score(signals(similarity=sim, curated=np.array([[True], [False]]),
                           archetype_fit=np.array([True, True]),
                           is_baseline=np.array([True, True])), DEFAULT_WEIGHTS)
    assert result.total[0] > result.total[1]


def test_level_fit_follows_the_gap_level():
    assert preferred_level(2) == "baseline" and preferred_level(3) == "specialist"
    result = score(signals(similarity=np.array([[0.5], [0.5]]),
                           curated=np.zeros((2, 1), bool), archetype_fit=np.array([True, True]),
                           is_baseline=np.array([True, False]), gap_levels=np.array([4])),
                   DEFAULT_WEIGHTS)
    assert result.total[1] > result.total[0]


def test_unrelated_resources_serve_nothing():
    result = score(signals(similarity=np.array([[MIN_SIMILARITY - 0.01]])), DEFAULT_WEIGHTS)
    assert not result.serves[0, 0] and result.total[0] == -np.inf


def test_serving_more_gaps_adds_breadth():
    one = score(signals(similarity=np.array([[0.5, 0.0]]), curated=np.zeros((1, 2), bool),
                        gap_levels=np.array([1, 1]), severities=np.array([1, 1])),
                DEFAULT_WEIGHTS)
    two = score(signals(similarity=np.array([[0.5, 0.4]]), curated=np.zeros((1, 2), bool),
                        gap_levels=np.array([1, 1]), severities=np.array([1, 1])),
                DEFAULT_WEIGHTS)
    assert two.total[0] - one.total[0] == pytest.approx(DEFAULT_WEIGHTS["breadth"])


def test_lexical_leg_is_reciprocal_rank_fused():
    absent = score(signals(), DEFAULT_WEIGHTS).total[0]
    top = score(signals(lexical_rank=np.array([[0]])), DEFAULT_WEIGHTS).total[0]
    tenth = score(signals(lexical_rank=np.array([[9]])), DEFAULT_WEIGHTS).total[0]
    assert top - absent == pytest.approx(DEFAULT_WEIGHTS["lexical"])
    assert absent < tenth < top
    # a low-similarity resource still serves a gap when it is among the best BM25 matches
    lexical_only = score(signals(similarity=np.array([[0.1]]), lexical_rank=np.array([[3]])),
                         DEFAULT_WEIGHTS)
    assert lexical_only.serves[0, 0]


def test_not_useful_marks_sink_a_resource_for_that_gap():
    plain = score(signals(), DEFAULT_WEIGHTS).total[0]
    marked = score(signals(not_useful=np.array([[3.0]])), DEFAULT_WEIGHTS).total[0]
    assert plain - marked == pytest.approx(DEFAULT_WEIGHTS["not_useful"])
