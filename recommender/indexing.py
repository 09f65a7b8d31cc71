"""Build an index version from the database: resource vectors plus capability vectors.

Called by the Celery task ``workers.tasks.build_index``; kept here so that the task stays a thin
wrapper and the build can be tested and benchmarked without a queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.text import capability_text, resource_text
from indexes.embedding import Encoder
from indexes.store import IndexStore
from indexes.vectors import VectorIndex
from recommender.catalogue_store import catalogue_checksum
from recommender.framework_store import capabilities, current_version
from recommender.models import FrameworkVersion, Resource

log = logging.getLogger(__name__)
BATCH_SIZE = 256


@dataclass
class BuildOutcome:
    status: str  # "built" or "unchanged"
    version: str
    count: int


def wanted_manifest(session: Session, model_name: str) -> dict:
    """What the current index must hold for this catalogue, framework and model."""
    framework_version = current_version(session)
    if framework_version is None:
        raise RuntimeError("no framework loaded; run 'recommender load-framework' first")
    return {
        "model": model_name,
        "catalogue_checksum": catalogue_checksum(session),
        "framework_version": framework_version,
        "framework_checksum": session.get(FrameworkVersion, framework_version).checksum,
    }


def is_up_to_date(store: IndexStore, wanted: dict) -> bool:
    """True when the published version was built from exactly this catalogue and framework."""
    current = store.manifest()
    return bool(current) and all(current.get(k) == v for k, v in wanted.items())


def build_index(session: Session, store: IndexStore, encoder: Encoder, *,
                force: bool = False) -> BuildOutcome:
    """Embed the catalogue and the current framework and publish a new version.

    Skips the build when the current version already holds this catalogue, framework and model.
    """
    wanted = wanted_manifest(session, encoder.name)
    current = store.manifest()
    if not force and is_up_to_date(store, wanted) and current.get("dimension") == encoder.dimension:
        return BuildOutcome("unchanged", current["version"], current["count"])

    vectors = VectorIndex(encoder.dimension)
    rows = session.execute(select(Resource.id, Resource.title, Resource.description,
                                  Resource.topics).order_by(Resource.id)
                           .execution_options(yield_per=BATCH_SIZE))
    for batch in rows.partitions(BATCH_SIZE):
        ids = np.array([r.id for r in batch], dtype=np.int64)
        texts = [resource_text(r.title, r.description, r.topics) for r in batch]
        vectors.add(ids, encoder.encode(texts))
    statements = capabilities(session, wanted["framework_version"])
    capability_vectors = encoder.encode(
        [capability_text(c.domain_name, c.group_name, c.text) for c in statements])
    name = store.publish(vectors, [c.code for c in statements], capability_vectors, wanted)
    log.info("built index %s: %d resources, %d statements", name, vectors.count, len(statements))
    return BuildOutcome("built", name, vectors.count)
