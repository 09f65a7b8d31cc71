"""Property tests of the self-assessment rule (docs/assessment.md) on the real framework."""

from hypothesis import given
from hypothesis import strategies as st

from catalogue.framework import ARCHETYPE_BADGES
from recommender.learners.rules import (
    RATINGS,
    compute_gaps,
    expected_rating,
    progress,
    roll_up,
    severity,
)
from tests.strategies import FRAMEWORK

STATEMENTS = {c.id: c for c in FRAMEWORK.capabilities}
ARCHETYPES = st.lists(st.sampled_from(list(ARCHETYPE_BADGES)), min_size=1, max_size=3,
                      unique=True)
# answers to any statements, including ones the archetypes are not asked and unknown ids
ANSWERS = st.dictionaries(st.sampled_from(sorted(STATEMENTS)) | st.just("9.9.9"),
                          st.sampled_from(RATINGS), max_size=60)


def order(code: str) -> list[int]:
    return [int(p) for p in code.split(".")]


@given(archetypes=ARCHETYPES, answers=ANSWERS)
def test_gaps_are_the_expected_level_minus_the_rating_worst_first(archetypes, answers):
    gaps = compute_gaps(STATEMENTS, archetypes, answers)
    for gap in gaps:
        statement = STATEMENTS[gap.capability]
        assert set(statement.archetypes) & set(archetypes)
        assert gap.expected == expected_rating(statement, archetypes)
        assert gap.rating == answers[gap.capability] < gap.expected
        assert gap.gap == gap.expected - gap.rating and 1 <= gap.severity <= 3
        assert gap.severity == min(gap.gap, 3) == severity(gap.gap)
    assert [g.capability for g in gaps] == [g.capability for g in sorted(
        gaps, key=lambda g: (-g.severity, g.level, order(g.capability)))]
    # every asked statement rated below what is expected is a gap, and nothing else
    below = {code for code, rating in answers.items() if code in STATEMENTS and
             (expected_rating(STATEMENTS[code], archetypes) or 0) > rating}
    assert {g.capability for g in gaps} == below


@given(archetypes=ARCHETYPES, answers=ANSWERS, data=st.data())
def test_more_confidence_never_makes_a_gap_worse(archetypes, answers, data):
    if not answers:
        return
    raised = dict(answers)
    code = data.draw(st.sampled_from(sorted(answers)))
    raised[code] = data.draw(st.sampled_from([r for r in RATINGS if r >= answers[code]]))
    before = {g.capability: g.severity for g in compute_gaps(STATEMENTS, archetypes, answers)}
    after = {g.capability: g.severity for g in compute_gaps(STATEMENTS, archetypes, raised)}
    assert set(after) <= set(before)
    assert all(after[c] <= before[c] for c in after)
    for key in ("domain", "group"):
        then, now = roll_up(STATEMENTS, archetypes, answers, key), \
            roll_up(STATEMENTS, archetypes, raised, key)
        assert all(change["change"] >= 0 for change in progress(then, now).values())


@given(archetypes=ARCHETYPES)
def test_expert_everywhere_has_no_gaps_and_full_readiness(archetypes):
    answers = {code: 4 for code in STATEMENTS}
    assert compute_gaps(STATEMENTS, archetypes, answers) == []
    assert all(row["readiness"] == 100 and row["gaps"] == 0
               for row in roll_up(STATEMENTS, archetypes, answers, "domain").values())


@given(archetypes=ARCHETYPES, answers=ANSWERS, key=st.sampled_from(["domain", "group"]))
def test_roll_ups_count_what_was_asked(archetypes, answers, key):
    rows = roll_up(STATEMENTS, archetypes, answers, key)
    gaps = compute_gaps(STATEMENTS, archetypes, answers)
    asked = [c for c in answers if c in STATEMENTS and
             expected_rating(STATEMENTS[c], archetypes) is not None]
    assert sum(row["answered"] for row in rows.values()) == len(asked)
    assert sum(row["gaps"] for row in rows.values()) == len(gaps)
    for row in rows.values():
        assert 0 <= row["readiness"] <= 100
        assert (row["mean_severity"] == 0) == (row["gaps"] == 0)
        assert 0 <= row["mean_severity"] <= 3
