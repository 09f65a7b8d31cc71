"""Learners' verdicts on the resources recommended to them (useful, not useful, started,
completed); they feed later rankings and coverage."""

from __future__ import annotations

from sqlalchemy.orm import Session

from recommender.storage.models import Feedback, Learner


def record(session: Session, *, learner_id: str, resource_id: int, verdict: str,
           capability: str | None = None, recommendation_id: str | None = None) -> Feedback:
    """Store one verdict, checked as ``recommender.contract.validation.parse_feedback``
    checks a body (shared by the API and the web pages); its learner too, when new."""
    if session.get(Learner, learner_id) is None:
        session.add(Learner(id=learner_id))
    feedback = Feedback(learner_id=learner_id, resource_id=resource_id, verdict=verdict,
                        capability_code=capability, recommendation_id=recommendation_id)
    session.add(feedback)
    session.commit()
    return feedback
