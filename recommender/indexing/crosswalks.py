"""Crosswalk links suggested by meaning: each statement of one framework to the nearest
statements of another (cosine of the statement vectors the served index holds), for a
curator to confirm or reject (``content.crosswalks``). A refresh keeps every decision."""

from __future__ import annotations

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from indexes.store import IndexVersion
from recommender.indexing import views
from recommender.problems import Problem
from recommender.storage.models import CrosswalkLink

NEAREST = 3           # links suggested per statement
MIN_SIMILARITY = 0.5  # and only this close or closer (see docs/frameworks.md, "Crosswalks")


def suggest_links(session: Session, index: IndexVersion, one: str, other: str,
                  nearest: int = NEAREST, floor: float = MIN_SIMILARITY) -> dict:
    """Store the suggested links from ``one``'s statements to ``other``'s; confirmed and
    rejected links stay as decided (their similarity brought up to date). Commits."""
    if one == other:
        raise Problem(422, "Unprocessable Content", "a crosswalk links two frameworks, not one "
                      "with itself", kind="validation")
    missing = [f for f in (one, other) if views.version_of(index, f) is None]
    if missing:
        raise Problem(409, "Conflict", f"the served index does not hold {', '.join(missing)} "
                      "yet: build it after loading the framework", kind="index-not-ready")
    a = views.sliced(index, one)
    b = views.sliced(index, other)
    similarity = a.capability_vectors @ b.capability_vectors.T
    found: dict[tuple[str, str], float] = {}
    for i, code in enumerate(a.capability_ids):
        for j in np.argsort(-similarity[i])[:nearest]:
            if similarity[i, j] >= floor:
                found[(code, b.capability_ids[j])] = round(float(similarity[i, j]), 4)
    pair = (CrosswalkLink.from_framework == one, CrosswalkLink.to_framework == other)
    session.execute(delete(CrosswalkLink).where(*pair, CrosswalkLink.status == "suggested"))
    decided = {(r.from_code, r.to_code): r for r in session.scalars(
        select(CrosswalkLink).where(*pair))}
    for key, row in decided.items():
        if key in found:
            row.similarity = found[key]
    fresh = [CrosswalkLink(from_framework=one, from_code=f, to_framework=other, to_code=t,
                           similarity=s) for (f, t), s in found.items() if (f, t) not in decided]
    session.add_all(fresh)
    session.commit()
    return {"from": one, "to": other, "suggested": len(fresh), "decided": len(decided),
            "statements": len(a.capability_ids)}
