"""Self-assessment API: questionnaire, assessments, and learners' own data."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, request

from catalogue.framework import ARCHETYPE_BADGES
from recommender import db
from recommender.assessment_rules import RATINGS, SCALE, expected_rating
from recommender.assessments_store import (
    create_assessment,
    delete_learner,
    export_learner,
    statement_infos,
    view,
)
from recommender.framework_store import current_version
from recommender.models import Assessment, Learner
from recommender.problems import Problem, invalid
from recommender.requests import LEARNER_ID, json_body

bp = Blueprint("assessments", __name__, url_prefix="/api/v1")
FIELDS = {"learner_id", "archetypes", "answers", "skipped_domains"}
DOMAINS = ("1", "2", "3", "4", "5", "6")


@bp.get("/assessments/questionnaire")
def questionnaire():
    """The statements badged for the chosen archetype(s), by domain and sub-domain, by level."""
    archetypes = request.args.getlist("archetype")
    skipped = request.args.getlist("skip_domain")
    errors = _archetype_errors(archetypes, "?archetype") + _domain_errors(skipped, "?skip_domain")
    if errors:
        raise invalid(errors)
    session = db.session()
    version = current_version(session)
    domains: dict[str, dict] = {}
    for s in sorted(statement_infos(session, version).values(), key=lambda s: _order(s.id)):
        expected = expected_rating(s, archetypes)
        if expected is None or s.domain_id in skipped:
            continue
        domain = domains.setdefault(s.domain_id, {"id": s.domain_id, "name": s.domain_name,
                                                  "groups": {}})
        group = domain["groups"].setdefault(s.group_id, {"id": s.group_id,
                                                         "name": s.group_name,
                                                         "statements": []})
        group["statements"].append({"id": s.id, "level": s.level, "expected": expected,
                                    "text": s.text})
    for domain in domains.values():
        domain["groups"] = list(domain["groups"].values())
        for group in domain["groups"]:
            group["statements"].sort(key=lambda st: (st["level"], _order(st["id"])))
    return jsonify({"framework_version": version, "archetypes": archetypes,
                    "scale": [{"rating": v, "label": label, "meaning": meaning}
                              for v, label, meaning in SCALE],
                    "domains": list(domains.values())})


@bp.post("/assessments")
def create():
    """Store a learner's ratings (JSON, or CSV of capability,rating) and return the gaps."""
    session = db.session()
    version = current_version(session)
    statements = statement_infos(session, version)
    body = _csv_body() if request.mimetype == "text/csv" else json_body(request)
    learner_id, archetypes, answers, skipped = _validate(body, statements)
    assessment = create_assessment(session, learner_id=learner_id, framework_version=version,
                                   archetypes=archetypes, answers=answers,
                                   skipped_domains=skipped)
    return jsonify(view(session, assessment, version)), 201


@bp.get("/assessments/<assessment_id>")
def show(assessment_id: str):
    """One assessment with its gaps, roll-ups and progress since the previous one."""
    session = db.session()
    assessment = _get(Assessment, assessment_id)
    return jsonify(view(session, assessment, current_version(session)))


@bp.get("/learners/<learner_id>")
def export(learner_id: str):
    """Everything held about a learner, as JSON (their right of access)."""
    session = db.session()
    learner = _get(Learner, learner_id)
    response = jsonify(export_learner(session, learner, current_version(session)))
    response.headers["Content-Disposition"] = f"attachment; filename=learner-{learner_id}.json"
    return response


@bp.delete("/learners/<learner_id>")
def forget(learner_id: str):
    """Delete a learner and everything derived from them."""
    session = db.session()
    learner = _get(Learner, learner_id)
    delete_learner(session, learner)
    return Response(status=204)


def _csv_body() -> dict:
    """A CSV of capability,rating; archetypes and learner come from the query string."""
    text = request.get_data(as_text=True)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or {"capability", "rating"} - set(reader.fieldnames):
        raise invalid([{"pointer": "", "detail": "the CSV needs a header row with the columns "
                        "capability and rating"}])
    answers = []
    for row in reader:
        rating = (row.get("rating") or "").strip()
        answers.append({"capability": (row.get("capability") or "").strip(),
                        "rating": int(rating) if rating.lstrip("-").isdigit() else rating})
    body = {"archetypes": request.args.getlist("archetype"), "answers": answers,
            "skipped_domains": request.args.getlist("skip_domain")}
    if request.args.get("learner_id"):
        body["learner_id"] = request.args["learner_id"]
    return body


def _validate(body: dict, statements: dict) -> tuple[str | None, list[str], dict[str, int],
                                                     list[str]]:
    errors = [{"pointer": f"/{name}", "detail": "unknown field"}
              for name in sorted(set(body) - FIELDS)]
    learner_id = body.get("learner_id")
    if learner_id is not None and (not isinstance(learner_id, str)
                                   or not LEARNER_ID.match(learner_id)):
        errors.append({"pointer": "/learner_id", "detail": "must be 8-64 letters, digits, "
                       "hyphens or underscores (an opaque id, never a name or email)"})
    archetypes = body.get("archetypes")
    if not isinstance(archetypes, list) or not archetypes:
        errors.append({"pointer": "/archetypes", "detail": "must be a non-empty list of "
                       f"{', '.join(ARCHETYPE_BADGES)}"})
        archetypes = []
    else:
        errors += _archetype_errors(archetypes, "/archetypes")
    skipped = body.get("skipped_domains") or []
    if not isinstance(skipped, list):
        errors.append({"pointer": "/skipped_domains", "detail": "must be a list of domain ids"})
        skipped = []
    else:
        errors += _domain_errors(skipped, "/skipped_domains")
    answers: dict[str, int] = {}
    raw = body.get("answers")
    if not isinstance(raw, list) or not raw:
        errors.append({"pointer": "/answers", "detail": "must be a non-empty list of "
                       "{capability, rating}"})
        raw = []
    for i, item in enumerate(raw):
        where = f"/answers/{i}"
        if not isinstance(item, dict) or set(item) != {"capability", "rating"}:
            errors.append({"pointer": where, "detail": "must be {capability, rating} exactly"})
            continue
        code, rating = item["capability"], item["rating"]
        if not isinstance(code, str) or code not in statements:
            errors.append({"pointer": f"{where}/capability",
                           "detail": f"unknown capability statement {code!r}"})
        elif code in answers:
            errors.append({"pointer": f"{where}/capability", "detail": "answered twice"})
        elif statements[code].domain_id in skipped:
            errors.append({"pointer": f"{where}/capability",
                           "detail": f"domain {statements[code].domain_id} was skipped"})
        if isinstance(rating, bool) or rating not in RATINGS:
            errors.append({"pointer": f"{where}/rating", "detail": "must be a whole number "
                           f"from {RATINGS[0]} to {RATINGS[-1]}"})
        elif isinstance(code, str) and code in statements and code not in answers:
            answers[code] = rating
    if errors:
        raise invalid(errors)
    return learner_id, list(dict.fromkeys(archetypes)), answers, list(dict.fromkeys(skipped))


def _archetype_errors(archetypes: list, pointer: str) -> list[dict]:
    if not archetypes:
        return [{"pointer": pointer, "detail": "choose at least one archetype"}]
    return [{"pointer": pointer, "detail": f"unknown archetype {a!r}; use one of "
             f"{', '.join(ARCHETYPE_BADGES)}"} for a in archetypes if a not in ARCHETYPE_BADGES]


def _domain_errors(domains: list, pointer: str) -> list[dict]:
    return [{"pointer": pointer, "detail": f"unknown domain {d!r}; use 1-6"}
            for d in domains if d not in DOMAINS]


def _order(code: str) -> list[int]:
    return [int(p) for p in code.split(".") if p.isdigit()]


def _get(model, ident: str):
    """The row with this id, or a 404 problem naming what was not found."""
    row = db.session().get(model, ident)
    if row is None:
        name = model.__name__.lower()
        raise Problem(404, "Not Found", f"no {name} with id {ident!r}", kind="not-found")
    return row
