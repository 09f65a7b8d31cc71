"""Load the capability framework into the database and read it back."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK, Archetype, Framework, statement_order
from catalogue.framework import Capability as Statement
from recommender.content import framework_changes
from recommender.storage import db
from recommender.storage.models import Capability, FrameworkVersion

CACHED_VERSIONS = 4  # framework versions whose statements a process keeps


def load_framework(session: Session, framework: Framework) -> str:
    """Store a framework version and make it current; return 'loaded' or 'unchanged'.

    Loading the same version again is a no-op; a version whose text changed without a new
    version number is refused, because stored assessments point at that version.
    """
    existing = session.get(FrameworkVersion, (framework.id, framework.version))
    previous = current_version(session, framework.id)
    checksum = framework.checksum()
    if existing is not None:
        if existing.checksum != checksum:
            raise ValueError(f"framework {framework.id} version {framework.version} is already "
                             "loaded with different statements; give the changed framework a "
                             "new version")
        outcome = "unchanged"
    else:
        session.add(FrameworkVersion(
            framework=framework.id, version=framework.version, title=framework.title,
            checksum=checksum, source_url=framework.source_url,
            archetypes=[{"id": a.id, "badge": a.badge, "name": a.name,
                         "description": a.description} for a in framework.archetypes]))
        session.flush()
        session.add_all(
            Capability(framework=framework.id, framework_version=framework.version,
                       code=c.id, text=c.text,
                       level=c.level, archetypes=list(c.archetypes), provenance=c.provenance,
                       domain_id=c.domain_id, domain_name=c.domain_name, group_id=c.group_id,
                       group_name=c.group_name, level_source=c.level_source,
                       formerly=c.formerly)
            for c in framework.capabilities)
        session.flush()
        if previous is not None:  # curated work follows the statements (framework_changes)
            changes = framework_changes.compare(
                previous, statements(session, previous, framework.id),
                {c.id: c for c in framework.capabilities})
            framework_changes.carry_over(session, framework.id, framework.version, changes)
        outcome = "loaded"
    session.execute(update(FrameworkVersion)
                    .where(FrameworkVersion.framework == framework.id)
                    .values(is_current=FrameworkVersion.version == framework.version))
    session.commit()
    return outcome


def current_version(session: Session, framework: str = DEFAULT_FRAMEWORK) -> str | None:
    return session.scalar(select(FrameworkVersion.version).where(
        FrameworkVersion.framework == framework, FrameworkVersion.is_current))


def current_versions(session: Session) -> dict[str, str]:
    """Every loaded framework's current version, by framework id, the default first."""
    rows = session.execute(select(FrameworkVersion.framework, FrameworkVersion.version)
                           .where(FrameworkVersion.is_current)).all()
    return dict(sorted(rows, key=lambda r: (r.framework != DEFAULT_FRAMEWORK, r.framework)))


def roles(session: Session, framework: str = DEFAULT_FRAMEWORK,
          version: str | None = None) -> tuple[Archetype, ...]:
    """A framework version's roles (archetypes) as its data gives them (default: the current
    version's)."""
    version = version or current_version(session, framework)
    row = session.get(FrameworkVersion, (framework, version)) if version else None
    return tuple(Archetype(**a) for a in (row.archetypes if row else []))


def statements(session: Session, version: str | None = None,
               framework: str = DEFAULT_FRAMEWORK) -> dict[str, Statement]:
    """A framework version's statements (default: the current one) as plain records, by id."""
    return {c.code: Statement(id=c.code, text=c.text, level=c.level,
                              archetypes=tuple(c.archetypes), provenance=c.provenance,
                              domain_id=c.domain_id, domain_name=c.domain_name,
                              group_id=c.group_id, group_name=c.group_name,
                              level_source=c.level_source, formerly=c.formerly)
            for c in capabilities(session, version, framework)}


def capabilities(session: Session, version: str | None = None,
                 framework: str = DEFAULT_FRAMEWORK) -> list[Capability]:
    """Statements of a framework version (default: the current one), in id order."""
    version = version or current_version(session, framework)
    rows = session.scalars(select(Capability).where(Capability.framework == framework,
                                                    Capability.framework_version == version))
    return sorted(rows, key=lambda c: statement_order(c.code))


def cached_statements(version: str | None = None,
                      framework: str = DEFAULT_FRAMEWORK) -> dict[str, Statement]:
    """A framework version's statements by id (default: the current version), read once per
    process and version: the one statement cache every request, page and import uses. A
    version that is gone gives the current one's."""
    cache = current_app.extensions.setdefault("statements", {})
    wanted = version or current_version(db.session(), framework)
    if (framework, wanted) not in cache:
        found = statements(db.session(), wanted, framework)
        if not found and version is not None:  # that version is gone: the current one
            return cached_statements(framework=framework)
        if len(cache) > CACHED_VERSIONS * 4:
            cache.clear()
        cache[(framework, wanted)] = found
    return cache[(framework, wanted)]
