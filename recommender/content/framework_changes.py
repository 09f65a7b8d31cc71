"""What a new framework version changes, and curated work carried across it.

When a new version of a framework becomes current, its statements are compared with the
version current before it, by id:

- **kept**: the same id and text; everything mapped to it follows as it is;
- **renamed**: a statement whose ``formerly`` names an id the earlier version had and this
  one has not: mappings, curators' decisions and feedback marks move to the new id;
- **reworded**: the same id, other text: curated mappings to it stay but are held for a
  curator's review (``MappingReview``), since the statement may no longer say what the
  curator mapped;
- **removed**: ids gone: curated mappings to them are held for review too (coverage no
  longer counts them); **added**: new ids.

Reworded and added statements are re-suggested by meaning at the next index build, for
curated resources as well (``review_codes``): they appear as suggestions for curators to
accept or reject, beside the curated mappings they do not replace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK
from catalogue.framework import Capability as Statement
from recommender.content.curation import curated_codes, set_curated
from recommender.storage import counters
from recommender.storage.models import (
    FeedbackMarks,
    IndexOutbox,
    MappingReview,
    Resource,
    ResourceCapability,
    SuggestionDecision,
    VersionChanges,
    utcnow,
)


@dataclass(frozen=True)
class Changes:
    previous: str
    renamed: dict[str, str] = field(default_factory=dict)  # new id -> old id
    reworded: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"from": self.previous, **{k: v for k, v in asdict(self).items()
                                          if k != "previous"}}


def compare(previous: str, old: Mapping[str, Statement], new: Mapping[str, Statement]
            ) -> Changes:
    """How ``new`` (a version's statements by id) differs from ``old``."""
    renamed = {s.id: s.formerly for s in new.values()
               if s.formerly and s.formerly in old and s.formerly not in new}
    moved = set(renamed.values())
    return Changes(
        previous=previous,
        renamed=renamed,
        reworded=[i for i in new if i in old and new[i].text != old[i].text],
        added=[i for i in new if i not in old and i not in renamed],
        removed=[i for i in old if i not in new and i not in moved])


def carry_over(session: Session, framework: str, version: str, changes: Changes) -> None:
    """Move and flag curated work for a version that is becoming current (in the caller's
    transaction) and record what it changed on the version."""
    for new_id, old_id in changes.renamed.items():
        for model in (ResourceCapability, SuggestionDecision):
            clashing = set(session.scalars(select(model.resource_id).where(
                model.framework == framework, model.capability_code == new_id)))
            session.execute(update(model).where(
                model.framework == framework, model.capability_code == old_id,
                model.resource_id.not_in(clashing)).values(capability_code=new_id))
        _move_marks(session, framework, old_id, new_id)
    for change, codes in (("reworded", changes.reworded), ("removed", changes.removed)):
        for rid, code in session.execute(
                select(ResourceCapability.resource_id, ResourceCapability.capability_code)
                .where(ResourceCapability.framework == framework,
                       ResourceCapability.source == "curated",
                       ResourceCapability.capability_code.in_(codes))):
            session.add(MappingReview(
                resource_id=rid, framework=framework, capability_code=code,
                framework_version=version, change=change,
                reason=f"statement {code} was {change} in {framework} version {version} "
                       f"(from {changes.previous}): check that the resource still serves it"))
    session.merge(VersionChanges(framework=framework, version=version,
                                 changes=changes.as_json()))


def review_codes(session: Session, framework: str, version: str) -> set[str]:
    """Statements a version reworded or added: re-suggested for curated resources too."""
    row = session.get(VersionChanges, (framework, version))
    changes = row.changes if row is not None else {}
    return set(changes.get("reworded", [])) | set(changes.get("added", []))


def renamed_ids(session: Session, framework: str, version: str) -> dict[str, str]:
    """Old id -> new id for the statements a version renamed (``formerly``)."""
    row = session.get(VersionChanges, (framework, version))
    return {old: new for new, old in (row.changes if row else {}).get("renamed", {}).items()}


def _move_marks(session: Session, framework: str, old_id: str, new_id: str) -> None:
    marks = session.scalars(select(FeedbackMarks).where(
        FeedbackMarks.framework == framework, FeedbackMarks.capability_code == old_id)).all()
    counters.add(session, FeedbackMarks, ("resource_id", "framework", "capability_code"), [
        {"resource_id": m.resource_id, "framework": framework, "capability_code": new_id,
         "not_useful": m.not_useful, "useful": m.useful} for m in marks])
    for mark in marks:
        session.delete(mark)


def reviews(session: Session, framework: str, status: str = "open") -> list[MappingReview]:
    """The mapping reviews of a framework with this status, oldest first."""
    return list(session.scalars(select(MappingReview).where(
        MappingReview.framework == framework, MappingReview.status == status)
        .order_by(MappingReview.id)))


def decide_review(session: Session, review: MappingReview, decision: str) -> MappingReview:
    """A curator's verdict on a held mapping: ``keep`` it (it serves the statement as the new
    version words it) or ``remove`` it (the curated mapping goes, and is kept as a rejected
    decision so that it is not suggested again). Commits."""
    review.status, review.decided_at = ("kept" if decision == "keep" else "removed"), utcnow()
    if decision == "remove":
        mapping = session.get(ResourceCapability, (review.resource_id, review.framework,
                                                   review.capability_code))
        if mapping is not None and mapping.source == "curated":
            session.merge(SuggestionDecision(
                resource_id=review.resource_id, framework=review.framework,
                capability_code=review.capability_code, verdict="rejected", confidence=1.0))
            if review.framework == DEFAULT_FRAMEWORK:
                # the catalogue record's statements: written as a curator's, so that a later
                # import of the record does not put the mapping back
                session.flush()
                row = session.get(Resource, review.resource_id)
                set_curated(session, row, [c for c in curated_codes(row)
                                           if c != review.capability_code])
            else:
                session.delete(mapping)
                session.add(IndexOutbox(resource_id=review.resource_id, action="upsert"))
    session.commit()
    return review
