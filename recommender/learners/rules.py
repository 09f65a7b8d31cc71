"""The self-assessment rule: confidence scale, expected proficiency, gaps and roll-ups.

Documented with worked examples in docs/assessment.md; pure functions, no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from catalogue.framework import Capability

# The confidence scale a learner rates each statement on.
SCALE = (
    (0, "Not aware", "I have not come across this"),
    (1, "Aware", "I know what this means but have not done it"),
    (2, "Developing", "I can do this with support"),
    (3, "Confident", "I can do this on my own"),
    (4, "Expert", "I can lead others in this or teach it"),
)
RATINGS = tuple(value for value, _, _ in SCALE)
CONFIDENT, DEVELOPING = 3, 2


# what the rule reads of a statement: its id, level, badges, domain and sub-domain
StatementInfo = Capability


@dataclass(frozen=True)
class Gap:
    capability: str
    level: int
    expected: int
    rating: int
    gap: int
    severity: int
    domain_id: str
    group_id: str


def expected_rating(statement: StatementInfo, archetypes: Iterable[str]) -> int | None:
    """What a learner of these archetypes is expected to reach on a statement.

    None when no chosen archetype is badged on it (the statement is not asked). Otherwise
    Confident (3) for levels 1-3 and Developing (2) for level 4, whose statements describe
    leading or creating something new and are a direction of growth rather than a baseline.
    """
    if not set(archetypes) & set(statement.archetypes):
        return None
    return DEVELOPING if statement.level == 4 else CONFIDENT


def severity(gap: int) -> int:
    """Gap of 1 -> severity 1, 2 -> 2, 3 or more -> 3."""
    return min(gap, 3)


def compute_gaps(statements: dict[str, StatementInfo], archetypes: list[str],
                 answers: dict[str, int]) -> list[Gap]:
    """Gaps for every answered statement the archetypes are expected to hold, worst first."""
    gaps = []
    for code, rating in answers.items():
        statement = statements.get(code)
        expected = None if statement is None else expected_rating(statement, archetypes)
        if expected is None or rating >= expected:
            continue
        gaps.append(Gap(code, statement.level, expected, rating, expected - rating,
                        severity(expected - rating), statement.domain_id, statement.group_id))
    return sorted(gaps, key=lambda g: (-g.severity, g.level, _order(g.capability)))


def roll_up(statements: dict[str, StatementInfo], archetypes: list[str],
            answers: dict[str, int], key: str) -> dict[str, dict]:
    """Per domain (key="domain") or sub-domain (key="group"): statements answered, gaps,
    mean severity and readiness = the share of expected proficiency reached (0-100)."""
    totals: dict[str, dict] = defaultdict(lambda: {"answered": 0, "gaps": 0, "severity": 0,
                                                   "reached": 0, "expected": 0, "name": ""})
    for code, rating in answers.items():
        statement = statements.get(code)
        expected = None if statement is None else expected_rating(statement, archetypes)
        if expected is None:
            continue
        ident = statement.domain_id if key == "domain" else statement.group_id
        row = totals[ident]
        row["name"] = statement.domain_name if key == "domain" else statement.group_name
        row["answered"] += 1
        row["reached"] += min(rating, expected)
        row["expected"] += expected
        if rating < expected:
            row["gaps"] += 1
            row["severity"] += severity(expected - rating)
    return {ident: {"name": row["name"], "answered": row["answered"], "gaps": row["gaps"],
                    "mean_severity": round(row["severity"] / row["gaps"], 2) if row["gaps"]
                    else 0.0,
                    "readiness": round(100 * row["reached"] / row["expected"])}
            for ident, row in sorted(totals.items(), key=lambda kv: _order(kv[0]))}


def progress(before: dict[str, dict], after: dict[str, dict]) -> dict[str, dict]:
    """Change in readiness per domain between two roll-ups (domains present in both)."""
    return {ident: {"before": before[ident]["readiness"], "now": after[ident]["readiness"],
                    "change": after[ident]["readiness"] - before[ident]["readiness"]}
            for ident in after if ident in before}


def _order(code: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in code.split(".")]


def preferred_level(capability_level: int) -> str:
    """Our working rule: level 1-2 gaps are served by baseline, level 3-4 by specialist."""
    return "baseline" if capability_level <= 2 else "specialist"
