"""Write validated resources into the database, idempotently, and fingerprint the catalogue."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.resources import Resource as ResourceRecord
from catalogue.urls import canonical_url
from recommender.models import Resource, ResourceCapability, utcnow


@dataclass
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


def upsert_resources(session: Session, records: list[ResourceRecord], *,
                     dry_run: bool = False) -> UpsertResult:
    """Insert new resources and update changed ones (matched by id), in one transaction."""
    result = UpsertResult()
    slugs = [r.id for r in records]
    existing = {row.slug: row for row in
                session.scalars(select(Resource).where(Resource.slug.in_(slugs))
                                .options(selectinload(Resource.mappings)))}
    try:
        for record in records:
            row = existing.get(record.id)
            digest = record.content_hash()
            if row is None:
                result.new.append(record.id)
                row = Resource(slug=record.id, created_at=utcnow())
                session.add(row)
            elif row.content_hash == digest:
                result.unchanged.append(record.id)
                continue
            else:
                result.updated.append(record.id)
            _apply(row, record, digest)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


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
    wanted = {code: record.mapping for code in record.capabilities}
    row.mappings = [m for m in row.mappings if m.capability_code in wanted]
    kept = {m.capability_code for m in row.mappings}
    for mapping in row.mappings:
        mapping.source = wanted[mapping.capability_code]
    row.mappings.extend(ResourceCapability(capability_code=code, source=source, confidence=1.0)
                        for code, source in wanted.items() if code not in kept)


def catalogue_checksum(session: Session) -> str:
    """Digest of every resource's id and content; equal digests mean an unchanged catalogue."""
    digest = hashlib.sha256()
    for slug, content_hash in session.execute(
            select(Resource.slug, Resource.content_hash).order_by(Resource.slug)):
        digest.update(f"{slug}:{content_hash}\n".encode())
    return digest.hexdigest()
