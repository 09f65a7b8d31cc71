"""JSON API, version 1."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from recommender import db
from recommender.models import IndexBuild
from recommender.problems import Problem
from recommender.ranking import DEFAULT_WEIGHTS
from recommender.recommend import recommend
from recommender.requests import json_body, parse_recommendation
from recommender.services import encoder, index_holder, statements

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.post("/recommendations")
def recommendations():
    """Rank baseline and specialist resources for a learner's gaps and archetype."""
    body = json_body(request)
    known = statements()
    req = parse_recommendation(body, set(known), current_app.config["RECOMMENDATION_MAX_LIMIT"])
    index = index_holder().get()
    if index is None:
        raise Problem(503, "Index not ready", "no search index has been built yet; try again "
                      "when the indexing worker has finished", kind="index-not-ready",
                      headers={"Retry-After": "10"})
    weights = {**DEFAULT_WEIGHTS, **current_app.config.get("RANKING_WEIGHTS", {})}
    model = encoder() if req.free_text else None
    if model is not None and index.manifest.get("model") != model.name:
        raise Problem(503, "Index model mismatch", f"the index was built with "
                      f"{index.manifest.get('model')}, not {model.name}; rebuild the index",
                      kind="index-model-mismatch")
    return jsonify(recommend(req, index, db.session(), known, weights, model))


@bp.get("/framework")
def framework():
    """The current framework's capability statements."""
    known = statements()
    return jsonify({
        "version": next(iter(known.values())).framework_version if known else None,
        "capabilities": [
            {"id": c.code, "text": c.text, "level": c.level, "archetypes": c.archetypes,
             "domain": c.domain_name, "group": c.group_name, "provenance": c.provenance}
            for c in known.values()
        ],
    })


@bp.get("/index/builds/<build_id>")
def index_build(build_id: str):
    """One index build or update: its kind, status and progress (done of total)."""
    build = db.session().get(IndexBuild, build_id)
    if build is None:
        raise Problem(404, "Not Found", f"no index build {build_id!r}", kind="not-found")
    return jsonify({
        "id": build.id, "kind": build.kind, "status": build.status, "done": build.done,
        "total": build.total, "version": build.version, "count": build.count,
        "detail": build.detail,
        "requested_at": build.requested_at.isoformat() if build.requested_at else None,
        "finished_at": build.finished_at.isoformat() if build.finished_at else None,
    })


@bp.get("/index")
def index_status():
    """The index version this process serves, and the newest published one."""
    holder = index_holder()
    loaded = holder.get()
    return jsonify({
        "serving": loaded.manifest if loaded else None,
        "published": holder.store.current_name(),
        "last_error": holder.last_error,
    })
