"""Learners' verdicts on the resources recommended to them (useful, not useful, started,
completed); they feed later rankings and coverage. The useful and not-useful marks for a
statement are also kept as counts (``FeedbackMarks``), each learner by their latest mark, for
coverage to read without reading every learner's feedback."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.storage import counters
from recommender.storage.models import Feedback, FeedbackMarks, Learner

MARKS = ("useful", "not_useful")
KEYS = ("resource_id", "framework", "capability_code")


def record(session: Session, *, learner_id: str, resource_id: int, verdict: str,
           capability: str | None = None, recommendation_id: str | None = None,
           framework: str = DEFAULT_FRAMEWORK) -> Feedback:
    """Store one verdict, checked as ``recommender.contract.validation.parse_feedback``
    checks a body (shared by the API and the web pages); its learner too, when new; and a
    mark's count in place of the learner's previous mark of the resource for the statement."""
    if session.get(Learner, learner_id, with_for_update=True) is None:
        session.add(Learner(id=learner_id))
    if verdict in MARKS and capability is not None:
        previous = session.scalar(
            select(Feedback.verdict).where(
                Feedback.learner_id == learner_id, Feedback.resource_id == resource_id,
                Feedback.framework == framework, Feedback.capability_code == capability,
                Feedback.verdict.in_(MARKS))
            .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(1))
        if previous != verdict:
            _count(session, resource_id, framework, capability, verdict, 1)
            if previous is not None:
                _count(session, resource_id, framework, capability, previous, -1)
    feedback = Feedback(learner_id=learner_id, resource_id=resource_id, verdict=verdict,
                        framework=framework, capability_code=capability,
                        recommendation_id=recommendation_id)
    session.add(feedback)
    session.commit()
    return feedback


def forget_marks(session: Session, learner_id: str) -> None:
    """Take a learner being deleted out of the marks' counts (before the caller commits)."""
    ranked = select(Feedback.resource_id, Feedback.framework, Feedback.capability_code,
                    Feedback.verdict, func.row_number().over(
                        partition_by=(Feedback.resource_id, Feedback.framework,
                                      Feedback.capability_code),
                        order_by=(Feedback.created_at.desc(), Feedback.id.desc())).label("n")) \
        .where(Feedback.learner_id == learner_id, Feedback.verdict.in_(MARKS),
               Feedback.capability_code.is_not(None)).subquery()
    for rid, framework, code, verdict in session.execute(
            select(ranked.c.resource_id, ranked.c.framework, ranked.c.capability_code,
                   ranked.c.verdict).where(ranked.c.n == 1)):
        _count(session, rid, framework, code, verdict, -1)


def marks(session: Session, framework: str = DEFAULT_FRAMEWORK
          ) -> dict[tuple[int, str], tuple[int, int]]:
    """(resource id, statement) -> (learners whose latest mark is not useful, ... useful),
    for one framework's statements."""
    return {(m.resource_id, m.capability_code): (m.not_useful, m.useful)
            for m in session.scalars(select(FeedbackMarks).where(
                FeedbackMarks.framework == framework,
                (FeedbackMarks.not_useful > 0) | (FeedbackMarks.useful > 0)))}


def _count(session: Session, resource_id: int, framework: str, capability: str, verdict: str,
           sign: int) -> None:
    counters.add(session, FeedbackMarks, KEYS, [{
        "resource_id": resource_id, "framework": framework, "capability_code": capability,
        "not_useful": sign * (verdict == "not_useful"), "useful": sign * (verdict == "useful")}])
