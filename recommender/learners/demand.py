"""Learners' demand, kept as counts per coverage cell (``DemandCell``), so that a coverage read
costs the same at a hundred learners as at a million.

Each framework counts apart. A learner counts by their latest assessment against the framework,
carried to its current version. For
each gap there, for each of the learner's archetypes the statement is badged for, the gap
counts in the cell of its statement, of its sub-domain and of its domain, at the level the gap
calls for (baseline for statement levels 1-2, specialist for 3-4): the learner once per cell,
the gap's severity in the cell's sum. Storing an assessment takes the learner's previous
latest assessment out and puts the new one in; deleting a learner takes theirs out; both in
the caller's transaction. A framework version without counts is counted from the stored
assessments (``rebuild``), as after an upgrade or when a new version is loaded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.content.framework import cached_statements, current_version, current_versions
from recommender.learners.rules import StatementInfo, compute_gaps, preferred_level
from recommender.storage import counters
from recommender.storage.models import Assessment, AssessmentAnswer, DemandCell, Learner

GROUPINGS = ("statement", "group", "domain")
ALL = ("all", "", "", "")  # the cell that counts the learners assessed
Key = tuple[str, str, str, str]  # (grouping, unit, archetype, level)
KEYS = ("framework", "framework_version", "grouping", "unit", "archetype", "level")


def unit_id(statement: StatementInfo, grouping: str) -> str:
    return {"statement": statement.id, "group": statement.group_id,
            "domain": statement.domain_id}[grouping]


def contribution(known: Mapping[str, StatementInfo], archetypes: Iterable[str],
                 answers: Mapping[str, int]) -> dict[Key, list[int]]:
    """What one learner's latest assessment adds: per cell, [severity sum, gaps]."""
    archetypes = list(archetypes)
    cells: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    cells[ALL] = [0, 0]
    kept = {code: rating for code, rating in answers.items() if code in known}
    for gap in compute_gaps(known, archetypes, kept):
        statement = known[gap.capability]
        level = preferred_level(statement.level)
        for archetype in archetypes:
            if archetype not in statement.archetypes:
                continue
            for grouping in GROUPINGS:
                cell = cells[(grouping, unit_id(statement, grouping), archetype, level)]
                cell[0] += gap.severity
                cell[1] += 1
    return dict(cells)


def _assessment_contribution(assessment: Assessment,
                             known: Mapping[str, StatementInfo]) -> dict[Key, list[int]]:
    answers = {a.capability_code: a.rating for a in assessment.answers}
    return contribution(known, assessment.archetypes, answers)


def _apply(session: Session, framework: str, version: str, cells: Mapping[Key, list[int]],
           sign: int) -> None:
    """Add (sign 1) or take out (sign -1) one learner's cells."""
    counters.add(session, DemandCell, KEYS, [
        {"framework": framework, "framework_version": version, "grouping": g, "unit": u,
         "archetype": a, "level": lvl, "learners": sign, "severity_sum": sign * total,
         "gaps": sign * n}
        for (g, u, a, lvl), (total, n) in sorted(cells.items())])


def latest(session: Session, learner_id: str, count: int = 1,
           framework: str = DEFAULT_FRAMEWORK) -> list[Assessment]:
    """The learner's ``count`` latest assessments against a framework, newest first."""
    return list(session.scalars(select(Assessment).where(Assessment.learner_id == learner_id,
                                                         Assessment.framework == framework)
                                .order_by(Assessment.created_at.desc(), Assessment.id.desc())
                                .limit(count)))


def counted(session: Session, version: str, framework: str = DEFAULT_FRAMEWORK) -> bool:
    """Whether this framework version's demand is counted."""
    return session.scalar(select(func.count()).select_from(DemandCell).where(
        DemandCell.framework == framework, DemandCell.framework_version == version,
        DemandCell.grouping == ALL[0])) > 0


def record_assessment(session: Session, assessment: Assessment) -> None:
    """Count a just-stored assessment in place of the learner's previous one (before the
    caller commits). Serialised per learner: their row is locked where the database can."""
    framework = assessment.framework or DEFAULT_FRAMEWORK
    version = current_version(session, framework)
    if version is None or not counted(session, version, framework):
        return  # nothing counted yet: the first read counts every assessment, this one too
    session.get(Learner, assessment.learner_id, with_for_update=True)
    known = cached_statements(version, framework)
    session.flush()
    newest, *previous = latest(session, assessment.learner_id, 2, framework)
    if newest.id != assessment.id:
        return  # an older assessment stored late (a clock behind): the latest still counts
    if previous:
        _apply(session, framework, version, _assessment_contribution(previous[0], known), -1)
    _apply(session, framework, version, _assessment_contribution(assessment, known), 1)


def forget_learner(session: Session, learner: Learner) -> None:
    """Take a learner being deleted out of the counts (before the caller commits)."""
    for framework, version in current_versions(session).items():
        if not counted(session, version, framework):
            continue
        known = cached_statements(version, framework)
        for newest in latest(session, learner.id, 1, framework):
            _apply(session, framework, version, _assessment_contribution(newest, known), -1)


def rebuild(session: Session, version: str | None = None,
            framework: str = DEFAULT_FRAMEWORK) -> int:
    """Count a framework version's demand from every learner's latest assessment against the
    framework, replacing what was counted before for any of its versions; returns the
    learners counted. Commits."""
    version = version or current_version(session, framework)
    session.execute(delete(DemandCell).where(DemandCell.framework == framework))
    if version is None:
        session.commit()
        return 0
    known = cached_statements(version, framework)
    ranked = select(Assessment.id, Assessment.archetypes, func.row_number().over(
        partition_by=Assessment.learner_id,
        order_by=(Assessment.created_at.desc(), Assessment.id.desc())).label("n")) \
        .where(Assessment.framework == framework).subquery()
    archetypes = dict(session.execute(select(ranked.c.id, ranked.c.archetypes)
                                      .where(ranked.c.n == 1)).all())
    answers: dict[str, dict[str, int]] = {ident: {} for ident in archetypes}
    for ident, code, rating in session.execute(
            select(AssessmentAnswer.assessment_id, AssessmentAnswer.capability_code,
                   AssessmentAnswer.rating)
            .join(ranked, ranked.c.id == AssessmentAnswer.assessment_id)
            .where(ranked.c.n == 1)):
        answers[ident][code] = rating
    totals: dict[Key, list[int]] = {ALL: [0, 0, 0]}  # learners, severity sum, gaps
    for ident, archetype_list in archetypes.items():
        for key, (total, n) in contribution(known, archetype_list, answers[ident]).items():
            cell = totals.setdefault(key, [0, 0, 0])
            cell[0] += 1
            cell[1] += total
            cell[2] += n
    session.add_all(DemandCell(framework=framework, framework_version=version, grouping=g,
                               unit=u, archetype=a, level=lvl, learners=n,
                               severity_sum=total, gaps=gaps)
                    for (g, u, a, lvl), (n, total, gaps) in totals.items())
    session.commit()
    return len(archetypes)


def cells(session: Session, version: str, framework: str = DEFAULT_FRAMEWORK
          ) -> dict[Key, tuple[int, int, int]]:
    """A version's counts: cell -> (learners, severity sum, gaps); counted first if never."""
    if not counted(session, version, framework):
        rebuild(session, version, framework)
    return {(c.grouping, c.unit, c.archetype, c.level): (c.learners, c.severity_sum, c.gaps)
            for c in session.scalars(select(DemandCell).where(
                DemandCell.framework == framework, DemandCell.framework_version == version,
                DemandCell.learners > 0))}
