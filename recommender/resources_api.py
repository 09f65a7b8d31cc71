"""Catalogue API: list, read, create, replace, delete and export resources."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from catalogue.errors import DataError
from catalogue.exporters import to_csv, to_jsonld
from catalogue.framework import ARCHETYPE_BADGES
from catalogue.resources import FORMATS, LEVELS, parse_resource
from recommender import db
from recommender.catalogue_store import delete_resource, upsert_resources
from recommender.models import Resource, ResourceCapability
from recommender.problems import Problem, invalid
from recommender.queue import notify_index_changes
from recommender.requests import json_body_any
from recommender.resource_views import detail, to_record
from recommender.services import statements

bp = Blueprint("resources", __name__, url_prefix="/api/v1/resources")
MAX_BATCH = 500
MAX_PER_PAGE = 100
FILTERS = ("domain", "capability", "level", "archetype", "licence", "format", "provider", "q",
           "page", "per_page")


@bp.get("")
def list_resources():
    """Resources matching the filters, a page at a time, in a stable order (by id)."""
    args = _query_args()
    query = select(Resource)
    if args.get("capability") or args.get("domain"):
        mapped = select(ResourceCapability.resource_id)
        if args.get("capability"):
            mapped = mapped.where(ResourceCapability.capability_code == args["capability"])
        if args.get("domain"):
            mapped = mapped.where(ResourceCapability.capability_code.like(f"{args['domain']}.%"))
        query = query.where(Resource.id.in_(mapped))
    for name in ("level", "licence", "format", "provider"):
        if args.get(name):
            query = query.where(getattr(Resource, name) == args[name])
    if args.get("q"):
        pattern = f"%{args['q'].lower()}%"
        query = query.where(or_(func.lower(Resource.title).like(pattern),
                                func.lower(Resource.description).like(pattern)))
    session = db.session()
    rows = session.scalars(query.order_by(Resource.slug)).all()
    if args.get("archetype"):  # a JSON list column: filtered here, portably
        rows = [r for r in rows if args["archetype"] in r.archetypes]
    page, per_page = args["page"], args["per_page"]
    chosen = rows[(page - 1) * per_page: page * per_page]
    for row in chosen:  # mappings for this page only
        session.refresh(row, ["mappings"])
    links = {}
    if page * per_page < len(rows):
        links["next"] = url_for("resources.list_resources", **{**request.args, "page": page + 1})
    return jsonify({"items": [detail(r) for r in chosen], "page": page, "per_page": per_page,
                    "total": len(rows), "links": links})


@bp.get("/<slug>")
def get_resource(slug: str):
    """One resource with its capability mappings."""
    return jsonify(detail(_find(slug)))


@bp.post("")
def create_resources():
    """Create or update one resource (an object) or many (a list, all or nothing)."""
    body = json_body_any(request)
    records = _validate(body if isinstance(body, list) else [body], batch=isinstance(body, list))
    result = upsert_resources(db.session(), records)
    task = notify_index_changes() if result.changed else None
    status = 201 if result.new else 200
    return jsonify({"new": result.new, "updated": result.updated,
                    "unchanged": result.unchanged, "index_task": task}), status


@bp.put("/<slug>")
def replace_resource(slug: str):
    """Create or replace the resource with this id."""
    body = json_body_any(request)
    if not isinstance(body, dict):
        raise invalid([{"pointer": "", "detail": "the body must be a JSON object"}])
    if body.get("id", slug) != slug:
        raise invalid([{"pointer": "/id", "detail": "does not match the id in the URL"}])
    records = _validate([{**body, "id": slug}], batch=False)
    result = upsert_resources(db.session(), records)
    if result.changed:
        notify_index_changes()
    return jsonify(detail(_find(slug))), 201 if result.new else 200


@bp.delete("/<slug>")
def remove_resource(slug: str):
    """Delete a resource; it leaves the index with the next update."""
    if not delete_resource(db.session(), slug):
        raise _not_found(slug)
    notify_index_changes()
    return Response(status=204)


@bp.get("/export")
def export():
    """The whole catalogue as CSV or JSON-LD (?format= or the Accept header)."""
    kind = request.args.get("format") or ("csv" if request.accept_mimetypes.best_match(
        ["application/ld+json", "text/csv"]) == "text/csv" else "jsonld")
    if kind not in ("csv", "jsonld"):
        raise invalid([{"pointer": "?format", "detail": "must be csv or jsonld"}])
    rows = db.session().scalars(select(Resource).options(selectinload(Resource.mappings))
                                .order_by(Resource.slug)).all()
    records = [to_record(r) for r in rows]
    if kind == "csv":
        return Response(to_csv(records), mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=catalogue.csv"})
    return Response(to_jsonld(records), mimetype="application/ld+json")


def _validate(items: list, *, batch: bool) -> list:
    if len(items) > MAX_BATCH:
        raise invalid([{"pointer": "", "detail": f"at most {MAX_BATCH} resources per request"}])
    if not items:
        raise invalid([{"pointer": "", "detail": "no resources given"}])
    errors, records, seen, known = [], [], set(), statements()
    for i, raw in enumerate(items):
        prefix = f"/{i}" if batch else ""
        try:
            record = parse_resource(raw, known,
                                    licences=current_app.config["LICENCE_ALLOWLIST"])
        except DataError as exc:
            errors.append({"pointer": f"{prefix}/{exc.field}" if exc.field else prefix or "",
                           "detail": exc.reason})
            continue
        if record.id in seen:
            errors.append({"pointer": f"{prefix}/id", "detail": "repeats an earlier resource"})
            continue
        seen.add(record.id)
        records.append(record)
    if errors:
        raise invalid(errors)
    return records


def _query_args() -> dict:
    errors = []
    unknown = sorted(set(request.args) - set(FILTERS))
    errors += [{"pointer": f"?{name}", "detail": "unknown filter"} for name in unknown]
    args = {name: request.args.get(name, "").strip() for name in FILTERS}
    checks = {"level": LEVELS, "format": FORMATS, "archetype": tuple(ARCHETYPE_BADGES)}
    for name, allowed in checks.items():
        if args[name] and args[name] not in allowed:
            errors.append({"pointer": f"?{name}", "detail": f"must be one of {', '.join(allowed)}"})
    for name, default, top in (("page", 1, 10**6), ("per_page", 20, MAX_PER_PAGE)):
        raw = args[name] or str(default)
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            errors.append({"pointer": f"?{name}", "detail": f"must be a whole number 1-{top}"})
            args[name] = default
        else:
            args[name] = int(raw)
    if errors:
        raise invalid(errors)
    return args


def _find(slug: str) -> Resource:
    row = db.session().scalar(select(Resource).where(Resource.slug == slug)
                              .options(selectinload(Resource.mappings)))
    if row is None:
        raise _not_found(slug)
    return row


def _not_found(slug: str) -> Problem:
    current_app.logger.info("resource %s not found", slug)
    return Problem(404, "Not Found", f"no resource with id {slug!r}", kind="not-found")
