"""Labels the indexer infers while it reads resources: archetypes and level for those whose
source did not state them, stored with their confidence before the version is published."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session

from catalogue.framework import Capability
from indexes.embedding import Encoder
from recommender.indexing.labels import LabelInferrer
from recommender.storage.models import Resource

# labels the indexer infers from a resource's text when its source did not state them
INFERRED = ("archetypes", "level")


def lazy_inferrer(encoder: Encoder, statements: list[Capability], vectors: np.ndarray
                   ) -> Callable[[], LabelInferrer]:
    """The label inferrer, built the first time a resource needs it (most updates of a
    labelled catalogue never do)."""
    built: list[LabelInferrer] = []

    def get() -> LabelInferrer:
        if not built:
            built.append(LabelInferrer.for_statements(encoder, statements, vectors))
        return built[0]

    return get


def infer_labels(rows, vectors: np.ndarray, texts: list[str],
                 inferrer: Callable[[], LabelInferrer]) -> list[dict]:
    """For rows whose archetypes or level are inferred (labels source "suggested"), the new
    values and labels with their confidence; stated and curated labels are never touched."""
    wanted = [i for i, r in enumerate(rows) if any(
        (r.labels or {}).get(name, {}).get("source") == "suggested" for name in INFERRED)]
    if not wanted:
        return []
    found = inferrer().infer(vectors[wanted], [texts[i] for i in wanted])
    updates = []
    for i, guess in zip(wanted, found, strict=True):
        row = rows[i]
        labels = dict(row.labels or {})
        update = {"id": row.id, "archetypes": list(row.archetypes), "level": row.level}
        if labels.get("archetypes", {}).get("source") == "suggested":
            update["archetypes"] = list(guess.archetypes)
            labels["archetypes"] = {**labels["archetypes"], "scores": guess.archetype_scores,
                                    "reason": "meaning and words of its text"}
        if labels.get("level", {}).get("source") == "suggested":
            update["level"] = guess.level
            labels["level"] = {**labels["level"], "confidence": guess.level_confidence,
                               "reason": guess.level_reason}
        update["labels"] = labels
        updates.append(update)
    return updates


def store_labels(session: Session, updates: list[dict]) -> None:
    """Write inferred archetypes and levels, and commit them before the version that ranks
    with them is published (a web process reads its snapshot as soon as it is)."""
    if updates:
        session.execute(update(Resource), updates)
    session.commit()
