"""Curator API: near-duplicates flagged by the indexer, to dismiss or confirm."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import aliased

from recommender import db
from recommender.models import NearDuplicate, Resource
from recommender.problems import Problem, invalid
from recommender.requests import json_body
from recommender.resource_views import public_fields

bp = Blueprint("curation", __name__, url_prefix="/api/v1/near-duplicates")
STATUSES = ("open", "dismissed", "confirmed")


@bp.get("")
def list_flags():
    """Flagged pairs, newest first; ?status=open (default), dismissed or confirmed."""
    status = request.args.get("status", "open")
    if status not in STATUSES:
        raise invalid([{"pointer": "?status", "detail": f"must be one of {', '.join(STATUSES)}"}])
    a, b = aliased(Resource), aliased(Resource)
    rows = db.session().execute(
        select(NearDuplicate, a, b).join(a, NearDuplicate.resource_id == a.id)
        .join(b, NearDuplicate.other_id == b.id).where(NearDuplicate.status == status)
        .order_by(NearDuplicate.id.desc())).all()
    return jsonify({"items": [{"id": flag.id, "similarity": flag.similarity,
                               "status": flag.status, "resources": [public_fields(one),
                                                                    public_fields(two)]}
                              for flag, one, two in rows]})


@bp.patch("/<int:flag_id>")
def update_flag(flag_id: int):
    """Record a curator's decision: dismissed (not duplicates) or confirmed (duplicates)."""
    body = json_body(request)
    if set(body) != {"status"} or body["status"] not in STATUSES:
        raise invalid([{"pointer": "/status", "detail": f"must be one of {', '.join(STATUSES)}"
                        " and the only field"}])
    flag = db.session().get(NearDuplicate, flag_id)
    if flag is None:
        raise Problem(404, "Not Found", f"no near-duplicate flag {flag_id}", kind="not-found")
    flag.status = body["status"]
    db.session().commit()
    return jsonify({"id": flag.id, "status": flag.status})
