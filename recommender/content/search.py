"""Catalogue search: the filters a query string may give, and the resources matching them
(shared by the catalogue API and the curators' pages)."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from catalogue.framework import ARCHETYPE_BADGES
from catalogue.resources import FORMATS, LEVELS
from recommender.storage.models import Resource, ResourceCapability

MAX_PER_PAGE = 100
MAX_PAGE = 10**6
TEXT = {"type": "string"}
# the filters, declared for recommender.contract.query (and the OpenAPI document)
FILTERS = {
    "domain": TEXT,
    "capability": TEXT,
    "level": {"type": "string", "enum": list(LEVELS)},
    "archetype": {"type": "string", "enum": list(ARCHETYPE_BADGES)},
    "licence": TEXT,
    "format": {"type": "string", "enum": list(FORMATS)},
    "provider": TEXT,
    "q": TEXT,
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
}


def find_resources(session: Session, args: dict) -> list[Resource]:
    """Every resource matching validated filters (``FILTERS``), by id (shared by the API
    and the web pages)."""
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
    rows = session.scalars(query.order_by(Resource.slug)).all()
    if args.get("archetype"):  # a JSON list column: filtered here, portably
        rows = [r for r in rows if args["archetype"] in r.archetypes]
    return rows
