"""The frameworks the pages offer: which are loaded (a chooser shows only when there are
several), each one's name for people, and its roles as its data gives them, read once per
request."""

from __future__ import annotations

from flask import g, request

from catalogue.framework import DEFAULT_FRAMEWORK, Archetype
from recommender.content.framework import current_versions
from recommender.content.frameworks import cached_roles, listed
from recommender.storage import db

# a shorter name than the shipped file's title, for choosers and captions
NAMES = {DEFAULT_FRAMEWORK: "DART-Ed capability framework for AI and digital healthcare"}


def loaded() -> dict[str, str]:
    """Every loaded framework's current version, by id, the default first."""
    if "frameworks" not in g:
        g.frameworks = current_versions(db.session())
    return g.frameworks


def several() -> bool:
    """Whether the pages offer a choice of framework."""
    return len(loaded()) > 1


def known(framework: str | None) -> str | None:
    """``framework`` when it is loaded (an empty one is the default), else None."""
    framework = framework or DEFAULT_FRAMEWORK
    return framework if framework in loaded() else None


def kept(framework: str) -> dict[str, str]:
    """The ``framework`` query parameter a page's links keep: none while the default is the
    only framework and no request named it, so that those pages stay as they were."""
    if framework != DEFAULT_FRAMEWORK or "framework" in request.args or several():
        return {"framework": framework}
    return {}


def name(framework: str) -> str:
    """The framework's name for people: ours, its title, or its id."""
    return NAMES.get(framework) or next(
        (f["title"] for f in _listed() if f["id"] == framework and f["title"]), framework)


def choices() -> list[dict]:
    """The loaded frameworks for a chooser: id, name, and how many statements and domains
    its current version holds."""
    return [{"id": f["id"], "name": name(f["id"]), "version": f["version"],
             "statements": f["statements"], "domains": f["domains"]} for f in _listed()]


def roles(framework: str = DEFAULT_FRAMEWORK) -> dict[str, Archetype]:
    """A framework's roles by id, in its data's order (its current version's)."""
    cache = g.setdefault("roles", {})
    if framework not in cache:
        cache[framework] = {a.id: a for a in cached_roles(framework)}
    return cache[framework]


def _listed() -> list[dict]:
    """The loaded frameworks as the API lists them (``content.frameworks.listed``), read once
    per request."""
    if "frameworks_listed" not in g:
        g.frameworks_listed = listed(db.session(), {})
    return g.frameworks_listed
