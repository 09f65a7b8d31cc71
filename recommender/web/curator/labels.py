"""A curator confirms or corrects a resource's level, archetypes and format (inferred ones
included); what they set is curated, so no later import changes it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from catalogue.framework import ARCHETYPE_BADGES
from catalogue.resources import FORMATS, LEVELS
from recommender.content.curation import set_labels
from recommender.indexing.serving import statements
from recommender.storage import db
from recommender.web.curator.blueprint import bp
from recommender.web.curator.catalogue import find_row
from recommender.web.forms import FormErrors


@bp.post("/resources/<slug>/labels")
def labels(slug: str):
    """Save the level, archetypes and format a curator chose."""
    row = find_row(slug)
    errors = FormErrors()
    level, fmt = request.form.get("level", ""), request.form.get("format", "")
    archetypes = request.form.getlist("archetypes")
    if level not in LEVELS:
        errors.add("level", "Choose baseline or specialist")
    if fmt not in FORMATS:
        errors.add("format", "Choose a format from the list")
    if not archetypes or any(a not in ARCHETYPE_BADGES for a in archetypes):
        errors.add("archetypes", "Choose at least one archetype")
    if errors:
        mappings = sorted(row.mappings, key=lambda m: (m.source != "curated", -m.confidence,
                                                       m.capability_code))
        return render_template("curator/resource.html", row=row, mappings=mappings,
                               known=statements(), errors=errors, added="",
                               formats=FORMATS, levels=LEVELS,
                               archetype_ids=tuple(ARCHETYPE_BADGES)), errors.status
    chosen = tuple(a for a in ARCHETYPE_BADGES if a in archetypes)
    changed = set_labels(db.session(), row, {"level": level, "format": fmt,
                                             "archetypes": chosen})
    flash("The labels were saved as curated; imports will not change them." if changed
          else "Nothing changed.")
    return redirect(url_for("curator.resource", slug=slug), code=303)
