"""Held records for curators: the records an import kept out (a licence outside the policy, a
value that could not be read), with the reason; fix and admit one, or reject it."""

from __future__ import annotations

import json
import re

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from catalogue import vocabulary
from catalogue.framework import ARCHETYPE_BADGES
from catalogue.licences import ACCESS
from catalogue.resources import FORMATS, LEVELS
from recommender.content import held as held_records
from recommender.content.held import decide, find
from recommender.contract.openapi.curator_schemas import held_decision
from recommender.contract.openapi.schemas import MAX_FREE_TEXT
from recommender.contract.query import query_args
from recommender.contract.validation import schema_errors
from recommender.problems import Problem
from recommender.storage import db
from recommender.storage.models import HeldRecord
from recommender.web.curator.blueprint import bp
from recommender.web.forms import FormErrors

FILTERS = ("status", "field", "q", "page")
STATUS_NAMES = {"held": "Held", "admitted": "Admitted", "rejected": "Rejected",
                "superseded": "Superseded by a later import"}
# the fix form: field -> (label, hint), in the order shown
FORM = {
    "title": ("Title", None),
    "url": ("Address", "An absolute http(s) URL"),
    "provider": ("Provider", None),
    "licence": ("Licence", "An SPDX id such as CC-BY-4.0 or OGL-UK-3.0; "
                           "LicenseRef-Proprietary-Free for free-to-access content"),
    "access": ("Access", None),
    "format": ("Format", None),
    "level": ("Level", None),
    "archetypes": ("Archetypes", None),
    "description": ("Description", "What it teaches, and whom it is for"),
    "duration_minutes": ("Time needed, in minutes", None),
    "capabilities": ("Statements it teaches", "Statement ids separated by commas or spaces, "
                                              "for example 6.0.3, 6.0.2"),
    "topics": ("Topics", "Separated by commas"),
    "language": ("Language", "A language tag such as en"),
}
CHOICES = {"access": ACCESS, "format": FORMATS, "level": LEVELS}
LISTS = {"capabilities": re.compile(r"[\s,;]+"), "topics": re.compile(r"\s*[,;]\s*")}
ERROR_ANCHORS = {"fixes": "fix-heading", "archetypes": "archetypes"}


@bp.get("/held")
def held():
    """Held records with a status, filtered by field or words, a page at a time."""
    errors = FormErrors()
    try:
        args = query_args(held_records.FILTERS)
    except Problem as problem:
        errors.from_problem(problem, {f"?{name}": name for name in FILTERS})
        args = None
    session = db.session()
    rows, total, pages = [], 0, None
    if args is not None:
        rows, total = held_records.listing(session, **args)
        pages = {"page": args["page"], "last": max(1, -(-total // args["per_page"]))}
    fields = sorted(f for f in session.scalars(select(HeldRecord.field).distinct()) if f)
    form = {name: request.args.get(name, "") for name in FILTERS}
    form["status"] = form["status"] or "held"
    return render_template("curator/held.html", errors=errors, rows=rows, total=total,
                           pages=pages, form=form, fields=fields,
                           counts=held_records.counts(session),
                           status_names=STATUS_NAMES), errors.status


@bp.route("/held/<int(max=2147483647):held_id>", methods=["GET", "POST"])
def held_record(held_id: int):
    """One held record: what the source said, why it was held, a form to fix its fields and
    admit it, and one to reject it."""
    session = db.session()
    row = find(session, held_id)
    errors = FormErrors()
    stated = prefill(row.data)
    values = dict(stated)
    reason = ""
    if request.method == "POST":
        decision = request.form.get("decision")
        if row.status != "held":
            flash(f"This record was already decided: it is {row.status}.")
            return redirect(url_for("curator.held_record", held_id=held_id), code=303)
        if decision == "reject":
            reason = request.form.get("reason", "").strip()
            if len(reason) > MAX_FREE_TEXT:
                errors.add("reason", f"Give the reason in at most {MAX_FREE_TEXT} characters")
            else:
                title = row.title or "the record"
                decide(session, row, "reject", reason=reason or None)
                flash(f"\u201c{title}\u201d was rejected; it stays out of the catalogue.",
                      "success")
                return redirect(url_for("curator.held"), code=303)
        elif decision == "admit":
            values = submitted()
            fixes = changes(stated, values)
            for error in schema_errors(fixes, _fixes_schema()):
                name = error["pointer"].split("/")[1] if error["pointer"] else "fixes"
                detail = error["detail"]
                errors.add(name, detail[:1].upper() + detail[1:])
            if not errors:
                try:
                    task = decide(session, row, "admit", fixes=fixes)
                except Problem as problem:
                    if problem.status != 422:
                        raise
                    for error in problem.errors:
                        name = error["pointer"].removeprefix("/fixes").strip("/")
                        detail = error["detail"]
                        if name in FORM:
                            errors.add(name, detail[:1].upper() + detail[1:])
                        else:  # a field the form cannot change (the record's id)
                            errors.add("fixes", f"The field {name or 'of the record'} "
                                       f"{detail}; it cannot be fixed here: reject the "
                                       "record, or fix it at the source")
                else:
                    flash(f"\u201c{row.title or row.resource_slug}\u201d was admitted to the "
                          "catalogue"
                          + (" with your fixes" if fixes else "")
                          + ("; the recommendations include it once the index has updated."
                             if task else "; the index takes it with its next update."),
                          "success")
                    return redirect(url_for("curator.resource", slug=row.resource_slug),
                                    code=303)
        else:
            errors.add("fixes", "Choose admit or reject")
    return render_template("curator/held_record.html", row=row, errors=errors,
                           error_anchors=ERROR_ANCHORS, values=values, form_fields=FORM,
                           choices=CHOICES, archetype_ids=tuple(ARCHETYPE_BADGES),
                           status_names=STATUS_NAMES, reason=reason,
                           shown=shown(row.data)), errors.status


def prefill(data: dict) -> dict:
    """The fix form's values for what the source said: text for the inputs, our archetype
    ids for the checkboxes."""
    values = {}
    for name in FORM:
        value = data.get(name)
        if name == "archetypes":
            terms = value if isinstance(value, list) else re.split(r"[;,|]", _text(value))
            values[name] = vocabulary.map_archetypes([str(t).strip() for t in terms
                                                      if str(t).strip()])
        elif name in LISTS and isinstance(value, list):
            values[name] = ", ".join(_text(v) for v in value)
        elif isinstance(value, list):
            values[name] = ", ".join(_text(v) for v in value) if name == "licence" \
                else _text(next((v for v in value if v not in (None, "")), ""))
        else:
            values[name] = _text(value)
    return values


def submitted() -> dict:
    """The fix form as sent."""
    values = {name: request.form.get(name, "").strip() for name in FORM}
    values["archetypes"] = [a for a in request.form.getlist("archetypes")]
    return values


def changes(stated: dict, values: dict) -> dict:
    """The fields the curator changed, typed as the catalogue takes them (only these become
    fixes, and so the curator's)."""
    fixes: dict = {}
    for name in FORM:
        value = values[name]
        if name == "archetypes":
            if set(value) != set(stated[name]):
                fixes[name] = list(dict.fromkeys(value))
            continue
        if name in LISTS:
            items = _items(name, value)
            if items != _items(name, stated[name]):
                fixes[name] = items
        elif _same(value, stated[name]):
            continue
        elif name == "duration_minutes":
            fixes[name] = int(value) if value.isascii() and value.isdigit() else (value or None)
        else:
            fixes[name] = value
    return fixes


def shown(data: dict) -> list[tuple[str, str]]:
    """What the source said, as (field, text) rows."""
    return [(name, _text(value) if not isinstance(value, list)
             else ", ".join(_text(v) for v in value)) for name, value in data.items()]


def _items(name: str, text: str) -> list[str]:
    return [item for item in LISTS[name].split(text.strip()) if item]


def _same(one: str, other: str) -> bool:
    """Equal but for white space (a browser sends a textarea's line breaks as CR LF)."""
    return one.split() == other.split()


def _fixes_schema() -> dict:
    return held_decision(held_records.FIXABLE)["properties"]["fixes"]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        found = value.get("@id") or value.get("url") or value.get("name")
        return str(found) if found else json.dumps(value, ensure_ascii=False)
    return str(value)
