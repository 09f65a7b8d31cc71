"""Learning plans: made from a learner's gaps, read back with their progress, and taken away
as an iCalendar feed or xAPI statements (docs/plans.md)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.content.framework import cached_statements, current_version
from recommender.content.frameworks import cached_roles, framework_of
from recommender.contract.openapi.operations import Reply, operation
from recommender.contract.plan_bodies import PlanRequest, parse_plan
from recommender.contract.statement_errors import naming_renames
from recommender.contract.validation import json_body
from recommender.plans import exports
from recommender.plans.make import for_assessment, make
from recommender.plans.view import today, view
from recommender.problems import Problem, invalid
from recommender.storage import db
from recommender.storage.models import Assessment, Plan

bp = Blueprint("plans", __name__, url_prefix="/api/v1/plans")
PLAN = {"plan_id": "The plan's id"}


@bp.post("")
@operation("Make a learning plan from a learner's gaps",
           {201: Reply("The plan: weeks of items, each with the gaps it serves and why, the "
                       "gaps left uncovered and the time it takes", "Plan",
                       headers=("Location",))},
           body="PlanRequest")
def create():
    """Choose the resources that together cover the most severe gaps in the least time (a
    budgeted, weighted set cover over curated and confidently suggested mappings), order
    them foundations first and lay them into weeks of the learner's time."""
    session = db.session()
    body = json_body(request)
    framework = framework_of(body)
    statements = cached_statements(framework=framework)
    try:
        req = parse_plan(body, statements, [r.id for r in cached_roles(framework)])
    except Problem as problem:  # an old statement id: named by its new one
        version = current_version(session, framework)
        raise naming_renames(problem, session, framework, version) from None
    if req.assessment_id is not None:
        req = from_assessment(req)
    plan = make(session, req, statements, today())
    response = jsonify(_shown(plan))
    response.status_code = 201
    response.headers["Location"] = url_for("plans.show", plan_id=plan.id)
    return response


@bp.get("/<plan_id>")
@operation("A learning plan with the learner's progress",
           {200: Reply("The plan, laid out from this week: completed items ticked, the rest "
                       "moved up or on", "Plan")}, path=PLAN)
def show(plan_id: str):
    """A stored plan, its weeks laid out again from the current week."""
    return jsonify(_shown(_get(plan_id)))


@bp.get("/<plan_id>/calendar")
@operation("A learning plan as an iCalendar feed",
           {200: Reply("One event per week's learning block", media=("text/calendar",))},
           path=PLAN)
def calendar(plan_id: str):
    """The plan's weeks as all-day events (RFC 5545), for a calendar to subscribe to."""
    plan = _get(plan_id)
    body = exports.calendar(_shown(plan), _page(plan), request.host.split(":")[0])
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f"attachment; filename=plan-{plan.id}.ics"})


@bp.get("/<plan_id>/xapi")
@operation("The learning done in a plan as xAPI statements",
           {200: Reply("xAPI 1.0.3 'completed' statements, for a learning record store",
                       "XapiStatements")}, path=PLAN)
def xapi(plan_id: str):
    """One xAPI statement per completed item: the learner (as an account on this service),
    the resource as the object, and the framework statements it served as context."""
    plan = _get(plan_id)
    return jsonify(exports.xapi(_shown(plan), request.host_url,
                                url_for("frameworks.framework", _external=True,
                                        **({} if plan.framework == DEFAULT_FRAMEWORK
                                           else {"framework": plan.framework}))))


def from_assessment(req: PlanRequest) -> PlanRequest:
    """The request for the stored assessment it names (422 when there is none)."""
    session = db.session()
    assessment = session.get(Assessment, req.assessment_id)
    if assessment is None:
        raise invalid([{"pointer": "/assessment_id", "detail": "no such assessment"}])
    if assessment.framework != req.framework:
        raise invalid([{"pointer": "/assessment_id", "detail": f"this assessment is against "
                        f"framework {assessment.framework}, not {req.framework}"}])
    return for_assessment(session, req, assessment)


def _get(plan_id: str) -> Plan:
    plan = db.session().get(Plan, plan_id)
    if plan is None:
        raise Problem(404, "Not Found", f"no plan {plan_id!r}", kind="not-found")
    return plan


def _page(plan: Plan) -> str:
    return url_for("plans.show", plan_id=plan.id, _external=True)


def _shown(plan: Plan) -> dict:
    body = view(db.session(), plan, cached_statements(framework=plan.framework), today())
    body["framework"] = plan.framework
    body["links"] = {"calendar": url_for("plans.calendar", plan_id=plan.id),
                     "xapi": url_for("plans.xapi", plan_id=plan.id)}
    return body
