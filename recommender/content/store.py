"""Write validated resources into the database, idempotently, and fingerprint the catalogue.

Every change also writes an ``IndexOutbox`` row in the same transaction, so the index update it
needs is never lost, even if the broker is down when the change commits.

Labels have a provenance (``Resource.labels``): as the source stated it (no entry), inferred
(``suggested``, with a note, and a confidence once the indexer has read the text) or set by a
curator (``curated``: a write through the catalogue API or the curator pages). A curator's
value always wins: an import never overwrites a curated field, and an inferred value never
replaces a stated or curated one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from catalogue.framework import DEFAULT_FRAMEWORK, key_parts
from catalogue.resources import Resource as ResourceRecord
from catalogue.urls import canonical_url
from recommender.storage.models import IndexOutbox, Resource, ResourceCapability, utcnow

PROGRESS_EVERY = 100
# ids or URLs per IN (...) query: under the drivers' parameter limits (psycopg: 65,535)
LOOKUP_CHUNK = 5000


def chunks(items: list, size: int = LOOKUP_CHUNK):
    """``items`` in consecutive slices of at most ``size``, for IN (...) queries."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


# the fields a curator's write locks against imports; "capabilities" stands for the mapping
LOCKABLE = ("title", "url", "provider", "licence", "access", "description", "format", "level",
            "archetypes", "capabilities", "duration_minutes", "topics", "language")
# labels the indexer infers from the text: an import that leaves them unstated keeps the
# indexer's last inference until the index update re-reads the text
INDEXER_LABELS = ("archetypes", "level")


@dataclass
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    held: int = 0
    rejected: int = 0
    # why records were held, their quoted values left out: {"licence: unknown licence '…'": 8}
    held_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return len(self.new) + len(self.updated)

    def summary(self) -> str:
        return (f"{len(self.new)} new, {len(self.updated)} updated, {len(self.unchanged)} "
                f"unchanged, {self.held} held, {self.rejected} rejected")

    def as_dict(self) -> dict:
        return {"new": self.new, "updated": self.updated, "unchanged": len(self.unchanged),
                "held": self.held, "rejected": self.rejected,
                "held_by_reason": self.held_by_reason}


def upsert_resources(session: Session, records: list[ResourceRecord], *,
                     dry_run: bool = False, curated: bool | Collection[str] = False,
                     progress: Callable[[int], object] | None = None,
                     before_commit: Callable[[Session], object] | None = None) -> UpsertResult:
    """Insert new resources and update changed ones, all in one transaction.

    A record matches an existing resource by canonical URL first, then by id; an unchanged
    record (same content hash) is left alone, a changed one gets its version bumped.
    ``curated``: the records are a curator's (API, pages), so what they state is marked
    curated (True: every field; or the names of the fields a curator set); fields curated
    before and not named here are kept as they are (an import never overwrites them).
    ``progress(n)`` is called as records are processed (n more done); ``before_commit`` runs
    in the same transaction (held records are written there), so all of it commits or none.
    """
    result = UpsertResult()
    marked = frozenset(LOCKABLE if curated is True else curated or ())
    urls = sorted({canonical_url(r.url) for r in records})
    slugs = sorted({r.id for r in records})
    rows = []
    # chunks keep each query's parameters under the drivers' limits (psycopg: 65,535; a
    # 40,000-record feed in one query went over it)
    for start in range(0, max(len(urls), len(slugs)), LOOKUP_CHUNK):
        rows += session.scalars(select(Resource).options(selectinload(Resource.mappings)).where(
            or_(Resource.canonical_url.in_(urls[start:start + LOOKUP_CHUNK]),
                Resource.slug.in_(slugs[start:start + LOOKUP_CHUNK])))).all()
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
            elif row.content_hash == digest and not _uncurated(row, record, marked):
                result.unchanged.append(record.id)
                continue
            else:
                result.updated.append(record.id)
                row.version = (row.version or 1) + 1
            _apply(row, record, digest, marked)
            touched.append(row)
        if progress:
            progress(len(records) % PROGRESS_EVERY)
        session.flush()
        session.add_all(IndexOutbox(resource_id=row.id, action="upsert") for row in touched)
        if before_commit:
            before_commit(session)
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


def _apply(row: Resource, record: ResourceRecord, digest: str, marked: frozenset[str]) -> None:
    labels = dict(row.labels or {})
    inferred = record.inferred_fields()
    locked = {f for f, label in labels.items() if label.get("source") == "curated"} - marked
    keep_inferred = {f for f in INDEXER_LABELS if f in inferred and row.id is not None
                     and labels.get(f, {}).get("source") == "suggested"}
    values = {"title": record.title, "url": record.url, "provider": record.provider,
              "licence": record.licence, "access": record.access,
              "description": record.description, "format": record.format,
              "duration_minutes": record.duration_minutes, "level": record.level,
              "archetypes": list(record.archetypes), "topics": list(record.topics),
              "language": record.language}
    for name, value in values.items():
        if name in locked or name in keep_inferred:
            continue
        setattr(row, name, value)
    if "url" not in locked:
        row.canonical_url = canonical_url(record.url)
    for name in LOCKABLE:
        if name in locked:
            continue
        if name in inferred:
            previous = labels.get(name, {})
            labels[name] = {**(previous if name in keep_inferred else {}),
                            "source": "suggested", "note": inferred[name]}
        elif name in marked:
            labels[name] = {"source": "curated"}
        else:
            labels.pop(name, None)
    row.labels = labels
    row.content_hash = digest
    row.updated_at = utcnow()
    if "capabilities" in locked:
        return
    if record.capabilities:
        # a curated mapping always wins: it replaces every suggestion (of the default
        # framework, whose statements a record names: ``Resource.mappings``)
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


def _uncurated(row: Resource, record: ResourceRecord, marked: frozenset[str]) -> bool:
    """True when a curator's write of an unchanged record still has fields to mark curated."""
    inferred = record.inferred_fields()
    labels = row.labels or {}
    return any(labels.get(name, {}).get("source") != "curated"
               for name in marked if name not in inferred)


def replace_suggestions(session: Session, suggestions: dict[int, list[tuple[str, float]]],
                        frameworks: tuple[str, ...] = (DEFAULT_FRAMEWORK,),
                        reviewed: dict[int, list[tuple[str, float]]] | None = None) -> None:
    """Store suggested mappings (statements as index keys) for each of ``frameworks``,
    replacing the earlier suggestions: ``suggestions`` where a resource has no curated mapping
    in that framework, ``reviewed`` (among statements a new version reworded or added) where
    it has, beside its curated ones."""
    if not suggestions:
        return
    reviewed = reviewed or {}
    ids = sorted(suggestions)
    for framework in frameworks:
        curated = _curated_codes(session, framework, ids)  # resource id -> its statements
        for chunk in chunks(ids):
            session.execute(delete(ResourceCapability).where(
                ResourceCapability.resource_id.in_(chunk),
                ResourceCapability.framework == framework,
                ResourceCapability.source == "suggested"))
        session.add_all(ResourceCapability(resource_id=rid, framework=framework,
                                           capability_code=code, source="suggested",
                                           confidence=round(confidence, 4))
                        for rid in ids
                        for key, confidence in (reviewed.get(rid, []) if rid in curated
                                                else suggestions[rid])
                        for mine, code in [key_parts(key)]
                        if mine == framework and code not in curated.get(rid, ()))


def _curated_codes(session: Session, framework: str, ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for chunk in chunks(ids):
        for rid, code in session.execute(
                select(ResourceCapability.resource_id, ResourceCapability.capability_code)
                .where(ResourceCapability.resource_id.in_(chunk),
                       ResourceCapability.framework == framework,
                       ResourceCapability.source == "curated")):
            found.setdefault(rid, set()).add(code)
    return found


def catalogue_checksum(session: Session) -> str:
    """Digest of every resource's id and content; equal digests mean an unchanged catalogue."""
    digest = hashlib.sha256()
    for slug, content_hash in session.execute(
            select(Resource.slug, Resource.content_hash).order_by(Resource.slug)):
        digest.update(f"{slug}:{content_hash}\n".encode())
    return digest.hexdigest()
