"""Catalogue API: list, read, create, replace, delete and export resources."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue.errors import DataError
from catalogue.exporters import to_csv, to_jsonld
from catalogue.resources import parse_resource
from recommender.content.curation import decide_suggestion as decide_suggestion_of
from recommender.content.frameworks import framework_of
from recommender.content.search import FILTERS, find_resources
from recommender.content.store import delete_resource, upsert_resources
from recommender.content.views import detail, to_record
from recommender.contract.openapi.curator_schemas import SUGGESTION_DECISION
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.openapi.schemas import (
    MAX_RESOURCES,
    resource_input,
)
from recommender.contract.query import query_args
from recommender.contract.validation import check, json_body, json_body_any, schema_errors
from recommender.indexing.serving import statements
from recommender.problems import Problem, invalid
from recommender.storage import db
from recommender.storage.models import Resource
from recommender.storage.queue import notify_index_changes

bp = Blueprint("resources", __name__, url_prefix="/api/v1/resources")
UNCHANGED = Reply("Unchanged since the ETag sent in If-None-Match")
SLUG = {"slug": "The resource's id"}
FILTER_NOTES = {"domain": "Domain id, e.g. 6", "capability": "Statement id, e.g. 6.0.1",
                "licence": "SPDX-style id", "q": "Words in the title or description"}
EXPORT = {"format": {"type": "string", "enum": ["csv", "jsonld"]}}


@bp.get("")
@operation("List the catalogue",
           {200: Reply("A page of resources, in a stable order", "ResourcePage",
                       headers=("ETag",)), 304: UNCHANGED},
           query=tuple(Query(name, schema, FILTER_NOTES.get(name, ""))
                       for name, schema in FILTERS.items()))
def list_resources():
    """Resources matching the filters, a page at a time, in a stable order (by id)."""
    args = query_args(FILTERS)
    session = db.session()
    rows = find_resources(session, args)
    page, per_page = args["page"], args["per_page"]
    chosen = rows[(page - 1) * per_page: page * per_page]
    for row in chosen:  # mappings for this page only
        session.refresh(row, ["mappings", "other_mappings"])
    links = {}
    if page * per_page < len(rows):
        links["next"] = url_for("resources.list_resources", **{**request.args, "page": page + 1})
    return jsonify({"items": [detail(r) for r in chosen], "page": page, "per_page": per_page,
                    "total": len(rows), "links": links})


@bp.get("/<slug>")
@operation("One resource", {200: Reply("The resource with its capability mappings",
                                       "Resource", headers=("ETag",)), 304: UNCHANGED},
           path=SLUG)
def get_resource(slug: str):
    """One resource with its capability mappings."""
    return jsonify(detail(_find(slug)))


@bp.post("")
@operation("Add or update resources",
           {200: Reply("Nothing new: what was updated or unchanged", "ImportResult"),
            201: Reply("At least one resource is new", "ImportResult")},
           body="ResourceImport")
def create_resources():
    """Create or update one resource (an object) or many (a list, all or nothing)."""
    body = json_body_any(request)
    if not isinstance(body, dict | list):
        raise invalid([{"pointer": "", "detail": "must be a resource object or a list of them"}])
    records = _validate(body if isinstance(body, list) else [body], batch=isinstance(body, list))
    result = upsert_resources(db.session(), records, curated=True)
    task = notify_index_changes() if result.changed else None
    status = 201 if result.new else 200
    return jsonify({"new": result.new, "updated": result.updated,
                    "unchanged": result.unchanged, "index_task": task}), status


@bp.put("/<slug>")
@operation("Create or replace one resource",
           {200: Reply("Replaced", "Resource"), 201: Reply("Created", "Resource")},
           body="ResourceReplacement", path=SLUG)
def replace_resource(slug: str):
    """Create or replace the resource with this id."""
    body = json_body(request)
    if body.get("id", slug) != slug:
        raise invalid([{"pointer": "/id", "detail": "does not match the id in the URL"}])
    records = _validate([{**body, "id": slug}], batch=False)
    result = upsert_resources(db.session(), records, curated=True)
    if result.changed:
        notify_index_changes()
    return jsonify(detail(_find(slug))), 201 if result.new else 200


@bp.delete("/<slug>")
@operation("Delete one resource", {204: Reply("Deleted")}, path=SLUG)
def remove_resource(slug: str):
    """Delete a resource; it leaves the index with the next update."""
    if not delete_resource(db.session(), slug):
        raise _not_found(slug)
    notify_index_changes()
    return Response(status=204)


@bp.post("/<slug>/suggestions/<code>")
@operation("Accept or reject a suggested mapping",
           {200: Reply("The resource with its mappings after the decision", "Resource")},
           body="SuggestionDecision",
           path={**SLUG, "code": "The suggested statement's id, e.g. 6.3.2"})
def decide_suggestion(slug: str, code: str):
    """Accept a suggested mapping (it becomes curated) or reject it (it is removed and never
    suggested for this resource again). Both verdicts are kept and teach later suggestions:
    curated resources are the statements' labelled examples at the next index update."""
    body = json_body(request)
    check(body, SUGGESTION_DECISION)
    session = db.session()
    framework = framework_of(body)
    row = _find(slug)
    verdict = {"accept": "accepted", "reject": "rejected"}[body["decision"]]
    if not decide_suggestion_of(session, row, code, verdict, framework):
        raise Problem(404, "Not Found", f"{slug} has no suggested mapping to {code!r} in "
                      f"framework {framework}", kind="not-found")
    session.expire_all()
    return jsonify(detail(_find(slug)))


@bp.get("/export")
@operation("Export the catalogue",
           {200: Reply("Every resource, as CSV or schema.org JSON-LD; both read back by "
                       "`recommender import`", "JsonLd", ("application/ld+json", "text/csv"),
                       headers=("ETag",)), 304: UNCHANGED},
           query=(Query("format", EXPORT["format"], "Instead of the Accept header"),))
def export():
    """The whole catalogue as CSV or JSON-LD (?format= or the Accept header)."""
    kind = query_args(EXPORT)["format"] or ("csv" if request.accept_mimetypes.best_match(
        ["application/ld+json", "text/csv"]) == "text/csv" else "jsonld")
    rows = db.session().scalars(select(Resource).options(selectinload(Resource.mappings))
                                .order_by(Resource.slug)).all()
    records = [to_record(r) for r in rows]
    if kind == "csv":
        return Response(to_csv(records), mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=catalogue.csv"})
    return Response(to_jsonld(records), mimetype="application/ld+json")


def _validate(items: list, *, batch: bool) -> list:
    if len(items) > MAX_RESOURCES:
        raise invalid([{"pointer": "", "detail": f"at most {MAX_RESOURCES} resources per "
                        "request"}])
    if not items:
        raise invalid([{"pointer": "", "detail": "no resources given"}])
    errors, records, seen, known = [], [], set(), statements()
    schema = resource_input()
    for i, raw in enumerate(items):
        prefix = f"/{i}" if batch else ""
        found = schema_errors(raw, schema, prefix)
        if found:
            errors += found
            continue
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


def _find(slug: str) -> Resource:
    row = db.session().scalar(select(Resource).where(Resource.slug == slug)
                              .options(selectinload(Resource.mappings)))
    if row is None:
        raise _not_found(slug)
    return row


def _not_found(slug: str) -> Problem:
    current_app.logger.info("resource %s not found", slug)
    return Problem(404, "Not Found", f"no resource with id {slug!r}", kind="not-found")
