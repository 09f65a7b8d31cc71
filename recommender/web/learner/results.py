"""A learner's results (gaps per domain), their recommendations in two tabs, and feedback."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from recommender.content.framework import current_version
from recommender.contract.learner_bodies import parse_feedback
from recommender.contract.validation import LEARNER_ID
from recommender.indexing.serving import statements
from recommender.learners.assessments import view
from recommender.learners.feedback import record
from recommender.problems import Problem
from recommender.ranking.answer import recommend_body
from recommender.storage import db
from recommender.storage.models import Assessment, Feedback, Learner, Resource
from recommender.web import frameworks
from recommender.web.learner.blueprint import bp

LIST_LENGTH = 10
VERDICTS = {"useful": "useful", "not_useful": "not useful", "completed": "completed"}


@bp.get("/learners/<learner_id>/assessments/<assessment_id>")
def results(learner_id: str, assessment_id: str):
    """Readiness and gaps per domain, progress since the last assessment, the worst gaps."""
    assessment = _assessment(learner_id, assessment_id)
    session = db.session()
    shown = view(session, assessment, current_version(session, assessment.framework))
    known = statements(framework=assessment.framework)
    gaps = [{**g, "text": known[g["capability"]].text if g["capability"] in known else ""}
            for g in shown["gaps"]]
    domains = {s.domain_id: s.domain_name for s in known.values()}
    return render_template("learner/results.html", assessment=shown, gaps=gaps,
                           learner_id=learner_id, domain_names=domains,
                           several=frameworks.several())


@bp.get("/learners/<learner_id>/assessments/<assessment_id>/recommendations")
def recommendations(learner_id: str, assessment_id: str):
    """Baseline and specialist learning for the assessment's gaps, each item with why."""
    assessment = _assessment(learner_id, assessment_id)
    body = recommend_body({"assessment_id": assessment_id, "learner_id": learner_id,
                           "limit": LIST_LENGTH, "framework": assessment.framework})
    return render_template("learner/recommendations.html", body=body, learner_id=learner_id,
                           assessment_id=assessment_id, verdicts=VERDICTS,
                           marked=latest_verdicts(learner_id))


@bp.post("/learners/<learner_id>/feedback")
def feedback(learner_id: str):
    """Mark a recommended resource useful, not useful or completed, then go back."""
    learner(learner_id)
    form = request.form
    verdict = form.get("verdict", "")
    back = url_for("learner.recommendations", learner_id=learner_id,
                   assessment_id=form.get("assessment_id", ""))
    assessment = db.session().get(Assessment, form.get("assessment_id", ""))
    if verdict not in VERDICTS or assessment is None:
        abort(400, "Choose useful, not useful or completed for a resource you were shown.")
    body = {"learner_id": learner_id, "resource": form.get("resource", ""), "verdict": verdict,
            "framework": assessment.framework}
    for name in ("capability", "recommendation_id"):
        if form.get(name):
            body[name] = form[name]
    session = db.session()
    try:
        record(session, **parse_feedback(body, statements(framework=assessment.framework),
                                         session))
    except Problem as problem:
        abort(400, "; ".join(e["detail"] for e in problem.errors) or problem.detail)
    title = db.session().scalar(select(Resource.title).where(Resource.slug == body["resource"]))
    flash(f"You marked \u201c{title}\u201d as {VERDICTS[verdict]}."
          + (" It will not be recommended again." if verdict == "completed" else ""))
    return redirect(back + f"#item-{body['resource']}", code=303)


def latest_verdicts(learner_id: str) -> dict[str, str]:
    """The learner's latest verdict on each resource, by resource id."""
    rows = db.session().execute(
        select(Resource.slug, Feedback.verdict).join(Resource, Feedback.resource_id == Resource.id)
        .where(Feedback.learner_id == learner_id).order_by(Feedback.created_at, Feedback.id))
    return {slug: verdict for slug, verdict in rows}


def learner(learner_id: str) -> Learner:
    """The learner with this id, or a 404 page."""
    row = db.session().get(Learner, learner_id) if LEARNER_ID.match(learner_id) else None
    if row is None:
        abort(404, "There is no learner with this id. Check the id you were given.")
    return row


def _assessment(learner_id: str, assessment_id: str) -> Assessment:
    learner(learner_id)
    assessment = db.session().get(Assessment, assessment_id)
    if assessment is None or assessment.learner_id != learner_id:
        abort(404, "There is no such assessment for this learner.")
    return assessment
