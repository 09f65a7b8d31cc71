"""Curator API: near-duplicates flagged by the indexer, to dismiss or confirm."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from recommender.content.curation import decide, flagged_pairs
from recommender.content.views import public_fields
from recommender.contract.openapi.curator_schemas import FLAG_UPDATE
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.openapi.schemas import FLAG_STATUSES
from recommender.contract.query import query_args
from recommender.contract.validation import check, json_body
from recommender.storage import db

bp = Blueprint("curation", __name__, url_prefix="/api/v1/near-duplicates")
STATUSES = FLAG_STATUSES
MAX_ID = 2**31 - 1  # larger ids are 404s, not database overflows
QUERY = {"status": {"type": "string", "enum": list(STATUSES), "default": "open"}}


@bp.get("")
@operation("Near-duplicate resources flagged for a curator",
           {200: Reply("Flagged pairs, newest first", "NearDuplicates")},
           query=(Query("status", QUERY["status"]),))
def list_flags():
    """Flagged pairs, newest first; ?status=open (default), dismissed or confirmed."""
    status = query_args(QUERY)["status"]
    return jsonify({"items": [{"id": flag.id, "similarity": flag.similarity,
                               "status": flag.status, "resources": [public_fields(one),
                                                                    public_fields(two)]}
                              for flag, one, two in flagged_pairs(db.session(), status)]})


@bp.patch(f"/<int(max={MAX_ID}):flag_id>")
@operation("Dismiss or confirm a near-duplicate flag", {200: Reply("The flag", "Flag")},
           body="FlagUpdate", path={"flag_id": "The flag's id"})
def update_flag(flag_id: int):
    """Record a curator's decision: dismissed (not duplicates) or confirmed (duplicates)."""
    body = json_body(request)
    check(body, FLAG_UPDATE)
    flag = decide(db.session(), flag_id, body["status"])
    return jsonify({"id": flag.id, "status": flag.status})
