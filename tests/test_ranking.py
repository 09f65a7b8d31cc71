"""The scoring rule on worked examples."""

import numpy as np
import pytest

from recommender.ranking import DEFAULT_WEIGHTS, MIN_SIMILARITY, Signals, preferred_level, score


def signals(**overrides) -> Signals:
    base = dict(similarity=np.array([[0.5]]), curated=np.array([[False]]),
                archetype_fit=np.array([True]), is_baseline=np.array([True]),
                gap_levels=np.array([1]), severities=np.array([1]))
    return Signals(**{**base, **overrides})


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
