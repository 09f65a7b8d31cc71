"""Records held for review: kept with the reason they were not admitted, for a curator to fix
and admit, or reject. Held records are never recommended and never counted as coverage (they
are not in the catalogue until admitted)."""

from __future__ import annotations

from collections.abc import Container, Iterable

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from catalogue.errors import DataError
from catalogue.importers import HeldItem
from catalogue.licences import DEFAULT_ALLOWED
from catalogue.resources import Resource as ResourceRecord
from catalogue.resources import parse_resource
from catalogue.urls import canonical_url, url_problem
from recommender.content.framework import cached_statements
from recommender.content.store import chunks, upsert_resources
from recommender.problems import Problem, invalid
from recommender.storage.models import HeldRecord, Resource, utcnow
from recommender.storage.queue import notify_index_changes

STATUSES = ("held", "admitted", "rejected", "superseded")
# what a curator may change of a held record before admitting it
FIXABLE = ("title", "url", "provider", "licence", "access", "description", "format", "level",
           "archetypes", "capabilities", "duration_minutes", "topics", "language")
# larger ids are 404s, not database overflows (checked in find: a bound in the API's route
# would turn a PATCH to a larger id into a 405, as the GET route still matches its path)
MAX_ID = 2**31 - 1
MAX_PAGE = 10**6
MAX_PER_PAGE = 100  # most held records per page
MAX_FIELD = 60  # the column's length
MAX_Q = 200
# the listing's filters, declared for recommender.contract.query (and the OpenAPI document)
FILTERS = {
    "status": {"type": "string", "enum": list(STATUSES), "default": "held"},
    "field": {"type": "string", "maxLength": MAX_FIELD},
    "q": {"type": "string", "maxLength": MAX_Q},
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
}


def keep(session: Session, items: Iterable[HeldItem], *, job_id: str | None = None
         ) -> list[str]:
    """Store held records (no commit: the import's transaction holds them). A record held
    again for the same URL replaces the earlier held copy instead of adding another.

    A curator's decision stands: a record is not held again when the resource at its URL has
    the field it was held for curated (a curator fixed it and admitted it), or when a curator
    rejected the same record as it reads now. Returns the URLs left alone for those reasons.
    """
    items = list(items)
    keys = sorted({canonical(item.data.get("url")) for item in items} - {None})
    open_rows: dict[str, HeldRecord] = {}
    rejected: dict[str, HeldRecord] = {}
    curated: dict[str, dict] = {}
    for chunk in chunks(keys):
        for row in session.scalars(select(HeldRecord).where(
                HeldRecord.canonical_url.in_(chunk), HeldRecord.status.in_(("held", "rejected")))
                .order_by(HeldRecord.id)):
            (open_rows if row.status == "held" else rejected)[row.canonical_url] = row
        curated.update(session.execute(select(Resource.canonical_url, Resource.labels).where(
            Resource.canonical_url.in_(chunk))).all())
    decided = []
    for item in items:
        error, data = item.error, item.data
        key = canonical(data.get("url"))
        if key and ((curated.get(key) or {}).get(error.field or "", {}).get("source") ==
                    "curated" or (key in rejected and rejected[key].data == data)):
            decided.append(key)
            continue
        row = open_rows.get(key) if key else None
        if row is None:
            row = HeldRecord(status="held", created_at=utcnow())
            session.add(row)
            if key:
                open_rows[key] = row
        row.source = str(error.source or "")[:500]
        row.record = None if error.record is None else str(error.record)[:40]
        row.title = _text(data.get("title"))[:400] or None
        row.url = _text(data.get("url"))[:2000] or None
        row.canonical_url = key
        row.data = data
        row.field = error.field
        row.reason = error.reason
        row.import_job_id = job_id
        row.updated_at = utcnow()
    return decided


def supersede(session: Session, records: Iterable[ResourceRecord]) -> None:
    """Held copies of URLs a later import admitted are done with (no commit)."""
    keys = {canonical_url(r.url) for r in records}
    for chunk in chunks(sorted(keys)):
        session.execute(update(HeldRecord).where(
            HeldRecord.status == "held", HeldRecord.canonical_url.in_(chunk)).values(
            status="superseded", decided_at=utcnow()))


def listing(session: Session, *, status: str = "held", field: str | None = None,
            q: str | None = None, page: int = 1, per_page: int = 20
            ) -> tuple[list[HeldRecord], int]:
    """Held records with this status (newest first), optionally for one field or matching
    ``q`` in title, URL or reason; and how many there are in all."""
    where = [HeldRecord.status == status]
    if field:
        where.append(HeldRecord.field == field)
    if q:
        pattern = f"%{q.lower()}%"
        where.append(or_(func.lower(HeldRecord.title).like(pattern),
                         func.lower(HeldRecord.url).like(pattern),
                         func.lower(HeldRecord.reason).like(pattern)))
    total = session.scalar(select(func.count()).select_from(HeldRecord).where(*where)) or 0
    rows = session.scalars(select(HeldRecord).where(*where).order_by(
        HeldRecord.updated_at.desc(), HeldRecord.id.desc()).offset((page - 1) * per_page)
        .limit(per_page)).all()
    return list(rows), total


def counts(session: Session) -> dict[str, int]:
    """How many held records there are in each status."""
    found = dict(session.execute(select(HeldRecord.status, func.count())
                                 .group_by(HeldRecord.status)).all())
    return {status: found.get(status, 0) for status in STATUSES}


def admit(session: Session, row: HeldRecord, fixes: dict, *, known: Container[str],
          licences: frozenset[str] = DEFAULT_ALLOWED) -> ResourceRecord:
    """Admit a held record with a curator's fixes; DataError (naming the field) when it still
    cannot enter. The fixed fields are the curator's (an import never overwrites them).
    ``row.resource_slug`` is then the id of the resource it became: a resource already at its
    URL keeps its own id, which may not be the record's."""
    if row.status != "held":
        raise DataError(f"is {row.status}, not held", field="status")
    unknown = sorted(set(fixes) - set(FIXABLE))
    if unknown:
        raise DataError(f"cannot be changed here (fields: {', '.join(FIXABLE)})",
                        field=unknown[0])
    data = {**row.data, **fixes}
    record = parse_resource(data, known, record=row.record, source=row.source,
                            licences=licences)

    def decided(inside: Session) -> None:
        # a resource matched by URL keeps its id (see upsert_resources): name that one
        slug = inside.scalar(select(Resource.slug).where(
            Resource.canonical_url == canonical_url(record.url))) or record.id
        _decided(row, "admitted", slug)

    upsert_resources(session, [record], curated=set(fixes), before_commit=decided)
    return record


def reject(session: Session, row: HeldRecord, reason: str | None = None) -> None:
    """A curator's decision that a held record does not belong in the catalogue."""
    if row.status != "held":
        raise DataError(f"is {row.status}, not held", field="status")
    _decided(row, "rejected", None)
    if reason:
        row.reason = f"{row.reason} (rejected: {reason})"
    session.commit()


def find(session: Session, held_id: int) -> HeldRecord:
    """The held record with this id, or a 404 problem (shared by the API, the pages and the
    CLI)."""
    row = session.get(HeldRecord, held_id) if held_id <= MAX_ID else None
    if row is None:
        raise Problem(404, "Not Found", f"no held record {held_id}", kind="not-found")
    return row


def decide(session: Session, row: HeldRecord, decision: str, *, fixes: dict | None = None,
           reason: str | None = None) -> str | None:
    """Admit (with ``fixes``) or reject (with ``reason``) a held record; returns the index
    update queued on admission. A 409 problem when it was decided before; a 422 naming
    ``/fixes/<field>`` when the fixed record still cannot enter (nothing is written)."""
    if row.status != "held":
        raise Problem(409, "Conflict", f"held record {row.id} is already {row.status}"
                      + (f" (resource {row.resource_slug})" if row.resource_slug else ""),
                      kind="already-decided")
    if decision == "reject":
        reject(session, row, reason)
        return None
    try:
        admit(session, row, fixes or {}, known=set(cached_statements()),
              licences=current_app.config["LICENCE_ALLOWLIST"])
    except DataError as exc:
        session.rollback()
        raise invalid([{"pointer": f"/fixes/{exc.field}" if exc.field else "/fixes",
                        "detail": exc.reason}]) from exc
    return notify_index_changes()


def view(row: HeldRecord) -> dict:
    """A held record as the API shows it."""
    return {"id": row.id, "status": row.status, "source": row.source, "record": row.record,
            "title": row.title, "url": row.url, "field": row.field, "reason": row.reason,
            "data": row.data, "resource": row.resource_slug,
            "import": row.import_job_id,
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None,
            "decided_at": row.decided_at.isoformat() if row.decided_at else None}


def _decided(row: HeldRecord, status: str, slug: str | None) -> None:
    row.status = status
    row.resource_slug = slug
    row.decided_at = utcnow()


def canonical(url: object) -> str | None:
    """The canonical form of a held record's URL, None when it has no usable one."""
    text = _text(url).strip()
    if not text or url_problem(text):
        return None
    return canonical_url(text)[:2000]


def _text(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value)
