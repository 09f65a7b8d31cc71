"""The frameworks loaded side by side: which there are, each one's roles (archetypes, as its
data gives them), and the ``framework`` a request names, checked."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK, Archetype
from recommender.content.framework import current_version, roles
from recommender.problems import Problem, invalid
from recommender.storage import db
from recommender.storage.models import Capability, FrameworkVersion


def framework_of(values: object, pointer: str = "/framework") -> str:
    """The framework a body or a query names (``framework``; DART-Ed's when none), or a 422
    naming ``pointer`` when no such framework is loaded."""
    wanted = values.get("framework") if hasattr(values, "get") else None
    if wanted in (None, "", DEFAULT_FRAMEWORK):
        return DEFAULT_FRAMEWORK
    if not isinstance(wanted, str) or current_version(db.session(), wanted) is None:
        loaded = ", ".join(db.session().scalars(
            select(FrameworkVersion.framework).where(FrameworkVersion.is_current)
            .order_by(FrameworkVersion.framework)))
        raise invalid([{"pointer": pointer, "detail": f"unknown framework {wanted!r}; "
                                                      f"loaded: {loaded}"}])
    return wanted


def loaded_framework(framework: str) -> str:
    """``framework`` when it is loaded, or a 404 problem (a framework named in a URL path)."""
    if current_version(db.session(), framework) is None:
        raise Problem(404, "Not Found", f"no framework {framework!r} is loaded",
                      kind="not-found")
    return framework


def cached_roles(framework: str = DEFAULT_FRAMEWORK,
                 version: str | None = None) -> tuple[Archetype, ...]:
    """A framework version's roles (default: the current version's), read once per process
    and version."""
    version = version or current_version(db.session(), framework)
    cache = current_app.extensions.setdefault("roles", {})
    if (framework, version) not in cache:
        cache[(framework, version)] = roles(db.session(), framework, version)
    return cache[(framework, version)]


def listed(session: Session, indexed: dict[str, str | None]) -> list[dict]:
    """Every loaded framework: its current version, title, source, roles, statement and
    domain counts, the other versions held, and the version the served index holds
    (``indexed``: framework -> version, None when it holds none)."""
    rows = session.scalars(select(FrameworkVersion).order_by(
        FrameworkVersion.framework != DEFAULT_FRAMEWORK, FrameworkVersion.framework,
        FrameworkVersion.loaded_at)).all()
    sizes = {(f, v): (n, d) for f, v, n, d in session.execute(
        select(Capability.framework, Capability.framework_version, func.count(),
               func.count(func.distinct(Capability.domain_id)))
        .group_by(Capability.framework, Capability.framework_version))}
    out: dict[str, dict] = {}
    for row in rows:
        entry = out.setdefault(row.framework, {
            "id": row.framework, "default": row.framework == DEFAULT_FRAMEWORK,
            "versions": [], "indexed_version": indexed.get(row.framework)})
        entry["versions"].append(row.version)
        if row.is_current:
            statements, domains = sizes.get((row.framework, row.version), (0, 0))
            entry.update(version=row.version, title=row.title, source_url=row.source_url,
                         archetypes=row.archetypes, statements=statements, domains=domains)
    return [entry for entry in out.values() if "version" in entry]
