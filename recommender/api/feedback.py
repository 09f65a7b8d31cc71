"""Learners' feedback on recommended resources; it feeds later rankings and coverage."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from recommender.content.frameworks import framework_of
from recommender.contract.learner_bodies import parse_feedback
from recommender.contract.openapi.operations import Reply, operation
from recommender.contract.validation import json_body
from recommender.indexing.serving import statements
from recommender.learners.feedback import record
from recommender.storage import db

bp = Blueprint("feedback", __name__, url_prefix="/api/v1/feedback")


@bp.post("")
@operation("Record a learner's verdict on a resource", {201: Reply("Recorded", "Feedback")},
           body="FeedbackRequest")
def give_feedback():
    """Record a verdict: useful, not_useful, started or completed (with the capability it
    was recommended for and the recommendation id, when known)."""
    body, session = json_body(request), db.session()
    framework = framework_of(body)
    feedback = record(session, **parse_feedback(body, statements(framework=framework), session))
    return jsonify({"id": feedback.id, "learner_id": feedback.learner_id,
                    "resource": body["resource"], "verdict": feedback.verdict,
                    "capability": feedback.capability_code,
                    "framework": feedback.framework}), 201
