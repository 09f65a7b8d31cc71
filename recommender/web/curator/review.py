"""Curators' review queues: resources whose mapping is only suggested, and near-duplicate
pairs flagged by the indexer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from recommender.content.curation import decide, flagged_pairs
from recommender.indexing.serving import statements
from recommender.storage import db
from recommender.storage.models import Resource, ResourceCapability
from recommender.web.curator.blueprint import bp

PER_PAGE = 20
DECISIONS = {"dismissed": "not duplicates", "confirmed": "duplicates"}


@bp.get("/suggestions")
def suggestions():
    """Resources with suggested mappings and no curated one, least confident first."""
    session = db.session()
    curated = select(ResourceCapability.resource_id).where(
        ResourceCapability.source == "curated")
    rows = session.scalars(select(Resource).where(Resource.id.not_in(curated))
                           .options(selectinload(Resource.mappings))).all()
    rows = [r for r in rows if r.mappings]
    rows.sort(key=lambda r: (max(m.confidence for m in r.mappings), r.slug))
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) >= 1 else 1
    last = max(1, -(-len(rows) // PER_PAGE))
    shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    return render_template("curator/suggestions.html", rows=shown, total=len(rows),
                           pages={"page": page, "last": last}, known=statements())


@bp.get("/duplicates")
def duplicates():
    """Open near-duplicate flags, newest first."""
    return render_template("curator/duplicates.html",
                           pairs=flagged_pairs(db.session(), "open"), decisions=DECISIONS)


@bp.post("/duplicates/<int:flag_id>")
def decide_duplicate(flag_id: int):
    """Record a decision: not duplicates (dismissed) or duplicates (confirmed)."""
    status = request.form.get("status")
    if status not in DECISIONS:
        abort(400, "Choose duplicates or not duplicates.")
    decide(db.session(), flag_id, status)
    flash(f"Recorded: {DECISIONS[status]}.")
    return redirect(url_for("curator.duplicates"), code=303)
