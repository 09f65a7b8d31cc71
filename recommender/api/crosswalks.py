"""Crosswalk and mapping-review API: links between two frameworks' statements by meaning,
suggested from the served index and confirmed or rejected by a curator; curated mappings a new
framework version put up for review, kept or removed (docs/frameworks.md, "Versions and
crosswalks")."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from recommender.content import crosswalks, framework_changes
from recommender.content.frameworks import framework_of, loaded_framework
from recommender.contract.openapi.curator_schemas import (
    CROSSWALK_DECISION,
    CROSSWALK_STATUSES,
    REVIEW_DECISION,
)
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.openapi.schemas import FRAMEWORK
from recommender.contract.query import query_args
from recommender.contract.validation import check, json_body
from recommender.indexing.crosswalks import suggest_links
from recommender.indexing.serving import index_holder
from recommender.problems import Problem
from recommender.storage import db
from recommender.storage.models import MappingReview, Resource
from recommender.storage.queue import notify_index_changes

bp = Blueprint("crosswalks", __name__, url_prefix="/api/v1/crosswalks")
reviews_bp = Blueprint("reviews", __name__, url_prefix="/api/v1/mapping-reviews")
MAX_ID = 2**31 - 1
REVIEW_QUERY = {"status": {"type": "string", "enum": ["open", "kept", "removed"]}}
PAIR = {"one": "The framework whose statements the links start from",
        "other": "The framework they reach"}
QUERY = {"status": {"type": "string", "enum": list(CROSSWALK_STATUSES)}}


@bp.get("/<one>/<other>")
@operation("A crosswalk's links", {200: Reply("Each statement's nearest statements of the "
                                              "other framework, with similarity and status",
                                              "Crosswalk")},
           path=PAIR, query=(Query("status", QUERY["status"],
                                   "suggested, confirmed or rejected"),))
def show(one: str, other: str):
    """The links from one framework's statements to another's, by statement, best first."""
    _frameworks(one, other)
    status = query_args(QUERY)["status"]
    return jsonify({"from": one, "to": other, "links": [
        _link(link) for link in crosswalks.links(db.session(), one, other, status)]})


@bp.post("/<one>/<other>")
@operation("Suggest a crosswalk's links from the index",
           {200: Reply("How many links are suggested and how many were decided already",
                       "CrosswalkRefresh")}, path=PAIR)
def refresh(one: str, other: str):
    """Suggest, for each statement of ``one``, the nearest statements of ``other`` by meaning
    (from the served index's statement vectors); decided links stay as they are."""
    _frameworks(one, other)
    index = index_holder().get()
    if index is None:
        raise Problem(503, "Index not ready", "no search index has been built yet",
                      kind="index-not-ready", headers={"Retry-After": "10"})
    return jsonify(suggest_links(db.session(), index, one, other))


@bp.post("/<one>/<other>/links")
@operation("Confirm or reject one link", {200: Reply("The link", "CrosswalkLink")},
           body="CrosswalkDecision", path=PAIR)
def decide(one: str, other: str):
    """A curator's verdict on a link: confirmed links carry curated mappings into the other
    framework's coverage and read assessments across; rejected ones are never suggested
    again."""
    body = json_body(request)
    check(body, CROSSWALK_DECISION)
    _frameworks(one, other)
    link = crosswalks.decide(db.session(), one, other, body["from"], body["to"],
                             body["decision"])
    return jsonify(_link(link))


def _frameworks(one: str, other: str) -> None:
    loaded_framework(one)
    loaded_framework(other)


def _link(link) -> dict:
    return {"from": link.from_code, "to": link.to_code, "similarity": link.similarity,
            "status": link.status,
            "decided_at": link.decided_at.isoformat() if link.decided_at else None}


@reviews_bp.get("")
@operation("Curated mappings a new framework version put up for review",
           {200: Reply("The reviews, oldest first", "MappingReviews")},
           query=(Query("framework", FRAMEWORK, "A framework id; DART-Ed's when left out"),
                  Query("status", REVIEW_QUERY["status"], "open (default), kept or removed")))
def list_reviews():
    """Curated mappings to statements a new version reworded or removed, with the reason."""
    framework = framework_of(request.args, "?framework")
    status = query_args({**REVIEW_QUERY, "framework": FRAMEWORK})["status"] or "open"
    slugs = dict(db.session().execute(select(Resource.id, Resource.slug)).all())
    return jsonify({"framework": framework, "items": [
        _review(r, slugs) for r in framework_changes.reviews(db.session(), framework, status)]})


@reviews_bp.post(f"/<int(max={MAX_ID}):review_id>")
@operation("Keep or remove a held mapping", {200: Reply("The review", "MappingReview")},
           body="ReviewDecision", path={"review_id": "The review's id"})
def decide_review(review_id: int):
    """Keep the curated mapping (it still serves the statement) or remove it (and never
    suggest it again)."""
    body = json_body(request)
    check(body, REVIEW_DECISION)
    session = db.session()
    review = session.get(MappingReview, review_id)
    if review is None:
        raise Problem(404, "Not Found", f"no mapping review {review_id}", kind="not-found")
    review = framework_changes.decide_review(session, review, body["decision"])
    if body["decision"] == "remove":
        notify_index_changes()
    slugs = dict(session.execute(select(Resource.id, Resource.slug)
                                 .where(Resource.id == review.resource_id)).all())
    return jsonify(_review(review, slugs))


def _review(review: MappingReview, slugs: dict[int, str]) -> dict:
    return {"id": review.id, "resource": slugs.get(review.resource_id),
            "capability": review.capability_code, "framework_version": review.framework_version,
            "change": review.change, "reason": review.reason, "status": review.status}
