"""A learner's plan: made from their latest assessment with the time they have each week,
followed week by week (items ticked as done), printed for an appraisal or CPD portfolio, and
taken to a calendar."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from recommender.contract.plan_bodies import PlanRequest
from recommender.indexing.serving import statements
from recommender.learners.feedback import record
from recommender.plans import exports
from recommender.plans.make import for_assessment, make
from recommender.plans.view import today, view
from recommender.storage import db
from recommender.storage.models import Assessment, Plan, Resource
from recommender.web.learner.blueprint import bp
from recommender.web.learner.results import learner

WEEKLY_CHOICES = (30, 60, 90, 120, 180, 240)


def latest_plan(learner_id: str) -> Plan | None:
    return db.session().scalars(select(Plan).where(Plan.learner_id == learner_id)
                                .order_by(Plan.created_at.desc()).limit(1)).first()


def plan_view(plan: Plan) -> dict:
    return view(db.session(), plan, statements(framework=plan.framework), today())


def latest_assessment(learner_id: str) -> Assessment | None:
    """The learner's newest assessment, against whichever framework."""
    return db.session().scalars(select(Assessment).where(Assessment.learner_id == learner_id)
                                .order_by(Assessment.created_at.desc()).limit(1)).first()


@bp.post("/learners/<learner_id>/plans")
def create(learner_id: str):
    """Make a plan from the learner's latest assessment and the minutes they have a week."""
    learner(learner_id)
    session = db.session()
    assessment = latest_assessment(learner_id)
    weekly = request.form.get("weekly_minutes", "")
    if assessment is None:
        abort(400, "Take a self-assessment first: a plan is made from its gaps.")
    if not weekly.isdigit() or int(weekly) not in WEEKLY_CHOICES:
        abort(400, "Choose how much time you have for learning each week.")
    req = for_assessment(session, PlanRequest(archetype=None, gaps=(),
                                              weekly_minutes=int(weekly),
                                              framework=assessment.framework), assessment)
    plan = make(session, req, statements(framework=assessment.framework), today())
    return redirect(url_for("learner.plan", learner_id=learner_id, plan_id=plan.id), code=303)


@bp.get("/learners/<learner_id>/plans/<plan_id>")
def plan(learner_id: str, plan_id: str):
    """The whole plan, week by week, with the learning done: printable for an appraisal."""
    learner(learner_id)
    found = _plan(learner_id, plan_id)
    shown = plan_view(found)
    done = [i for w in shown["weeks"] for i in w["items"] if i["status"] == "done"]
    return render_template("learner/plan.html", plan=shown, done=done, learner_id=learner_id,
                           statements=statements(framework=found.framework))


@bp.get("/learners/<learner_id>/plans/<plan_id>/calendar.ics")
def calendar(learner_id: str, plan_id: str):
    """The plan's weekly blocks as an iCalendar file, for the learner's own calendar."""
    learner(learner_id)
    found = _plan(learner_id, plan_id)
    page = url_for("learner.plan", learner_id=learner_id, plan_id=plan_id, _external=True)
    body = exports.calendar(plan_view(found), page, request.host.split(":")[0])
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f"attachment; filename=learning-plan-{plan_id}.ics"})


@bp.post("/learners/<learner_id>/plans/<plan_id>/done")
def done(learner_id: str, plan_id: str):
    """Tick an item of the plan as done (a 'completed' verdict), then go back to the plan."""
    learner(learner_id)
    found = _plan(learner_id, plan_id)
    slug = request.form.get("resource", "")
    session = db.session()
    rid = session.scalar(select(Resource.id).where(Resource.slug == slug))
    if rid is None or rid not in {c["resource_id"] for c in found.chosen}:
        abort(400, "Choose an item of this plan.")
    record(session, learner_id=learner_id, resource_id=rid, verdict="completed",
           framework=found.framework)
    title = session.scalar(select(Resource.title).where(Resource.id == rid))
    flash(f"Done: \u201c{title}\u201d. The rest of your plan has moved up.")
    back = request.form.get("back") == "home"
    target = url_for("learner.home", learner_id=learner_id) + "#plan" if back else \
        url_for("learner.plan", learner_id=learner_id, plan_id=plan_id)
    return redirect(target, code=303)


def _plan(learner_id: str, plan_id: str) -> Plan:
    found = db.session().get(Plan, plan_id)
    if found is None or found.learner_id != learner_id:
        abort(404, "There is no such plan for this learner.")
    return found
