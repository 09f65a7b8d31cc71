"""Parse and validate a plan request, collecting every error with a JSON pointer (API and
pages)."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Container
from dataclasses import dataclass

from catalogue.framework import ARCHETYPE_BADGES, DEFAULT_FRAMEWORK
from recommender.contract.openapi.plan_schemas import DEFAULT_WEEKLY_MINUTES, PLAN_REQUEST
from recommender.contract.validation import (
    Gap,
    at_fault,
    role_error,
    schema_errors,
    statement_error,
)
from recommender.problems import invalid


@dataclass(frozen=True)
class PlanRequest:
    archetype: str | None
    gaps: tuple[Gap, ...]
    weekly_minutes: int = DEFAULT_WEEKLY_MINUTES
    start: datetime.date | None = None
    weeks: int | None = None
    assessment_id: str | None = None
    learner_id: str | None = None
    framework: str = DEFAULT_FRAMEWORK

    def settings(self) -> dict:
        """What the plan keeps of its request (a later assessment re-makes it with these)."""
        return {"archetype": self.archetype,
                "gaps": [{"capability": g.capability, "severity": g.severity}
                         for g in self.gaps],
                "weekly_minutes": self.weekly_minutes,
                "start": self.start.isoformat() if self.start else None, "weeks": self.weeks}


def parse_plan(body: dict, capabilities: Container[str],
               roles: Collection[str] = tuple(ARCHETYPE_BADGES)) -> PlanRequest:
    """A plan request checked against its framework's statement ids and roles, or a 422
    naming every field at fault."""
    errors = schema_errors(body, PLAN_REQUEST)
    archetype, assessment_id = body.get("archetype"), body.get("assessment_id")
    if isinstance(archetype, str) and not at_fault(errors, "/archetype") and \
            archetype not in roles:
        errors.append(role_error("/archetype", archetype, roles))
    raw_gaps = body.get("gaps")
    if assessment_id is None and (archetype is None or raw_gaps is None):
        for name, value in (("archetype", archetype), ("gaps", raw_gaps)):
            if value is None and not at_fault(errors, f"/{name}"):
                errors.append({"pointer": f"/{name}",
                               "detail": "is required unless assessment_id is given"})
    if assessment_id is not None:
        for name in ("gaps", "learner_id"):
            if body.get(name) is not None:
                errors.append({"pointer": f"/{name}", "detail": "give it or assessment_id, "
                               "not both (an assessment names its learner and gaps)"})
    gaps: dict[str, Gap] = {}
    if isinstance(raw_gaps, list) and not at_fault(errors, "/gaps"):
        for i, raw in enumerate(raw_gaps):
            code = raw["capability"]
            if (error := statement_error(code, i, capabilities, gaps)) is not None:
                errors.append(error)
            else:
                gaps[code] = Gap(code, raw.get("severity", 2))
    start = None
    if body.get("start") is not None and not at_fault(errors, "/start"):
        try:
            start = datetime.date.fromisoformat(body["start"])
        except ValueError:
            errors.append({"pointer": "/start", "detail": "is not a date of the calendar"})
    if errors:
        raise invalid(errors)
    return PlanRequest(archetype=archetype, gaps=tuple(gaps.values()),
                       weekly_minutes=body.get("weekly_minutes", DEFAULT_WEEKLY_MINUTES),
                       start=start, weeks=body.get("weeks"), assessment_id=assessment_id,
                       learner_id=body.get("learner_id"),
                       framework=body.get("framework") or DEFAULT_FRAMEWORK)
