"""The catalogue for curators: an overview, search with filters, and one resource with its
mapping to edit."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalogue.framework import ARCHETYPE_BADGES
from catalogue.resources import FORMATS, LEVELS
from recommender.content import curation
from recommender.content.search import FILTERS, find_resources
from recommender.contract.query import query_args
from recommender.indexing.serving import index_holder, statements
from recommender.problems import Problem
from recommender.storage import db
from recommender.storage.models import (
    HeldRecord,
    IndexOutbox,
    NearDuplicate,
    Resource,
    ResourceCapability,
)
from recommender.web.curator.blueprint import bp
from recommender.web.forms import FormErrors

CODES = re.compile(r"[\s,;]+")


@bp.get("/")
def overview():
    """What waits for a curator, and the index's state."""
    session = db.session()
    curated = select(ResourceCapability.resource_id).where(
        ResourceCapability.source == "curated")
    counts = {
        "resources": session.scalar(select(func.count(Resource.id))),
        "suggested_only": session.scalar(select(func.count(Resource.id)).where(
            Resource.id.not_in(curated))),
        "duplicates": session.scalar(select(func.count(NearDuplicate.id)).where(
            NearDuplicate.status == "open")),
        "pending": session.scalar(select(func.count(IndexOutbox.id))),
        "held": session.scalar(select(func.count(HeldRecord.id)).where(
            HeldRecord.status == "held")),
    }
    loaded = index_holder().get()
    return render_template("curator/overview.html", counts=counts,
                           serving=loaded.manifest if loaded else None)


@bp.get("/resources")
def resources():
    """Search and filter the catalogue, a page at a time."""
    errors = FormErrors()
    try:
        args = query_args(FILTERS)
    except Problem as problem:
        errors.from_problem(problem, {f"?{name}": name for name in FILTERS})
        args = None
    rows, total = [], 0
    if args is not None:
        found = find_resources(db.session(), args)
        total = len(found)
        start = (args["page"] - 1) * args["per_page"]
        rows = found[start:start + args["per_page"]]
    form = {name: request.args.get(name, "") for name in FILTERS}
    pages = None
    if args is not None:
        pages = {"page": args["page"], "last": max(1, -(-total // args["per_page"]))}
    return render_template("curator/resources.html", errors=errors, rows=rows, total=total,
                           form=form, pages=pages, formats=FORMATS, levels=LEVELS,
                           archetype_ids=tuple(ARCHETYPE_BADGES)), errors.status


@bp.route("/resources/<slug>", methods=["GET", "POST"])
def resource(slug: str):
    """One resource and its mapping: keep or drop curated statements, accept suggestions,
    add statements by id."""
    session = db.session()
    row = find_row(slug)
    errors = FormErrors()
    known = statements()
    if request.method == "POST":
        kept = request.form.getlist("mapped")
        added = [c for c in CODES.split(request.form.get("add", "").strip()) if c]
        unknown = [c for c in kept + added if c not in known]
        if unknown:
            errors.add("add", f"Unknown statement id{'s' * (len(unknown) > 1)}: "
                       f"{', '.join(unknown)}. Use ids such as 6.0.3")
        else:
            changed = curation.set_curated(session, row, kept + added)
            flash("The mapping was saved; the recommendations use it once the index has "
                  "updated." if changed else "Nothing changed.")
            return redirect(url_for("curator.resource", slug=slug), code=303)
    mappings = sorted(row.mappings, key=lambda m: (m.source != "curated", -m.confidence,
                                                   m.capability_code))
    return render_template("curator/resource.html", row=row, mappings=mappings, known=known,
                           errors=errors, added=request.form.get("add", ""), formats=FORMATS,
                           levels=LEVELS, archetype_ids=tuple(ARCHETYPE_BADGES)), errors.status


@bp.post("/resources/<slug>/suggestions/<code>")
def decide_suggestion(slug: str, code: str):
    """Accept a suggested mapping (it becomes curated) or reject it."""
    session = db.session()
    row = find_row(slug)
    decision = request.form.get("decision")
    if decision not in ("accept", "reject") or code not in {
            m.capability_code for m in row.mappings if m.source == "suggested"}:
        abort(400, f"Accept or reject one of the suggested mappings of {slug}.")
    back = request.form.get("back")
    if decision == "accept":
        curation.decide_suggestion(session, row, code, "accepted")
        flash(f"Statement {code} is now a curated mapping of \u201c{row.title}\u201d.")
    else:
        curation.decide_suggestion(session, row, code, "rejected")
        flash(f"The suggestion {code} for \u201c{row.title}\u201d was rejected: it will not "
              f"be suggested for this resource again.")
    target = url_for("curator.suggestions") if back == "suggestions" else \
        url_for("curator.resource", slug=slug)
    return redirect(target, code=303)


def find_row(slug: str) -> Resource:
    """The resource with its mappings, or a 404 page."""
    row = db.session().scalar(select(Resource).where(Resource.slug == slug)
                              .options(selectinload(Resource.mappings)))
    if row is None:
        abort(404, f"There is no resource with the id {slug}.")
    return row
