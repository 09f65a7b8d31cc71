"""Load the capability framework into the database and read it back."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.framework import Capability as Statement
from catalogue.framework import Framework
from recommender.storage import db
from recommender.storage.models import Capability, FrameworkVersion

CACHED_VERSIONS = 4  # framework versions whose statements a process keeps


def load_framework(session: Session, framework: Framework) -> str:
    """Store a framework version and make it current; return 'loaded' or 'unchanged'.

    Loading the same version again is a no-op; a version whose text changed without a new
    version number is refused, because stored assessments point at that version.
    """
    existing = session.get(FrameworkVersion, framework.version)
    checksum = framework.checksum()
    if existing is not None:
        if existing.checksum != checksum:
            raise ValueError(f"framework version {framework.version} is already loaded with "
                             "different statements; give the changed framework a new version")
        outcome = "unchanged"
    else:
        session.add(FrameworkVersion(version=framework.version, title=framework.title,
                                     checksum=checksum))
        session.flush()
        session.add_all(
            Capability(framework_version=framework.version, code=c.id, text=c.text,
                       level=c.level, archetypes=list(c.archetypes), provenance=c.provenance,
                       domain_id=c.domain_id, domain_name=c.domain_name, group_id=c.group_id,
                       group_name=c.group_name, level_source=c.level_source)
            for c in framework.capabilities)
        outcome = "loaded"
    session.execute(update(FrameworkVersion).values(
        is_current=FrameworkVersion.version == framework.version))
    session.commit()
    return outcome


def current_version(session: Session) -> str | None:
    return session.scalar(select(FrameworkVersion.version).where(FrameworkVersion.is_current))


def statements(session: Session, version: str | None = None) -> dict[str, Statement]:
    """A framework version's statements (default: the current one) as plain records, by id."""
    return {c.code: Statement(id=c.code, text=c.text, level=c.level,
                              archetypes=tuple(c.archetypes), provenance=c.provenance,
                              domain_id=c.domain_id, domain_name=c.domain_name,
                              group_id=c.group_id, group_name=c.group_name,
                              level_source=c.level_source)
            for c in capabilities(session, version)}


def capabilities(session: Session, version: str | None = None) -> list[Capability]:
    """Statements of a framework version (default: the current one), in id order."""
    version = version or current_version(session)
    rows = session.scalars(select(Capability).where(Capability.framework_version == version))
    return sorted(rows, key=lambda c: [int(p) for p in c.code.split(".")])


def cached_statements(version: str | None = None) -> dict[str, Statement]:
    """A framework version's statements by id (default: the current version), read once per
    process and version: the one statement cache every request, page and import uses. A
    version that is gone gives the current one's."""
    cache = current_app.extensions.setdefault("statements", {})
    wanted = version or current_version(db.session())
    if wanted not in cache:
        found = statements(db.session(), wanted)
        if not found and version is not None:  # that version is gone: the current one
            return cached_statements()
        if len(cache) > CACHED_VERSIONS:
            cache.clear()
        cache[wanted] = found
    return cache[wanted]
