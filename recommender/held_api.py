"""Curator API: records held for review (a licence outside the policy, a value that could not
be read), to fix and admit, or reject. Held records are not in the catalogue: never
recommended, never counted as coverage, until a curator admits them."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy.orm import Session

from catalogue.errors import DataError
from recommender import db, held_records
from recommender.models import HeldRecord
from recommender.openapi.operations import Query, Reply, operation
from recommender.openapi.schemas import HELD_PAGE, held_decision
from recommender.problems import Problem, invalid
from recommender.queue import notify_index_changes
from recommender.requests import check, json_body, query_int
from recommender.services import statements

bp = Blueprint("held", __name__, url_prefix="/api/v1/held-records")
# larger ids are 404s, not database overflows (checked in find: a bound in the route would
# turn a PATCH to a larger id into a 405, as the GET route still matches its path)
MAX_ID = 2**31 - 1
MAX_PAGE = 10**6
MAX_FIELD = 60  # the column's length
MAX_Q = 200
PARAMETERS = ("status", "field", "q", "page", "per_page")
ID = {"held_id": "The held record's id"}


@bp.get("")
@operation("Records held for review",
           {200: Reply("A page of held records, the most recently held first, and how many "
                       "there are in each status", "HeldRecordPage")},
           query=(Query("status", {"type": "string", "enum": list(held_records.STATUSES),
                                   "default": "held"}),
                  Query("field", {"type": "string", "maxLength": MAX_FIELD},
                        "The field that keeps them out, e.g. licence"),
                  Query("q", {"type": "string", "maxLength": MAX_Q},
                        "Words in the title, URL or reason"),
                  Query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                 "default": 1}),
                  Query("per_page", {"type": "integer", "minimum": 1, "maximum": HELD_PAGE,
                                     "default": 20})))
def list_held():
    """Held records with a status (default: held, those waiting for a curator), optionally
    for one field or matching words, a page at a time; with the counts per status."""
    args = query_args()
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


def query_args() -> dict:
    """The listing's query parameters, validated; a 422 names every bad one."""
    errors = []
    status = request.args.get("status", "held").strip() or "held"
    if status not in held_records.STATUSES:
        errors.append({"pointer": "?status",
                       "detail": f"must be one of {', '.join(held_records.STATUSES)}"})
    args = {"status": status}
    for name, most in (("field", MAX_FIELD), ("q", MAX_Q)):
        args[name] = request.args.get(name, "").strip() or None
        if args[name] and len(args[name]) > most:
            errors.append({"pointer": f"?{name}", "detail": f"must be at most {most} "
                           "characters"})
    for name, default, top in (("page", 1, MAX_PAGE), ("per_page", 20, HELD_PAGE)):
        args[name] = query_int(request.args.get(name, ""), default, top)
        if args[name] is None:
            errors.append({"pointer": f"?{name}", "detail": f"must be a whole number 1-{top}"})
    if errors:
        raise invalid(errors)
    return args


def find(session: Session, held_id: int) -> HeldRecord:
    """The held record with this id, or a 404 problem (shared with the pages and the CLI)."""
    row = session.get(HeldRecord, held_id) if held_id <= MAX_ID else None
    if row is None:
        raise Problem(404, "Not Found", f"no held record {held_id}", kind="not-found")
    return row


def decide(session: Session, row: HeldRecord, decision: str, *, fixes: dict | None = None,
           reason: str | None = None) -> str | None:
    """Admit (with ``fixes``) or reject (with ``reason``) a held record; returns the index
    update queued on admission. A 409 problem when it was decided before; a 422 naming
    ``/fixes/<field>`` when the fixed record still cannot enter (nothing is written)."""
    if row.status != "held":
        raise Problem(409, "Conflict", f"held record {row.id} is already {row.status}"
                      + (f" (resource {row.resource_slug})" if row.resource_slug else ""),
                      kind="already-decided")
    if decision == "reject":
        held_records.reject(session, row, reason)
        return None
    try:
        held_records.admit(session, row, fixes or {}, known=set(statements()),
                           licences=current_app.config["LICENCE_ALLOWLIST"])
    except DataError as exc:
        session.rollback()
        raise invalid([{"pointer": f"/fixes/{exc.field}" if exc.field else "/fixes",
                        "detail": exc.reason}]) from exc
    return notify_index_changes()
