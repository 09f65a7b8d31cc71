"""Coming back by learner id: the learner's assessments, progress and completed learning;
their data to download or delete."""

from __future__ import annotations

from flask import Response, json, redirect, render_template, request, session, url_for
from sqlalchemy import select

from recommender.content.framework import current_version
from recommender.contract.validation import LEARNER_ID
from recommender.indexing.serving import statements
from recommender.learners.assessments import delete_learner, view
from recommender.plans.view import learner_data, today
from recommender.storage import db
from recommender.storage.models import Assessment, Feedback, Learner, Resource
from recommender.web import frameworks
from recommender.web.forms import FormErrors
from recommender.web.learner.blueprint import bp
from recommender.web.learner.plan import WEEKLY_CHOICES, latest_plan, plan_view
from recommender.web.learner.results import learner

HISTORY = 10  # assessments listed


@bp.route("/learners", methods=["GET", "POST"])
def find():
    """Enter a learner id to see that learner's results and progress."""
    errors = FormErrors()
    learner_id = session.get("learner_id", "")
    if request.method == "POST":
        learner_id = request.form.get("learner_id", "").strip()
        if not learner_id:
            errors.add("learner_id", "Enter your learner id")
        elif not LEARNER_ID.match(learner_id):
            errors.add("learner_id", "Enter your learner id as it was given to you: 8 to 64 "
                       "letters, digits, hyphens or underscores")
        elif db.session().get(Learner, learner_id) is None:
            errors.add("learner_id", "There is no learner with this id: check it and try "
                       "again")
        if not errors:
            session["learner_id"] = learner_id
            return redirect(url_for("learner.home", learner_id=learner_id), code=303)
    return render_template("learner/find.html", errors=errors, learner_id=learner_id), \
        errors.status


@bp.get("/learners/<learner_id>")
def home(learner_id: str):
    """The learner's assessments, newest first, with progress and completed resources."""
    row = learner(learner_id)
    session_ = db.session()
    assessments = session_.scalars(
        select(Assessment).where(Assessment.learner_id == learner_id)
        .order_by(Assessment.created_at.desc()).limit(HISTORY)).all()
    latest = view(session_, assessments[0], current_version(session_, assessments[0].framework)
                  ) if assessments else None
    done = session_.execute(
        select(Resource.slug, Resource.title, Resource.url, Feedback.created_at)
        .join(Resource, Feedback.resource_id == Resource.id)
        .where(Feedback.learner_id == learner_id, Feedback.verdict == "completed")
        .order_by(Feedback.created_at.desc())).all()
    plan = latest_plan(learner_id)
    plan = plan_view(plan) if plan is not None else None
    this_week = [i for w in plan["weeks"] if w["week"] == plan["this_week"]
                 for i in w["items"]] if plan else []
    return render_template("learner/home.html", learner=row, assessments=assessments,
                           latest=latest, completed=done, plan=plan, this_week=this_week,
                           weekly_choices=WEEKLY_CHOICES, several=frameworks.several())


@bp.get("/learners/<learner_id>/data")
def export(learner_id: str):
    """Everything held about the learner, as a JSON file."""
    row = learner(learner_id)
    session_ = db.session()
    body = json.dumps(learner_data(session_, row, current_version(session_), statements(),
                                   today()), indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=learner-{learner_id}.json"})


@bp.route("/learners/<learner_id>/delete", methods=["GET", "POST"])
def delete(learner_id: str):
    """Delete the learner and everything derived from them, after a confirmation."""
    row = learner(learner_id)
    errors = FormErrors()
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            errors.add("confirm", "Confirm that you want to delete everything held about you")
        else:
            delete_learner(db.session(), row)
            session.pop("learner_id", None)
            return render_template("learner/deleted.html")
    return render_template("learner/delete.html", learner_id=learner_id, errors=errors), \
        errors.status
