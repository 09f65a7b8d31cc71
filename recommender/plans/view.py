"""A stored plan as the learner follows it: its weeks laid out from today, with what is done.

Items the learner has marked completed (their feedback) are ticked, in the week they were
completed; the rest are laid into weeks again from the current one, so finishing early moves
them up and falling behind moves them on. Week 1 starts on the plan's start date.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK, Capability
from recommender.content.framework import statements as framework_statements
from recommender.content.store import chunks
from recommender.content.views import PUBLIC_COLUMNS
from recommender.learners.assessments import export_learner
from recommender.plans.make import learner_verdicts
from recommender.plans.schedule import Item, schedule
from recommender.storage.models import Learner, Plan, Resource


def today() -> datetime.date:
    """Today's date in UTC: the week a plan is read in."""
    return datetime.datetime.now(datetime.UTC).date()


def current_week(start: datetime.date, today: datetime.date) -> int:
    """Week index of ``today`` (0 for the first week, and before the plan starts)."""
    return max(0, (today - start).days // 7)


def progress(session: Session, plan: Plan) -> dict[int, datetime.datetime]:
    """The plan's items the learner has completed, with when."""
    completed, _ = learner_verdicts(session, plan.learner_id)
    return {c["resource_id"]: completed[c["resource_id"]] for c in plan.chosen
            if c["resource_id"] in completed}


def view(session: Session, plan: Plan, statements: Mapping[str, Capability],
         today: datetime.date) -> dict:
    """The plan's JSON: weeks of items (this week's first part of a long one says which
    part it is), the gaps and which item covers each, what is left uncovered and why, and
    the minutes in total, done and left."""
    settings = plan.request
    weekly, start = settings["weekly_minutes"], datetime.date.fromisoformat(settings["start"])
    done = progress(session, plan)
    shown = _resources(session, [c["resource_id"] for c in plan.chosen])
    now = current_week(start, today)
    to_do = [c for c in plan.chosen if c["resource_id"] not in done]
    parts = schedule([Item(c["resource_id"], c["minutes"], True) for c in to_do], weekly,
                     first_week=now)
    weeks: dict[int, list[dict]] = {}
    for c in plan.chosen:
        rid = c["resource_id"]
        if rid in done:
            at = done[rid]
            week = current_week(start, at.date())
            weeks.setdefault(week, []).append(_item(c, shown, statements, "done",
                                                    completed_at=at.isoformat()))
    for c in to_do:
        mine = [p for p in parts if p.resource_id == c["resource_id"]]
        for n, part in enumerate(mine, start=1):
            extra = {"this_week_minutes": part.minutes}
            if len(mine) > 1:
                extra["part"] = f"{n} of {len(mine)}"
            weeks.setdefault(part.week, []).append(_item(c, shown, statements, "to_do",
                                                         **extra))
    total = sum(c["minutes"] for c in plan.chosen)
    done_minutes = sum(c["minutes"] for c in plan.chosen if c["resource_id"] in done)
    owner = {g["capability"]: shown[c["resource_id"]].slug
             for c in plan.chosen for g in c["serves"] if c["resource_id"] in shown}
    return {
        "id": plan.id, "learner_id": plan.learner_id, "assessment_id": plan.assessment_id,
        "archetype": settings.get("archetype"), "weekly_minutes": weekly,
        "start": start.isoformat(), "week_limit": settings.get("weeks"),
        "this_week": now + 1,
        "weeks": [{"week": w + 1, "starts": (start + datetime.timedelta(weeks=w)).isoformat(),
                   "minutes": sum(i.get("this_week_minutes", 0) for i in items),
                   "items": items}
                  for w, items in sorted(weeks.items())],
        "gaps": [{"capability": g["capability"], "severity": g["severity"],
                  "covered_by": owner.get(g["capability"])} for g in settings["gaps"]],
        "uncovered": plan.uncovered,
        "total_minutes": total, "done_minutes": done_minutes,
        "left_minutes": total - done_minutes,
        "created_at": plan.created_at.isoformat(), "updated_at": plan.updated_at.isoformat(),
    }


def _resources(session: Session, ids: list[int]) -> dict:
    found = {}
    for part in chunks(ids):
        found.update({r.id: r for r in session.execute(
            select(*PUBLIC_COLUMNS).where(Resource.id.in_(part)))})
    return found


def _item(chosen: dict, shown: Mapping, statements: Mapping[str, Capability], status: str,
          **extra) -> dict:
    r = shown.get(chosen["resource_id"])
    return {
        "id": r.slug if r else None, "title": r.title if r else "(no longer in the catalogue)",
        "url": r.url if r else "", "licence": r.licence if r else "",
        "provider": r.provider if r else "", "format": r.format if r else "",
        "level": r.level if r else "", "minutes": chosen["minutes"],
        "minutes_estimated": chosen["estimated"], "status": status,
        "serves": [{**s, "statement": statements[s["capability"]].text
                    if s["capability"] in statements else ""} for s in chosen["serves"]],
        **extra,
    }


def learner_plans(session: Session, learner_id: str, statements: Mapping[str, Capability],
                  today: datetime.date) -> list[dict]:
    """Every plan of a learner, oldest first, as ``view`` shows it (their data export);
    ``statements``: the default framework's (a plan in another framework shows its own)."""
    plans = session.scalars(select(Plan).where(Plan.learner_id == learner_id)
                            .order_by(Plan.created_at))
    return [view(session, plan, statements if plan.framework == DEFAULT_FRAMEWORK
                 else framework_statements(session, framework=plan.framework), today)
            for plan in plans]


def learner_data(session: Session, learner: Learner, version: str | None,
                 statements: Mapping[str, Capability], today: datetime.date) -> dict:
    """Everything held about a learner (their right of access), plans included: API and
    pages."""
    return {**export_learner(session, learner, version),
            "plans": learner_plans(session, learner.id, statements, today)}
