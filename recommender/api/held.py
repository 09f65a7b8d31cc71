"""Curator API: records held for review (a licence outside the policy, a value that could not
be read), to fix and admit, or reject. Held records are not in the catalogue: never
recommended, never counted as coverage, until a curator admits them."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from recommender.content import held as held_records
from recommender.content.held import FILTERS, decide, find
from recommender.contract.openapi.curator_schemas import held_decision
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.query import query_args
from recommender.contract.validation import check, json_body
from recommender.storage import db

bp = Blueprint("held", __name__, url_prefix="/api/v1/held-records")
ID = {"held_id": "The held record's id"}
FILTER_NOTES = {"field": "The field that keeps them out, e.g. licence",
                "q": "Words in the title, URL or reason"}


@bp.get("")
@operation("Records held for review",
           {200: Reply("A page of held records, the most recently held first, and how many "
                       "there are in each status", "HeldRecordPage")},
           query=tuple(Query(name, schema, FILTER_NOTES.get(name, ""))
                       for name, schema in FILTERS.items()))
def list_held():
    """Held records with a status (default: held, those waiting for a curator), optionally
    for one field or matching words, a page at a time; with the counts per status."""
    args = query_args(FILTERS)
    session = db.session()
    rows, total = held_records.listing(session, **args)
    links = {}
    if args["page"] * args["per_page"] < total:
        links["next"] = url_for("held.list_held", **{**request.args, "page": args["page"] + 1})
    return jsonify({"items": [held_records.view(r) for r in rows], "page": args["page"],
                    "per_page": args["per_page"], "total": total,
                    "counts": held_records.counts(session), "links": links})


@bp.get("/<int:held_id>")
@operation("One held record", {200: Reply("The record: what the source said and why it was "
                                          "held", "HeldRecord")}, path=ID)
def get_held(held_id: int):
    """One held record, whatever its status."""
    return jsonify(held_records.view(find(db.session(), held_id)))


@bp.patch("/<int:held_id>")
@operation("Admit or reject a held record",
           {200: Reply("The decided record; once admitted, `resource` is the id of the "
                       "resource it became", "HeldRecord")},
           body="HeldRecordDecision", path=ID, errors=(409,))
def decide_held(held_id: int):
    """A curator's decision. Admit, with fixes to its fields: the fixed record is checked as
    an import checks it (422 naming `/fixes/<field>` when it still cannot enter), added to the
    catalogue (the fixed fields are the curator's: an import never overwrites them) and the
    index update queued. Reject, with a reason. A record decided before answers 409."""
    body = json_body(request)
    check(body, held_decision(held_records.FIXABLE))
    session = db.session()
    row = find(session, held_id)
    if body["decision"] == "reject":
        decide(session, row, "reject", reason=body.get("reason"))
        return jsonify(held_records.view(row))
    task = decide(session, row, "admit", fixes=body.get("fixes") or {})
    return jsonify({**held_records.view(row), "index_task": task})
