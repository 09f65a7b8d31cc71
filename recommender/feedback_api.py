"""Learners' feedback on recommended resources; it feeds later rankings and coverage."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from recommender import db
from recommender.models import Feedback, Learner, Resource
from recommender.problems import invalid
from recommender.requests import LEARNER_ID, json_body
from recommender.services import statements

bp = Blueprint("feedback", __name__, url_prefix="/api/v1/feedback")
VERDICTS = ("useful", "not_useful", "started", "completed")
FIELDS = {"learner_id", "resource", "verdict", "capability", "recommendation_id"}


@bp.post("")
def give_feedback():
    """Record a verdict: useful, not_useful, started or completed (with the capability it
    was recommended for and the recommendation id, when known)."""
    body = json_body(request)
    errors = [{"pointer": f"/{name}", "detail": "unknown field"}
              for name in sorted(set(body) - FIELDS)]
    learner_id = body.get("learner_id")
    if not isinstance(learner_id, str) or not LEARNER_ID.match(learner_id):
        errors.append({"pointer": "/learner_id", "detail": "must be the learner's opaque id "
                       "(8-64 letters, digits, hyphens or underscores)"})
    if body.get("verdict") not in VERDICTS:
        errors.append({"pointer": "/verdict", "detail": f"must be one of {', '.join(VERDICTS)}"})
    capability = body.get("capability")
    if capability is not None and capability not in statements():
        errors.append({"pointer": "/capability", "detail": "unknown capability statement"})
    recommendation_id = body.get("recommendation_id")
    if recommendation_id is not None and (not isinstance(recommendation_id, str)
                                          or len(recommendation_id) > 36):
        errors.append({"pointer": "/recommendation_id", "detail": "must be the id a "
                       "recommendation response gave"})
    session = db.session()
    slug = body.get("resource")
    resource_id = session.scalar(select(Resource.id).where(Resource.slug == slug)) \
        if isinstance(slug, str) else None
    if resource_id is None:
        errors.append({"pointer": "/resource", "detail": "no resource with this id"})
    if errors:
        raise invalid(errors)
    if session.get(Learner, learner_id) is None:
        session.add(Learner(id=learner_id))
    feedback = Feedback(learner_id=learner_id, resource_id=resource_id, verdict=body["verdict"],
                        capability_code=capability, recommendation_id=recommendation_id)
    session.add(feedback)
    session.commit()
    return jsonify({"id": feedback.id, "learner_id": learner_id, "resource": slug,
                    "verdict": feedback.verdict, "capability": capability}), 201
