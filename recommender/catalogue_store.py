"""Write validated resources into the database, idempotently, and fingerprint the catalogue.

Every change also writes an ``IndexOutbox`` row in the same transaction, so the index update it
needs is never lost, even if the broker is down when the change commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from catalogue.resources import Resource as ResourceRecord
from catalogue.urls import canonical_url
from recommender.models import IndexOutbox, Resource, ResourceCapability, utcnow

PROGRESS_EVERY = 100


@dataclass
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.new) + len(self.updated)

    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


def upsert_resources(session: Session, records: list[ResourceRecord], *,
                     dry_run: bool = False,
                     progress: Callable[[int], object] | None = None) -> UpsertResult:
    """Insert new resources and update changed ones, all in one transaction.

    A record matches an existing resource by canonical URL first, then by id; an unchanged
    record (same content hash) is left alone, a changed one gets its version bumped.
    ``progress(n)`` is called as records are processed (n more done).
    """
    result = UpsertResult()
    urls = {canonical_url(r.url) for r in records}
    slugs = {r.id for r in records}
    rows = session.scalars(select(Resource).options(selectinload(Resource.mappings)).where(
        or_(Resource.canonical_url.in_(urls), Resource.slug.in_(slugs)))).all()
    by_url = {row.canonical_url: row for row in rows}
    by_slug = {row.slug: row for row in rows}
    touched: list[Resource] = []
    try:
        for number, record in enumerate(records, start=1):
            if progress and number % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            row = by_url.get(canonical_url(record.url)) or by_slug.get(record.id)
            digest = record.content_hash()
            if row is None:
                result.new.append(record.id)
                # matched rows keep their id: a URL seen before under another id is the same
                # resource, and renaming it could collide with a different row's id
                row = Resource(slug=record.id, created_at=utcnow(), version=1)
                session.add(row)
            elif row.content_hash == digest:
                result.unchanged.append(record.id)
                continue
            else:
                result.updated.append(record.id)
                row.version = (row.version or 1) + 1
            _apply(row, record, digest)
            touched.append(row)
        if progress:
            progress(len(records) % PROGRESS_EVERY)
        session.flush()
        session.add_all(IndexOutbox(resource_id=row.id, action="upsert") for row in touched)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def delete_resource(session: Session, slug: str) -> bool:
    """Delete a resource (and its mappings); False if there was none."""
    row = session.scalar(select(Resource).where(Resource.slug == slug))
    if row is None:
        return False
    session.add(IndexOutbox(resource_id=row.id, action="delete"))
    session.delete(row)
    session.commit()
    return True


def _apply(row: Resource, record: ResourceRecord, digest: str) -> None:
    row.title = record.title
    row.url = record.url
    row.canonical_url = canonical_url(record.url)
    row.provider = record.provider
    row.licence = record.licence
    row.access = record.access
    row.description = record.description
    row.format = record.format
    row.duration_minutes = record.duration_minutes
    row.level = record.level
    row.archetypes = list(record.archetypes)
    row.topics = list(record.topics)
    row.language = record.language
    row.content_hash = digest
    row.updated_at = utcnow()
    if record.capabilities:
        # a curated mapping always wins: it replaces every suggestion
        wanted = {code: record.mapping for code in record.capabilities}
        row.mappings = [m for m in row.mappings if m.capability_code in wanted]
        kept = {m.capability_code for m in row.mappings}
        for mapping in row.mappings:
            mapping.source = wanted[mapping.capability_code]
            mapping.confidence = 1.0
        row.mappings.extend(ResourceCapability(capability_code=code, source=source,
                                               confidence=1.0)
                            for code, source in wanted.items() if code not in kept)
    else:
        row.mappings = [m for m in row.mappings if m.source == "suggested"]


def replace_suggestions(session: Session, suggestions: dict[int, list[tuple[str, float]]]
                        ) -> None:
    """Store suggested mappings for resources that have no curated mapping."""
    if not suggestions:
        return
    curated = set(session.scalars(select(ResourceCapability.resource_id).where(
        ResourceCapability.resource_id.in_(suggestions),
        ResourceCapability.source == "curated")))
    targets = [rid for rid in suggestions if rid not in curated]
    session.execute(delete(ResourceCapability).where(
        ResourceCapability.resource_id.in_(targets), ResourceCapability.source == "suggested"))
    session.add_all(ResourceCapability(resource_id=rid, capability_code=code, source="suggested",
                                       confidence=round(confidence, 4))
                    for rid in targets for code, confidence in suggestions[rid])


def catalogue_checksum(session: Session) -> str:
    """Digest of every resource's id and content; equal digests mean an unchanged catalogue."""
    digest = hashlib.sha256()
    for slug, content_hash in session.execute(
            select(Resource.slug, Resource.content_hash).order_by(Resource.slug)):
        digest.update(f"{slug}:{content_hash}\n".encode())
    return digest.hexdigest()
