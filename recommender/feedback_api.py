"""Learners' feedback on recommended resources; it feeds later rankings and coverage."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from recommender import db
from recommender.models import Feedback, Learner, Resource
from recommender.openapi.operations import Reply, operation
from recommender.openapi.schemas import FEEDBACK
from recommender.problems import invalid
from recommender.requests import at_fault, json_body, schema_errors
from recommender.services import statements

bp = Blueprint("feedback", __name__, url_prefix="/api/v1/feedback")


@bp.post("")
@operation("Record a learner's verdict on a resource", {201: Reply("Recorded", "Feedback")},
           body="FeedbackRequest")
def give_feedback():
    """Record a verdict: useful, not_useful, started or completed (with the capability it
    was recommended for and the recommendation id, when known)."""
    return jsonify(record(json_body(request))), 201


def record(body: dict) -> dict:
    """Validate and store one verdict; a 422 names every field at fault (shared by the API and
    the web pages)."""
    errors = schema_errors(body, FEEDBACK)  # the OpenAPI document's FeedbackRequest
    learner_id, capability = body.get("learner_id"), body.get("capability")
    recommendation_id, slug = body.get("recommendation_id"), body.get("resource")
    if not at_fault(errors, "/capability") and capability is not None \
            and capability not in statements():
        errors.append({"pointer": "/capability", "detail": "unknown capability statement"})
    session = db.session()
    resource_id = None if at_fault(errors, "/resource") else \
        session.scalar(select(Resource.id).where(Resource.slug == slug))
    if resource_id is None and not at_fault(errors, "/resource"):
        errors.append({"pointer": "/resource", "detail": "no resource with this id"})
    if errors:
        raise invalid(errors)
    if session.get(Learner, learner_id) is None:
        session.add(Learner(id=learner_id))
    feedback = Feedback(learner_id=learner_id, resource_id=resource_id, verdict=body["verdict"],
                        capability_code=capability, recommendation_id=recommendation_id)
    session.add(feedback)
    session.commit()
    return {"id": feedback.id, "learner_id": learner_id, "resource": slug,
            "verdict": feedback.verdict, "capability": capability}
