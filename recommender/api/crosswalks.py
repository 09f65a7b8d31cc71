"""Crosswalk API: links between two frameworks' statements by meaning, suggested from the
served index and confirmed or rejected by a curator (docs/frameworks.md, "Crosswalks")."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from recommender.content import crosswalks
from recommender.content.frameworks import framework_of
from recommender.contract.openapi.curator_schemas import CROSSWALK_DECISION, CROSSWALK_STATUSES
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.query import query_args
from recommender.contract.validation import check, json_body
from recommender.indexing.crosswalks import suggest_links
from recommender.indexing.serving import index_holder
from recommender.problems import Problem
from recommender.storage import db

bp = Blueprint("crosswalks", __name__, url_prefix="/api/v1/crosswalks")
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
    for name, value in (("one", one), ("other", other)):
        try:
            framework_of({"framework": value}, f"/{name}")
        except Problem as exc:
            raise Problem(404, "Not Found", f"no framework {value!r} is loaded",
                          kind="not-found") from exc


def _link(link) -> dict:
    return {"from": link.from_code, "to": link.to_code, "similarity": link.similarity,
            "status": link.status,
            "decided_at": link.decided_at.isoformat() if link.decided_at else None}
