"""A plan made from the catalogue for a learner's gaps, and stored; re-made when the learner
re-assesses.

The options are the resources a curator mapped to one of the gaps' statements, or that the
indexer suggested for one with a calibrated confidence of at least ``MIN_CONFIDENCE``, less
those the learner marked not useful. Resources the learner has completed cover their gaps
first, at no cost, and stay in the plan as done.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK, Capability, statement_order
from catalogue.resources import TYPICAL_MINUTES
from recommender.content.framework import current_version
from recommender.content.store import chunks
from recommender.content.views import PUBLIC_COLUMNS
from recommender.contract.plan_bodies import PlanRequest
from recommender.contract.validation import Gap
from recommender.learners.assessments import mapped
from recommender.plans.choose import MIN_CONFIDENCE, Choice, Option, choose
from recommender.plans.schedule import Item, order, schedule
from recommender.storage.models import (
    Assessment,
    Feedback,
    Learner,
    NearDuplicate,
    Plan,
    Resource,
    ResourceCapability,
)

MAX_WEEKS_UNLIMITED = 104  # "as many weeks as the gaps need", up to two years
NO_RESOURCE = "no resource in the catalogue serves it"
NO_TIME = "beyond the time limit"


def minutes_of(row) -> tuple[int, bool]:
    """A resource's minutes, and whether they are estimated from its format."""
    if row.duration_minutes:
        return int(row.duration_minutes), False
    return TYPICAL_MINUTES.get(row.format, 60), True


def learner_verdicts(session: Session, learner_id: str | None) -> tuple[dict, set[int]]:
    """The learner's completions (resource id -> when) and the resources they marked not
    useful."""
    if learner_id is None:
        return {}, set()
    completed: dict[int, datetime.datetime] = {}
    not_useful = set()
    for rid, verdict, at in session.execute(
            select(Feedback.resource_id, Feedback.verdict, Feedback.created_at)
            .where(Feedback.learner_id == learner_id,
                   Feedback.verdict.in_(("completed", "not_useful")))
            .order_by(Feedback.created_at)):
        if verdict == "completed":
            completed.setdefault(rid, at)
        else:
            not_useful.add(rid)
    return completed, not_useful - set(completed)


def options(session: Session, severities: Mapping[str, int], completed: Mapping[int, object],
            not_useful: set[int], framework: str = DEFAULT_FRAMEWORK
            ) -> tuple[list[Option], list[Option], dict[int, dict]]:
    """(options to choose from, completed resources that cover a gap, each resource's row
    and mapping sources)."""
    covers: dict[int, dict[str, float]] = {}
    sources: dict[int, dict[str, str]] = {}
    for rid, code, source, confidence in session.execute(
            select(ResourceCapability.resource_id, ResourceCapability.capability_code,
                   ResourceCapability.source, ResourceCapability.confidence)
            .where(ResourceCapability.framework == framework,
                   ResourceCapability.capability_code.in_(list(severities)),
                   or_(ResourceCapability.source == "curated",
                       ResourceCapability.confidence >= MIN_CONFIDENCE))):
        if rid in not_useful:
            continue
        covers.setdefault(rid, {})[code] = 1.0 if source == "curated" else float(confidence)
        sources.setdefault(rid, {})[code] = source
    rows: dict[int, dict] = {}
    duplicates: dict[int, set[int]] = {}
    for part in chunks(sorted(covers)):
        for row in session.execute(select(*PUBLIC_COLUMNS).where(Resource.id.in_(part))):
            minutes, estimated = minutes_of(row)
            rows[row.id] = {"row": row, "minutes": minutes, "estimated": estimated,
                            "sources": sources[row.id]}
        for a, b in session.execute(select(NearDuplicate.resource_id, NearDuplicate.other_id)
                                    .where(NearDuplicate.status != "dismissed",
                                           or_(NearDuplicate.resource_id.in_(part),
                                               NearDuplicate.other_id.in_(part)))):
            duplicates.setdefault(a, set()).add(b)
            duplicates.setdefault(b, set()).add(a)
    made = [Option(rid, rows[rid]["minutes"], covers[rid], frozenset(duplicates.get(rid, ())))
            for rid in sorted(rows)]
    return ([o for o in made if o.resource_id not in completed],
            [o for o in made if o.resource_id in completed], rows)


def make(session: Session, req: PlanRequest, statements: Mapping[str, Capability],
         today: datetime.date, plan: Plan | None = None) -> Plan:
    """Choose, order and store a plan for ``req`` (into ``plan`` when one is re-made)."""
    severities = {g.capability: g.severity for g in req.gaps if g.capability in statements}
    completed, not_useful = learner_verdicts(session, req.learner_id)
    choices, done, rows = options(session, severities, completed, not_useful, req.framework)
    weeks = req.weeks or MAX_WEEKS_UNLIMITED
    choice = choose(choices, severities, req.weekly_minutes * weeks, done)
    chosen, covered = _fit(choice, done, rows, statements, req.weekly_minutes, weeks)
    if plan is not None:  # re-made: what was done in it stays, even for gaps now closed
        kept = {c["resource_id"] for c in chosen}
        chosen = [{**c, "serves": [{**s, "source": "completed"} for s in c["serves"]]}
                  for c in plan.chosen
                  if c["resource_id"] in completed and c["resource_id"] not in kept] + chosen
    reachable = {g for o in choices + done for g in o.covers}
    uncovered = [{"capability": code, "severity": severity,
                  "reason": NO_TIME if code in reachable else NO_RESOURCE}
                 for code, severity in severities.items() if code not in covered]
    now = datetime.datetime.now(datetime.UTC)
    settings = {**req.settings(), "start": (req.start or today).isoformat()}
    if req.learner_id is not None and session.get(Learner, req.learner_id) is None:
        session.add(Learner(id=req.learner_id))
    if plan is None:
        plan = Plan(id=str(uuid.uuid4()), learner_id=req.learner_id, created_at=now,
                    framework=req.framework)
        session.add(plan)
    plan.assessment_id, plan.request, plan.chosen, plan.uncovered = (
        req.assessment_id, settings, chosen, uncovered)
    plan.updated_at = now
    session.commit()
    return plan


def _fit(choice: Choice, done: list, rows: dict, statements: Mapping[str, Capability],
         weekly: int, weeks: int) -> tuple[list[dict], dict[str, int]]:
    """The chosen items in their order, less any that the weekly blocks push past the last
    week, each with the gaps it is in the plan for; and the gaps covered."""
    done_ids = {o.resource_id for o in done}
    taken = [o for o in done if any(choice.covered.get(g) == o.resource_id for g in o.covers)]
    taken += choice.taken
    while True:
        serves = _assign(taken, choice, done_ids, statements)
        items = order([Item(o.resource_id, o.minutes,
                            rows[o.resource_id]["row"].level == "baseline",
                            _levels(serves[o.resource_id], statements))
                       for o in taken if o.resource_id not in done_ids])
        parts = schedule(items, weekly)
        late = {p.resource_id for p in parts if p.week >= weeks}
        if not late:
            break
        taken = [o for o in taken if o.resource_id not in late]
    ordered = [o for o in taken if o.resource_id in done_ids] + \
        [next(o for o in taken if o.resource_id == i.resource_id) for i in items]
    chosen = [{"resource_id": o.resource_id, "minutes": o.minutes,
               "estimated": rows[o.resource_id]["estimated"],
               "serves": [{"capability": g, "source": "completed" if o.resource_id in done_ids
                           else rows[o.resource_id]["sources"][g],
                           "confidence": round(o.covers[g], 3)}
                          for g in serves[o.resource_id]]}
              for o in ordered]
    covered = {g["capability"]: c["resource_id"] for c in chosen for g in c["serves"]}
    return chosen, covered


def _levels(gaps: list[str], statements: Mapping[str, Capability]) -> dict[str, int]:
    """Sub-domain -> the lowest level of ``gaps`` in it."""
    levels: dict[str, int] = {}
    for gap in gaps:
        statement = statements[gap]
        levels[statement.group_id] = min(levels.get(statement.group_id, 9), statement.level)
    return levels


def _assign(taken: list[Option], choice: Choice, done_ids: set[int],
            statements: Mapping[str, Capability]) -> dict[int, list[str]]:
    """The gaps each taken option is in the plan for: those it was taken to cover, and, for
    a gap whose first taker was dropped, the next taken option that covers it."""
    ids = {o.resource_id for o in taken}
    serves: dict[int, list[str]] = {o.resource_id: [] for o in taken}
    for gap, rid in choice.covered.items():
        owner = rid if rid in ids else next(
            (o.resource_id for o in taken if gap in o.covers), None)
        if owner is not None:
            serves[owner].append(gap)
    for rid in serves:
        serves[rid].sort(key=lambda g: (statements[g].level, statement_order(g)))
    return {rid: gaps for rid, gaps in serves.items() if gaps or rid in done_ids}


def gaps_of(session: Session, assessment: Assessment) -> tuple[Gap, ...]:
    """A stored assessment's gaps, mapped to the current framework, worst first."""
    return tuple(Gap(g["capability"], g["severity"])
                 for g in mapped(session, assessment,
                                 current_version(session, assessment.framework))["gaps"])


def for_assessment(session: Session, req: PlanRequest, assessment: Assessment) -> PlanRequest:
    """``req`` for a stored assessment: its gaps, its learner, and its first archetype unless
    the request names one (API and pages)."""
    return replace(req, archetype=req.archetype or assessment.archetypes[0],
                   gaps=gaps_of(session, assessment), assessment_id=assessment.id,
                   learner_id=assessment.learner_id, framework=assessment.framework)


def after_assessment(session: Session, assessment: Assessment,
                     statements: Mapping[str, Capability], today: datetime.date) -> list[Plan]:
    """Re-make, from a new assessment's gaps, each plan of its learner that follows their
    assessments (one made from an assessment), with the plan's own time settings; what they
    have completed stays in it as done (API and pages)."""
    plans = session.scalars(select(Plan).where(Plan.learner_id == assessment.learner_id,
                                               Plan.framework == assessment.framework,
                                               Plan.assessment_id.is_not(None))).all()
    gaps = gaps_of(session, assessment) if plans else ()
    for plan in plans:
        settings = plan.request
        req = PlanRequest(
            archetype=settings.get("archetype"), gaps=gaps,
            weekly_minutes=settings["weekly_minutes"],
            start=datetime.date.fromisoformat(settings["start"]), weeks=settings.get("weeks"),
            assessment_id=assessment.id, learner_id=assessment.learner_id,
            framework=assessment.framework)
        make(session, req, statements, today, plan)
    return plans
