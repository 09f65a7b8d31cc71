"""Self-assessment API: questionnaire, assessments, and learners' own data."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, request

from recommender.content.framework import cached_statements, current_version
from recommender.content.frameworks import cached_roles, framework_of
from recommender.contract.learner_bodies import parse_assessment
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.openapi.schemas import DOMAIN_ID, FRAMEWORK, LEARNER_ID, ROLE
from recommender.contract.statement_errors import naming_renames
from recommender.contract.validation import json_body
from recommender.learners.assessments import (
    create_assessment,
    delete_learner,
    statement_infos,
    view,
    viewed_in,
)
from recommender.learners.questionnaire import questionnaire_domains
from recommender.learners.rules import SCALE
from recommender.plans.make import after_assessment
from recommender.plans.view import learner_data, today
from recommender.problems import Problem, invalid
from recommender.storage import db
from recommender.storage.models import Assessment, Learner

bp = Blueprint("assessments", __name__, url_prefix="/api/v1")
FRAMEWORK_QUERY = Query("framework", FRAMEWORK, "A framework id; DART-Ed's when left out")
CSV_QUERY = (Query("archetype", ROLE, "With a CSV body: the learner's archetypes",
                   repeated=True),
             Query("skip_domain", DOMAIN_ID, "With a CSV body: domains left out", repeated=True),
             Query("learner_id", LEARNER_ID, "With a CSV body: the learner's opaque id"),
             Query("framework", FRAMEWORK, "With a CSV body: the framework rated"))
LEARNER = {"learner_id": "The learner's opaque id"}


@bp.get("/assessments/questionnaire")
@operation("The self-assessment for one or more archetypes",
           {200: Reply("The statements to rate, by domain and sub-domain, and the 0-4 scale",
                       "Questionnaire")},
           query=(Query("archetype", ROLE, "At least one", repeated=True),
                  Query("skip_domain", DOMAIN_ID, "Domains to leave out", repeated=True),
                  FRAMEWORK_QUERY))
def questionnaire():
    """The statements badged for the chosen archetype(s), by domain and sub-domain, by level,
    in the framework asked for (DART-Ed by default)."""
    framework = framework_of(request.args, "?framework")
    archetypes = request.args.getlist("archetype")
    skipped = request.args.getlist("skip_domain")
    session = db.session()
    version = current_version(session, framework)
    statements = statement_infos(session, version, framework)
    errors = _archetype_errors(archetypes, "?archetype", framework) + \
        _domain_errors(skipped, "?skip_domain", statements)
    if errors:
        raise invalid(errors)
    domains = questionnaire_domains(statements, archetypes, skipped)
    return jsonify({"framework": framework, "framework_version": version,
                    "archetypes": archetypes,
                    "scale": [{"rating": v, "label": label, "meaning": meaning}
                              for v, label, meaning in SCALE],
                    "domains": domains})


@bp.post("/assessments")
@operation("Store a learner's self-assessment",
           {201: Reply("The assessment with its gaps and roll-ups", "Assessment")},
           body="AssessmentRequest", body_media=("application/json", "text/csv"),
           query=CSV_QUERY)
def create():
    """Store a learner's ratings (JSON, or CSV of capability,rating) and return the gaps."""
    session = db.session()
    body = _csv_body() if request.mimetype == "text/csv" else json_body(request)
    framework = framework_of(body)
    version = current_version(session, framework)
    statements = statement_infos(session, version, framework)
    try:
        learner_id, archetypes, answers, skipped = parse_assessment(
            body, statements, [r.id for r in cached_roles(framework)])
    except Problem as problem:  # an old statement id: named by its new one
        raise naming_renames(problem, session, framework, version) from None
    assessment = create_assessment(session, learner_id=learner_id, framework=framework,
                                   framework_version=version, archetypes=archetypes,
                                   answers=answers, skipped_domains=skipped)
    after_assessment(session, assessment, cached_statements(framework=framework), today())
    return jsonify(view(session, assessment, version)), 201


@bp.get("/assessments/<assessment_id>")
@operation("A stored assessment", {200: Reply("The assessment, mapped to the current "
                                              "framework version", "Assessment")},
           path={"assessment_id": "The assessment's id"},
           query=(Query("framework", FRAMEWORK, "Also read it against this framework, "
                                                "through confirmed crosswalk links"),))
def show(assessment_id: str):
    """One assessment with its gaps, roll-ups and progress since the previous one; with
    ``?framework=`` another than its own, also its ratings and gaps read against that one
    (``in_framework``)."""
    session = db.session()
    assessment = _get(Assessment, assessment_id)
    body = view(session, assessment, current_version(session, assessment.framework))
    if request.args.get("framework"):
        other = framework_of(request.args, "?framework")
        if other != assessment.framework:
            body["in_framework"] = viewed_in(session, assessment, other)
    return jsonify(body)


@bp.get("/learners/<learner_id>")
@operation("Everything held about a learner",
           {200: Reply("Their assessments, feedback and plans", "Learner",
                       headers=("Content-Disposition",))}, path=LEARNER)
def export(learner_id: str):
    """Everything held about a learner, as JSON (their right of access)."""
    session = db.session()
    learner = _get(Learner, learner_id)
    response = jsonify(learner_data(session, learner, current_version(session),
                                    cached_statements(), today()))
    response.headers["Content-Disposition"] = f"attachment; filename=learner-{learner_id}.json"
    return response


@bp.delete("/learners/<learner_id>")
@operation("Delete a learner and all their data", {204: Reply("Deleted")}, path=LEARNER)
def forget(learner_id: str):
    """Delete a learner and everything derived from them."""
    session = db.session()
    learner = _get(Learner, learner_id)
    delete_learner(session, learner)
    return Response(status=204)


def _csv_body() -> dict:
    """A CSV of capability,rating; archetypes and learner come from the query string."""
    text = request.get_data(as_text=True)
    try:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or {"capability", "rating"} - set(reader.fieldnames):
            raise invalid([{"pointer": "", "detail": "the CSV needs a header row with the "
                            "columns capability and rating"}])
        rows = list(reader)
    except csv.Error as exc:  # a NUL byte, an overlong field
        raise invalid([{"pointer": "", "detail": f"not readable as CSV: {exc}"}]) from exc
    answers = []
    for row in rows:
        rating = str(row.get("rating") or "").strip()
        answers.append({"capability": str(row.get("capability") or "").strip(),
                        "rating": int(rating) if rating.isascii() and rating.isdigit()
                        else rating})
    body = {"archetypes": request.args.getlist("archetype"), "answers": answers,
            "skipped_domains": request.args.getlist("skip_domain")}
    for name in ("learner_id", "framework"):
        if request.args.get(name):
            body[name] = request.args[name]
    return body


def _archetype_errors(archetypes: list, pointer: str, framework: str) -> list[dict]:
    if not archetypes:
        return [{"pointer": pointer, "detail": "choose at least one archetype"}]
    roles = [r.id for r in cached_roles(framework)]
    return [{"pointer": pointer, "detail": f"unknown archetype {a!r}; use one of "
             f"{', '.join(roles)}"} for a in archetypes if a not in roles]


def _domain_errors(domains: list, pointer: str, statements: dict) -> list[dict]:
    known = sorted({s.domain_id for s in statements.values()}, key=int)
    return [{"pointer": pointer, "detail": f"unknown domain {d!r}; use {', '.join(known)}"}
            for d in domains if d not in known]


def _get(model, ident: str):
    """The row with this id, or a 404 problem naming what was not found."""
    row = db.session().get(model, ident)
    if row is None:
        name = model.__name__.lower()
        raise Problem(404, "Not Found", f"no {name} with id {ident!r}", kind="not-found")
    return row
