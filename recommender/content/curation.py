"""Curators' decisions. Changing a resource's capability mappings the way the catalogue API
does: a new curated set is written through ``upsert_resources`` (new version, index outbox
row, suggestions dropped) and the index is asked to update. Deciding the near-duplicate flags
the indexer raised (shared by the API and the pages)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from catalogue.framework import DEFAULT_FRAMEWORK, statement_key
from recommender.content.store import upsert_resources
from recommender.content.views import to_record
from recommender.problems import Problem
from recommender.storage.models import (
    IndexOutbox,
    NearDuplicate,
    Resource,
    ResourceCapability,
    SuggestionDecision,
    utcnow,
)
from recommender.storage.queue import notify_index_changes


def curated_codes(row: Resource) -> list[str]:
    return sorted(m.capability_code for m in row.mappings if m.source == "curated")


def set_curated(session: Session, row: Resource, codes: list[str]) -> bool:
    """Make ``codes`` the resource's curated mapping; True when that changed anything.

    With no codes left the resource goes back to suggested mappings, which the index update
    recomputes.
    """
    codes = sorted(dict.fromkeys(codes))
    if codes == curated_codes(row):
        return False
    record = replace(to_record(row), capabilities=tuple(codes))
    result = upsert_resources(session, [record], curated={"capabilities"})
    if result.changed:
        notify_index_changes()
    return bool(result.changed)


def set_labels(session: Session, row: Resource, values: dict) -> bool:
    """Make a curator's level, archetypes or format the resource's (curated: imports never
    change them, whatever their source says later); True when that changed anything."""
    record = to_record(row)
    record = replace(record, **values, inferred=tuple(
        (name, note) for name, note in record.inferred if name not in values))
    result = upsert_resources(session, [record], curated=set(values))
    if result.changed:
        notify_index_changes()
    return bool(result.changed)


def decide_suggestion(session: Session, row: Resource, code: str, verdict: str,
                      framework: str = DEFAULT_FRAMEWORK) -> bool:
    """A curator's verdict on one suggested mapping, kept: an accepted one becomes curated; a
    rejected one is removed and never suggested for this resource again (the indexer reads the
    decisions). True when there was such a suggestion."""
    suggestion = session.get(ResourceCapability, (row.id, framework, code))
    if suggestion is None or suggestion.source != "suggested":
        return False
    decision = session.get(SuggestionDecision, (row.id, framework, code)) or \
        SuggestionDecision(resource_id=row.id, framework=framework, capability_code=code)
    decision.verdict, decision.confidence = verdict, suggestion.confidence
    decision.decided_at = utcnow()
    session.add(decision)
    if verdict == "accepted" and framework == DEFAULT_FRAMEWORK:
        session.flush()
        set_curated(session, row, curated_codes(row) + [code])
    elif verdict == "accepted":  # another framework's mapping: not the catalogue record's
        suggestion.source, suggestion.confidence = "curated", 1.0
        session.add(IndexOutbox(resource_id=row.id, action="upsert"))
        session.commit()
        notify_index_changes()
    else:
        session.delete(suggestion)
    session.commit()
    return True


def curated_mappings(session: Session) -> dict[int, tuple[str, ...]]:
    """Resource id -> the statements curators mapped it to, in any framework, as index keys
    (``catalogue.framework.statement_key``): the suggester's examples."""
    found: dict[int, list[str]] = {}
    for rid, framework, code in session.execute(
            select(ResourceCapability.resource_id, ResourceCapability.framework,
                   ResourceCapability.capability_code)
            .where(ResourceCapability.source == "curated")):
        found.setdefault(rid, []).append(statement_key(framework, code))
    return {rid: tuple(codes) for rid, codes in found.items()}


def rejected_suggestions(session: Session) -> dict[int, set[str]]:
    """Resource id -> the statements curators rejected for it, as index keys."""
    found: dict[int, set[str]] = {}
    for rid, framework, code in session.execute(
            select(SuggestionDecision.resource_id, SuggestionDecision.framework,
                   SuggestionDecision.capability_code)
            .where(SuggestionDecision.verdict == "rejected")):
        found.setdefault(rid, set()).add(statement_key(framework, code))
    return found


def flagged_pairs(session: Session, status: str) -> list[tuple[NearDuplicate, Resource,
                                                               Resource]]:
    """Flags with this status and their two resources, newest first."""
    a, b = aliased(Resource), aliased(Resource)
    rows = session.execute(
        select(NearDuplicate, a, b).join(a, NearDuplicate.resource_id == a.id)
        .join(b, NearDuplicate.other_id == b.id).where(NearDuplicate.status == status)
        .order_by(NearDuplicate.id.desc()))
    return [(flag, one, two) for flag, one, two in rows]


def decide(session: Session, flag_id: int, status: str) -> NearDuplicate:
    """Record a curator's decision on a flag, or raise a 404 problem."""
    flag = session.get(NearDuplicate, flag_id)
    if flag is None:
        raise Problem(404, "Not Found", f"no near-duplicate flag {flag_id}", kind="not-found")
    flag.status = status
    session.commit()
    return flag
