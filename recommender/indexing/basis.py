"""What an index version is built on: the catalogue, the model and index type, and every loaded
framework's current version and its statements, under their index keys
(``catalogue.framework.statement_key``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK, Capability, key_parts, statement_key
from indexes.store import IndexStore
from recommender.content.framework import current_versions
from recommender.content.framework import statements as framework_statements
from recommender.content.framework_changes import review_codes
from recommender.content.store import catalogue_checksum
from recommender.storage.models import FrameworkVersion

# what an index version is built on: if any differs, changes cannot be applied incrementally
BASIS = ("model", "index_type", "framework_version", "framework_checksum", "frameworks",
         "lexical_queries")
# what the statements' BM25 lists are scored for (``Capability.lexical_text``); a version
# built for other words is rebuilt, not updated
LEXICAL_QUERIES = "statement-text"


def wanted_manifest(session: Session, model_name: str, index_type: str = "flat") -> dict:
    """What the current index must hold for this catalogue, frameworks, model and type: the
    default framework's version and checksum, and (when others are loaded) every other
    framework's current version and checksum under ``frameworks``."""
    versions = current_versions(session)
    framework_version = versions.pop(DEFAULT_FRAMEWORK, None)
    if framework_version is None:
        raise RuntimeError("no framework loaded; run 'recommender load-framework' first")
    wanted = {
        "model": model_name,
        "index_type": index_type,
        "catalogue_checksum": catalogue_checksum(session),
        "framework_version": framework_version,
        "framework_checksum": _checksum(session, DEFAULT_FRAMEWORK, framework_version),
        "lexical_queries": LEXICAL_QUERIES,
    }
    if versions:
        wanted["frameworks"] = {f: {"version": v, "checksum": _checksum(session, f, v)}
                                for f, v in versions.items()}
    return wanted


def _checksum(session: Session, framework: str, version: str) -> str:
    return session.get(FrameworkVersion, (framework, version)).checksum


def is_up_to_date(store: IndexStore, wanted: dict) -> bool:
    """True when the published version was built from exactly this catalogue and framework."""
    current = store.manifest()
    return bool(current) and all(current.get(k) == wanted.get(k)
                                 for k in (*wanted, "frameworks"))


def framework_versions(manifest: dict) -> dict[str, str]:
    """The framework versions a manifest (or a wanted one) names, by framework, the default
    first."""
    return {DEFAULT_FRAMEWORK: manifest.get("framework_version"),
            **{f: v["version"] for f, v in (manifest.get("frameworks") or {}).items()}}


def indexed_statements(session: Session, wanted: dict) -> list[Capability]:
    """Every framework's statements the index holds, the default framework's first, each
    under its index key (``catalogue.framework.statement_key``)."""
    return [replace(s, id=statement_key(framework, s.id))
            for framework, version in framework_versions(wanted).items()
            for s in framework_statements(session, version, framework).values()]


def default_statements(statements: list[Capability], vectors: np.ndarray
                       ) -> tuple[list[Capability], np.ndarray]:
    """The default framework's statements and their vectors (resources' audience and level
    are inferred in its terms)."""
    mine = [i for i, s in enumerate(statements) if key_parts(s.id)[0] == DEFAULT_FRAMEWORK]
    return [statements[i] for i in mine], vectors[mine]


def review_keys(session: Session, wanted: dict) -> set[str]:
    """Index keys of the statements each framework's current version reworded or added:
    re-suggested for curated resources too (``content.framework_changes``)."""
    return {statement_key(framework, code)
            for framework, version in framework_versions(wanted).items()
            for code in review_codes(session, framework, version)}
