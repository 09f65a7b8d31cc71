"""Store self-assessments and show them with their gaps, roll-ups and progress."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK, statement_order
from recommender.content.crosswalks import ratings_in
from recommender.content.framework import current_version, current_versions, statements
from recommender.content.framework_changes import renamed_ids
from recommender.learners import demand, feedback
from recommender.learners.rules import StatementInfo, compute_gaps, progress, roll_up
from recommender.storage.models import Assessment, AssessmentAnswer, Learner, Resource


def statement_infos(session: Session, version: str,
                    framework: str = DEFAULT_FRAMEWORK) -> dict[str, StatementInfo]:
    """The statements of a framework version, as the assessment rule needs them."""
    return statements(session, version, framework)


def create_assessment(session: Session, *, learner_id: str | None, framework_version: str,
                      archetypes: list[str], answers: dict[str, int],
                      skipped_domains: list[str],
                      framework: str = DEFAULT_FRAMEWORK) -> Assessment:
    """Store an assessment (and its learner, if new) in one transaction, with the demand it
    counts for (in place of the learner's previous assessment)."""
    learner_id = learner_id or uuid.uuid4().hex
    if session.get(Learner, learner_id) is None:
        session.add(Learner(id=learner_id))
    assessment = Assessment(id=str(uuid.uuid4()), learner_id=learner_id, framework=framework,
                            framework_version=framework_version, archetypes=archetypes,
                            skipped_domains=skipped_domains,
                            answers=[AssessmentAnswer(capability_code=code, rating=rating)
                                     for code, rating in answers.items()])
    session.add(assessment)
    demand.record_assessment(session, assessment)
    session.commit()
    return assessment


def answers_of(assessment: Assessment) -> dict[str, int]:
    return {a.capability_code: a.rating for a in assessment.answers}


def view(session: Session, assessment: Assessment, current_version: str | None) -> dict:
    """An assessment with its gaps and roll-ups, progress since the learner's previous one,
    and, when the framework has moved on, its answers mapped to the current version."""
    statements = statement_infos(session, assessment.framework_version, assessment.framework)
    answers = answers_of(assessment)
    domains = roll_up(statements, assessment.archetypes, answers, "domain")
    body = {
        "id": assessment.id,
        "learner_id": assessment.learner_id,
        "framework": assessment.framework,
        "framework_version": assessment.framework_version,
        "archetypes": assessment.archetypes,
        "skipped_domains": assessment.skipped_domains,
        "created_at": assessment.created_at.isoformat(),
        "answers": [{"capability": c, "rating": r} for c, r in answers.items()],
        "gaps": [vars(g) for g in compute_gaps(statements, assessment.archetypes, answers)],
        "domains": domains,
        "groups": roll_up(statements, assessment.archetypes, answers, "group"),
    }
    previous = session.scalars(
        select(Assessment).where(Assessment.learner_id == assessment.learner_id,
                                 Assessment.framework == assessment.framework,
                                 Assessment.created_at < assessment.created_at)
        .order_by(Assessment.created_at.desc()).limit(1)).first()
    if previous is not None:
        before = roll_up(statement_infos(session, previous.framework_version,
                                         previous.framework),
                         previous.archetypes, answers_of(previous), "domain")
        body["progress"] = {"since": previous.id, "domains": progress(before, domains)}
    if current_version and current_version != assessment.framework_version:
        body["current_version"] = mapped(session, assessment, current_version)
    return body


def mapped(session: Session, assessment: Assessment, version: str,
           statements: dict[str, StatementInfo] | None = None) -> dict:
    """The assessment's answers carried to another framework version where ids persist or
    the version renamed them (``formerly``); ``statements``: that version's, when the caller
    already holds them."""
    statements = statements if statements is not None else \
        statement_infos(session, version, assessment.framework)
    answers = answers_of(assessment)
    renamed = renamed_ids(session, assessment.framework, version) \
        if version != assessment.framework_version else {}
    kept: dict[str, int] = {}
    unmapped: list[str] = []
    for code, rating in answers.items():
        target = code if code in statements else renamed.get(code, code)
        if target in statements:
            kept[target] = rating
        else:
            unmapped.append(code)
    return {
        "framework_version": version,
        "mapped": sorted(kept),
        "renamed": {old: new for old, new in renamed.items() if old in answers},
        "unmapped": sorted(unmapped),
        "gaps": [vars(g) for g in compute_gaps(statements, assessment.archetypes, kept)],
    }


def viewed_in(session: Session, assessment: Assessment, framework: str) -> dict:
    """The assessment read against another framework through confirmed crosswalk links: each
    statement a link reaches from an answered one, rated as the least sure of those answers,
    and the gaps that gives there (``content.crosswalks.ratings_in``)."""
    version = current_version(session, framework)
    target = statement_infos(session, version, framework)
    answers = answers_of(assessment)
    carried = ratings_in(session, assessment.framework, framework, answers)
    ratings = {code: rating for code, (rating, _) in carried.items() if code in target}
    return {
        "framework": framework, "framework_version": version,
        "answers": [{"capability": code, "rating": ratings[code], "from": carried[code][1]}
                    for code in sorted(ratings, key=statement_order)],
        "unreached": sorted(set(answers) - {c for _, came in carried.values() for c in came}),
        "gaps": [vars(g) for g in compute_gaps(target, assessment.archetypes, ratings)],
    }


def export_learner(session: Session, learner: Learner, current_version: str | None) -> dict:
    """Everything held about a learner, as JSON (each assessment mapped to its own
    framework's current version; ``current_version``: the default framework's)."""
    versions = {**current_versions(session), DEFAULT_FRAMEWORK: current_version}
    slugs = dict(session.execute(select(Resource.id, Resource.slug).where(
        Resource.id.in_([f.resource_id for f in learner.feedback]))).all())
    return {"learner_id": learner.id, "created_at": learner.created_at.isoformat(),
            "assessments": [view(session, a, versions.get(a.framework))
                            for a in learner.assessments],
            "feedback": [{"resource": slugs.get(f.resource_id), "verdict": f.verdict,
                          "capability": f.capability_code,
                          "recommendation_id": f.recommendation_id,
                          "created_at": f.created_at.isoformat()} for f in learner.feedback]}


def delete_learner(session: Session, learner: Learner) -> None:
    """Delete a learner and everything derived from them (assessments, answers, feedback;
    their plans go by the database's ON DELETE CASCADE)."""
    demand.forget_learner(session, learner)
    feedback.forget_marks(session, learner.id)
    session.delete(learner)
    session.commit()
