"""Curator API: near-duplicates flagged by the indexer, to dismiss or confirm."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from recommender import db
from recommender.models import NearDuplicate, Resource
from recommender.openapi.operations import Query, Reply, operation
from recommender.openapi.schemas import FLAG_STATUSES, FLAG_UPDATE
from recommender.problems import Problem, invalid
from recommender.requests import check, json_body
from recommender.resource_views import public_fields

bp = Blueprint("curation", __name__, url_prefix="/api/v1/near-duplicates")
STATUSES = FLAG_STATUSES
MAX_ID = 2**31 - 1  # larger ids are 404s, not database overflows


@bp.get("")
@operation("Near-duplicate resources flagged for a curator",
           {200: Reply("Flagged pairs, newest first", "NearDuplicates")},
           query=(Query("status", {"type": "string", "enum": list(STATUSES),
                                   "default": "open"}),))
def list_flags():
    """Flagged pairs, newest first; ?status=open (default), dismissed or confirmed."""
    status = request.args.get("status", "open")
    if status not in STATUSES:
        raise invalid([{"pointer": "?status", "detail": f"must be one of {', '.join(STATUSES)}"}])
    return jsonify({"items": [{"id": flag.id, "similarity": flag.similarity,
                               "status": flag.status, "resources": [public_fields(one),
                                                                    public_fields(two)]}
                              for flag, one, two in flagged_pairs(db.session(), status)]})


def flagged_pairs(session: Session, status: str) -> list[tuple[NearDuplicate, Resource,
                                                               Resource]]:
    """Flags with this status and their two resources, newest first."""
    a, b = aliased(Resource), aliased(Resource)
    rows = session.execute(
        select(NearDuplicate, a, b).join(a, NearDuplicate.resource_id == a.id)
        .join(b, NearDuplicate.other_id == b.id).where(NearDuplicate.status == status)
        .order_by(NearDuplicate.id.desc()))
    return [(flag, one, two) for flag, one, two in rows]


@bp.patch(f"/<int(max={MAX_ID}):flag_id>")
@operation("Dismiss or confirm a near-duplicate flag", {200: Reply("The flag", "Flag")},
           body="FlagUpdate", path={"flag_id": "The flag's id"})
def update_flag(flag_id: int):
    """Record a curator's decision: dismissed (not duplicates) or confirmed (duplicates)."""
    body = json_body(request)
    check(body, FLAG_UPDATE)
    flag = decide(db.session(), flag_id, body["status"])
    return jsonify({"id": flag.id, "status": flag.status})


def decide(session: Session, flag_id: int, status: str) -> NearDuplicate:
    """Record a curator's decision on a flag, or raise a 404 problem."""
    flag = session.get(NearDuplicate, flag_id)
    if flag is None:
        raise Problem(404, "Not Found", f"no near-duplicate flag {flag_id}", kind="not-found")
    flag.status = status
    session.commit()
    return flag
