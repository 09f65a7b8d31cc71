"""JSON API, version 1."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from recommender.contract.openapi.operations import Reply, operation
from recommender.contract.validation import json_body
from recommender.indexing.serving import index_holder
from recommender.problems import Problem
from recommender.ranking.answer import recommend_body
from recommender.storage import db
from recommender.storage.models import IndexBuild

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.post("/recommendations")
@operation("Recommend learning for a learner's gaps",
           {200: Reply("Baseline and specialist lists, each item saying which gap it serves "
                       "and why", "Recommendations")},
           body="RecommendationRequest")
def recommendations():
    """Rank baseline and specialist resources for a learner's gaps and archetype."""
    return jsonify(recommend_body(json_body(request)))


@bp.get("/index/builds/<build_id>")
@operation("An index build's progress", {200: Reply("The build", "IndexBuild")},
           path={"build_id": "The build's id (its Celery task id)"})
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
@operation("The index version served", {200: Reply("Served and published versions",
                                                   "IndexStatus")})
def index_status():
    """The index version this process serves, and the newest published one."""
    holder = index_holder()
    loaded = holder.get()
    return jsonify({
        "serving": loaded.manifest if loaded else None,
        "published": holder.store.current_name(),
        "last_error": holder.last_error,
    })
