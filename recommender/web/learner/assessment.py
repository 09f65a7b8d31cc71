"""The self-assessment, one page per domain: the framework first when several are loaded,
its roles (archetypes, from its data), then each domain's statements rated on the confidence
scale, then a check page that stores the assessment in that framework."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.contract.learner_bodies import parse_assessment
from recommender.contract.validation import LEARNER_ID
from recommender.indexing.serving import statements
from recommender.learners.assessments import create_assessment
from recommender.learners.questionnaire import questionnaire_domains
from recommender.learners.rules import RATINGS
from recommender.plans.make import after_assessment
from recommender.plans.view import today
from recommender.problems import Problem
from recommender.storage import db
from recommender.storage.models import Learner
from recommender.web import frameworks
from recommender.web.forms import FormErrors
from recommender.web.learner import draft
from recommender.web.learner.blueprint import bp
from recommender.web.learner.draft import Draft

# DART-Ed's archetypes in plain words, the most common role first (its roles themselves, and
# every other framework's, come from the framework's data)
PLAIN_WORDS = {DEFAULT_FRAMEWORK: {
    "user": "I use digital and AI tools in my everyday work",
    "embedder": "I put technology in place in my organisation and keep it working safely",
    "creator": "I design and build digital tools, data products or AI models",
    "driver": "I lead or fund the adoption of digital and AI technology",
    "shaper": "I set national or system direction for digital and AI in health and care",
}}


@bp.route("/assessment/framework", methods=["GET", "POST"])
def framework():
    """Choose the framework to assess yourself against (when more than one is loaded)."""
    values = request.form if request.method == "POST" else request.args
    learner_id = values.get("learner_id", "")
    if not frameworks.several():  # nothing to choose
        return redirect(url_for("learner.start", framework=next(iter(frameworks.loaded()),
                                                                 None),
                                **_learner(learner_id)))
    errors = FormErrors()
    saved = draft.current(frameworks.loaded())
    chosen = values.get("framework") or (saved.framework if saved else "")
    if request.method == "POST":
        if not chosen:
            errors.add("framework", "Select the framework you want to assess yourself against")
        elif frameworks.known(chosen) is None:
            errors.add("framework", "Select a framework from the list")
        if not errors:
            return redirect(url_for("learner.start", framework=chosen, **_learner(learner_id)))
    return render_template("learner/framework.html", errors=errors, chosen=chosen,
                           choices=frameworks.choices(), learner_id=learner_id,
                           error_anchors={"framework": "framework"}), errors.status


@bp.route("/assessment", methods=["GET", "POST"])
def start():
    """Choose the roles that describe your work (and give your learner id, if any)."""
    errors = FormErrors()
    versions = frameworks.loaded()
    saved = draft.current(versions)
    values = request.form if request.method == "POST" else request.args
    wanted = values.get("framework") or (saved.framework if saved else "")
    framework_id = frameworks.known(wanted)
    if not versions:
        abort(503, "No capability framework is loaded yet: try again later.")
    if framework_id is None or (not wanted and frameworks.several()):
        return redirect(url_for("learner.framework", **_learner(values.get("learner_id"))))
    if saved and saved.framework != framework_id:
        saved = None  # another framework's draft: its answers are not this one's
    roles = frameworks.roles(framework_id)
    chosen = saved.archetypes if saved else []
    learner_id = (saved.learner_id if saved else None) or request.args.get("learner_id", "")
    if request.method == "POST":
        chosen = request.form.getlist("archetypes")
        learner_id = request.form.get("learner_id", "").strip()
        if not chosen:
            errors.add("archetypes", "Select at least one role that describes your work")
        elif any(a not in roles for a in chosen):
            errors.add("archetypes", "Select roles from the list")
        elif not _domains(framework_id, chosen):
            errors.add("archetypes", "The framework asks nothing of these roles: select "
                       "another")
        if learner_id and not LEARNER_ID.match(learner_id):
            errors.add("learner_id", "Enter your learner id as it was given to you: 8 to 64 "
                       "letters, digits, hyphens or underscores")
        elif learner_id and db.session().get(Learner, learner_id) is None:
            errors.add("learner_id", "There is no learner with this id: check it, or leave "
                       "this blank to start afresh")
        if not errors:
            fresh = Draft(version=versions[framework_id], archetypes=list(dict.fromkeys(chosen)),
                          learner_id=learner_id or None, framework=framework_id)
            if saved:  # a change of roles keeps the answers given so far
                fresh.answers, fresh.skipped, fresh.key = saved.answers, saved.skipped, saved.key
            draft.keep(fresh)
            return redirect(url_for("learner.domain",
                                    domain_id=_domains(framework_id, chosen)[0]["id"]))
    back = url_for("learner.framework", framework=framework_id, **_learner(learner_id)) \
        if frameworks.several() else url_for("site.home")
    return render_template("learner/start.html", errors=errors, items=_role_items(
        framework_id, roles, chosen), learner_id=learner_id, framework=framework_id,
        several=frameworks.several(), back=back,
        error_anchors={"archetypes": "archetypes"}), errors.status


@bp.route("/assessment/domains/<domain_id>", methods=["GET", "POST"])
def domain(domain_id: str):
    """One domain's statements; saving moves on to the next domain."""
    saved = draft.current(frameworks.loaded())
    if saved is None:
        return redirect(url_for("learner.start"))
    domains = _domains(saved.framework, saved.archetypes)
    position = next((i for i, d in enumerate(domains) if d["id"] == domain_id), None)
    if position is None:
        abort(404, f"Domain {domain_id} is not part of this assessment.")
    this = domains[position]
    codes = [s["id"] for g in this["groups"] for s in g["statements"]]
    errors = FormErrors()
    if request.method == "POST":
        if request.form.get("action") == "skip":
            saved.skipped = sorted(set(saved.skipped) | {domain_id})
            draft.keep(saved)
            return redirect(_after(domains, position))
        for code in codes:
            value = request.form.get(field_name(code), "")
            if value.isdigit() and int(value) in RATINGS:
                saved.answers[code] = int(value)
            else:
                errors.add(field_name(code), f"Select how confident you are for statement "
                           f"{code}")
        saved.skipped = [d for d in saved.skipped if d != domain_id]
        draft.keep(saved)  # answers given so far are kept even when some are missing
        if not errors:
            return redirect(_after(domains, position))
    asked = [s["id"] for d in domains if d["id"] not in saved.skipped
             for g in d["groups"] for s in g["statements"]]
    return render_template(
        "learner/domain.html", domain=this, position=position, domains=domains,
        answers=saved.answers, errors=errors, field_name=field_name, field_id=field_id,
        draft_key=f"{saved.key}-{domain_id}",
        answered=saved.answered_in(asked), asked=len(asked),
        error_anchors={field_name(c): field_id(c) for c in codes},
        previous=url_for("learner.domain", domain_id=domains[position - 1]["id"])
        if position else url_for("learner.start", **frameworks.kept(saved.framework))), \
        errors.status


@bp.route("/assessment/check", methods=["GET", "POST"])
def check():
    """Every domain's state, with links to change it; submitting stores the assessment."""
    saved = draft.current(frameworks.loaded())
    if saved is None:
        return redirect(url_for("learner.start"))
    domains = _domains(saved.framework, saved.archetypes)
    rows = []
    errors = FormErrors()
    for d in domains:
        codes = [s["id"] for g in d["groups"] for s in g["statements"]]
        answered = saved.answered_in(codes)
        state = ("skipped" if d["id"] in saved.skipped else
                 "complete" if answered == len(codes) else
                 "not started" if answered == 0 else "incomplete")
        rows.append({"domain": d, "answered": answered, "total": len(codes), "state": state})
    if request.method == "POST":
        for row in rows:
            if row["state"] in ("incomplete", "not started"):
                errors.add(f"domain-{row['domain']['id']}", f"Finish or skip the domain "
                           f"{row['domain']['name']}")
        if all(row["state"] == "skipped" for row in rows):
            errors.add("domain-" + domains[0]["id"], "Answer at least one domain: every "
                       "domain is skipped")
        if not errors:
            try:
                assessment = _store(saved)
            except Problem as problem:  # the framework changed under the draft
                errors.from_problem(problem, {})
            else:
                draft.discard()
                session["learner_id"] = assessment.learner_id
                return redirect(url_for("learner.results", learner_id=assessment.learner_id,
                                        assessment_id=assessment.id))
    return render_template("learner/check.html", rows=rows, saved=saved, errors=errors,
                           several=frameworks.several(),
                           change=url_for("learner.start", **frameworks.kept(saved.framework))), \
        errors.status


def field_name(code: str) -> str:
    return f"rating-{code}"


def field_id(code: str) -> str:
    return "rating-" + code.replace(".", "-")


def _domains(framework: str, archetypes: list[str]) -> list[dict]:
    return questionnaire_domains(statements(framework=framework), archetypes)


def _learner(learner_id: str | None) -> dict[str, str]:
    """The learner id a link keeps, when there is one."""
    return {"learner_id": learner_id} if learner_id else {}


def _role_items(framework: str, roles: dict, chosen: list[str]) -> list[dict]:
    """The roles as checkbox items: their names and descriptions from the framework's data,
    with plain words for the ones we have them for (in the order of those words)."""
    words = PLAIN_WORDS.get(framework, {})
    ordered = [r for r in words if r in roles] + [r for r in roles if r not in words]
    return [{"value": r, "checked": r in chosen,
             "text": f"{roles[r].name}: {words[r]}" if r in words else roles[r].name,
             **({"hint": {"text": roles[r].description}} if roles[r].description else {})}
            for r in ordered]


def _after(domains: list[dict], position: int) -> str:
    if position + 1 < len(domains):
        return url_for("learner.domain", domain_id=domains[position + 1]["id"])
    return url_for("learner.check")


def _store(saved: Draft):
    """Validate the draft as the API validates a body, then store it."""
    skipped = set(saved.skipped)
    known = statements(framework=saved.framework)
    asked = {s["id"] for d in _domains(saved.framework, saved.archetypes)
             if d["id"] not in skipped for g in d["groups"] for s in g["statements"]}
    body = {"framework": saved.framework, "archetypes": saved.archetypes,
            "skipped_domains": sorted(skipped),
            "answers": [{"capability": code, "rating": rating}
                        for code, rating in saved.answers.items() if code in asked]}
    if saved.learner_id:
        body["learner_id"] = saved.learner_id
    learner_id, archetypes, answers, skipped_domains = parse_assessment(
        body, known, tuple(frameworks.roles(saved.framework)))
    assessment = create_assessment(db.session(), learner_id=learner_id,
                                   framework_version=saved.version, archetypes=archetypes,
                                   answers=answers, skipped_domains=skipped_domains,
                                   framework=saved.framework)
    after_assessment(db.session(), assessment, known, today())
    return assessment
