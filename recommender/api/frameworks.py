"""The frameworks API: the frameworks loaded side by side, and one framework's statements
and roles (docs/frameworks.md, "Several frameworks")."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.content.framework import current_version
from recommender.content.frameworks import cached_roles, framework_of, listed, loaded_framework
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.openapi.schemas import FRAMEWORK
from recommender.indexing import views
from recommender.indexing.serving import index_holder, statements
from recommender.storage import db
from recommender.storage.models import FrameworkVersion

bp = Blueprint("frameworks", __name__, url_prefix="/api/v1")


@bp.get("/frameworks")
@operation("The capability frameworks loaded",
           {200: Reply("Each framework's current version, roles and size", "Frameworks")})
def frameworks():
    """Every framework loaded side by side (DART-Ed the default): its current version, title,
    source, roles (archetypes), statement and domain counts, the versions held, and the
    version the served index holds (null until the index has taken it)."""
    index = index_holder().get()
    session = db.session()
    indexed = {f: views.version_of(index, f) for f in views.frameworks_of(index)} \
        if index is not None else {}
    return jsonify({"default": DEFAULT_FRAMEWORK, "frameworks": listed(session, indexed)})


@bp.get("/framework")
@operation("A capability framework's statements",
           {200: Reply("The framework's current version, its roles and its statements",
                       "Framework", headers=("ETag",)),
            304: Reply("Unchanged since the ETag sent in If-None-Match")},
           query=(Query("framework", FRAMEWORK, "A framework id; DART-Ed's when left out"),))
def framework():
    """A framework's capability statements and roles (conditional GET with an ETag)."""
    return _statements(framework_of(request.args))


@bp.get("/frameworks/<framework_id>")
@operation("One capability framework's statements",
           {200: Reply("The framework's current version, its roles and its statements",
                       "Framework", headers=("ETag",)),
            304: Reply("Unchanged since the ETag sent in If-None-Match")},
           path={"framework_id": "A framework id, as GET /api/v1/frameworks lists them"})
def one_framework(framework_id: str):
    """The same as ``GET /api/v1/framework?framework=<id>``."""
    return _statements(loaded_framework(framework_id))


def _statements(framework_id: str) -> Response:
    session = db.session()
    version = current_version(session, framework_id)
    row = session.get(FrameworkVersion, (framework_id, version)) if version else None
    checksum = row.checksum if row else "none"
    if request.if_none_match.contains(checksum):
        return Response(status=304, headers={"ETag": f'"{checksum}"'})
    known = statements(framework=framework_id)
    response = jsonify({
        "framework": framework_id,
        "version": version,
        "title": row.title if row else None,
        "archetypes": [vars(a) for a in cached_roles(framework_id, version)] if row else [],
        "capabilities": [
            {"id": c.id, "text": c.text, "level": c.level, "archetypes": c.archetypes,
             "domain": c.domain_name, "group": c.group_name, "provenance": c.provenance}
            for c in known.values()
        ],
    })
    response.set_etag(checksum)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
