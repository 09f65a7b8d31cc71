"""Load the capability framework into the database and read it back."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.framework import Capability as Statement
from catalogue.framework import Framework
from recommender.models import Capability, FrameworkVersion


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
                       group_name=c.group_name)
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
                              group_id=c.group_id, group_name=c.group_name)
            for c in capabilities(session, version)}


def capabilities(session: Session, version: str | None = None) -> list[Capability]:
    """Statements of a framework version (default: the current one), in id order."""
    version = version or current_version(session)
    rows = session.scalars(select(Capability).where(Capability.framework_version == version))
    return sorted(rows, key=lambda c: [int(p) for p in c.code.split(".")])
