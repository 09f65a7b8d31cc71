"""Crosswalks between frameworks as stored: the links a curator confirmed or rejected, and
what confirmed links carry across: a resource curated for a statement of one framework
counting for the linked statements of another, and an assessment's ratings read against
another framework. The links are suggested from the index (``indexing.crosswalks``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalogue.framework import statement_order
from recommender.problems import Problem
from recommender.storage.models import CrosswalkLink, ResourceCapability, utcnow

VERDICTS = {"confirm": "confirmed", "reject": "rejected"}


@dataclass(frozen=True)
class Carried:
    """A mapping a confirmed crosswalk link carries into a framework: shaped as a stored
    mapping (``ResourceCapability``) for the coverage reads."""

    resource_id: int
    capability_code: str
    confidence: float  # the link's similarity: a carried mapping counts by it
    via: str           # "<framework> <statement>" it was curated for
    source: str = "crosswalk"


def links(session: Session, one: str, other: str, status: str | None = None
          ) -> list[CrosswalkLink]:
    """The links from ``one``'s statements to ``other``'s, best first per statement."""
    query = select(CrosswalkLink).where(CrosswalkLink.from_framework == one,
                                        CrosswalkLink.to_framework == other)
    if status:
        query = query.where(CrosswalkLink.status == status)
    rows = session.scalars(query).all()
    return sorted(rows, key=lambda r: (statement_order(r.from_code), -r.similarity, r.to_code))


def decide(session: Session, one: str, other: str, from_code: str, to_code: str,
           decision: str) -> CrosswalkLink:
    """A curator's verdict on one link (confirm or reject), kept; 404 when no such link."""
    link = session.get(CrosswalkLink, (one, from_code, other, to_code))
    if link is None:
        raise Problem(404, "Not Found", f"no crosswalk link from {one} {from_code} to {other} "
                      f"{to_code}", kind="not-found")
    link.status, link.decided_at = VERDICTS[decision], utcnow()
    session.commit()
    return link


def pairs(session: Session, source: str, target: str) -> dict[str, dict[str, float]]:
    """Confirmed links between two frameworks, either way round, as ``source`` statement ->
    {``target`` statement: similarity}."""
    out: dict[str, dict[str, float]] = {}
    for link in session.scalars(select(CrosswalkLink).where(
            CrosswalkLink.status == "confirmed",
            or_((CrosswalkLink.from_framework == source)
                & (CrosswalkLink.to_framework == target),
                (CrosswalkLink.from_framework == target)
                & (CrosswalkLink.to_framework == source)))):
        mine, theirs = (link.from_code, link.to_code) if link.from_framework == source \
            else (link.to_code, link.from_code)
        out.setdefault(mine, {})[theirs] = link.similarity
    return out


def carried_mappings(session: Session, framework: str) -> dict[int, list[Carried]]:
    """Resource id -> the mappings confirmed links carry into ``framework`` from resources
    curated for another framework's statements (the best link per target statement)."""
    others = set(session.scalars(select(CrosswalkLink.from_framework).where(
        CrosswalkLink.to_framework == framework, CrosswalkLink.status == "confirmed"))) | set(
        session.scalars(select(CrosswalkLink.to_framework).where(
            CrosswalkLink.from_framework == framework, CrosswalkLink.status == "confirmed")))
    best: dict[tuple[int, str], Carried] = {}
    for other in sorted(others - {framework}):
        linked = pairs(session, other, framework)
        for rid, code in session.execute(
                select(ResourceCapability.resource_id, ResourceCapability.capability_code)
                .where(ResourceCapability.framework == other,
                       ResourceCapability.source == "curated",
                       ResourceCapability.capability_code.in_(list(linked)))):
            for target, similarity in linked[code].items():
                found = best.get((rid, target))
                if found is None or similarity > found.confidence:
                    best[(rid, target)] = Carried(rid, target, similarity, f"{other} {code}")
    out: dict[int, list[Carried]] = {}
    for carried in best.values():
        out.setdefault(carried.resource_id, []).append(carried)
    return out


def ratings_in(session: Session, source: str, target: str, answers: dict[str, int]
               ) -> dict[str, tuple[int, list[str]]]:
    """A ``source`` assessment's ratings read against ``target``: each ``target`` statement a
    confirmed link reaches from an answered statement gets the lowest such rating (the
    learner is as unsure as their least sure linked answer), with the statements it came
    from."""
    out: dict[str, tuple[int, list[str]]] = {}
    for code, reached in pairs(session, source, target).items():
        if code not in answers:
            continue
        for target_code in reached:
            rating, came = out.get(target_code, (answers[code], []))
            out[target_code] = (min(rating, answers[code]), sorted({*came, code}))
    return out
