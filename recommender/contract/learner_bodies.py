"""Parse and validate the learner bodies (assessments and feedback), collecting every error
with a JSON pointer (API and pages)."""

from __future__ import annotations

from collections.abc import Collection, Container

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.contract.openapi import schemas
from recommender.contract.validation import at_fault, role_error, schema_errors
from recommender.problems import invalid
from recommender.storage.models import Resource


def parse_assessment(body: dict, statements: dict, roles: Collection[str]
                     ) -> tuple[str | None, list[str], dict[str, int], list[str]]:
    """An assessment body's learner id, archetypes, answers and skipped domains checked against
    the framework's ``statements`` and ``roles``, or a 422 naming every field at fault (API
    and pages)."""
    errors = schema_errors(body, schemas.ASSESSMENT)  # the OpenAPI document's AssessmentRequest
    skipped = [] if at_fault(errors, "/skipped_domains") else body.get("skipped_domains") or []
    if not at_fault(errors, "/archetypes"):
        errors += [role_error(f"/archetypes/{i}", a, roles)
                   for i, a in enumerate(body["archetypes"]) if a not in roles]
    domains = {s.domain_id for s in statements.values()}
    errors += [{"pointer": f"/skipped_domains/{i}", "detail": f"unknown domain {d!r}; this "
                f"framework's are {', '.join(sorted(domains, key=int))}"}
               for i, d in enumerate(skipped) if d not in domains]
    answers: dict[str, int] = {}
    for i, item in enumerate(body.get("answers") if not at_fault(errors, "/answers") else ()):
        code, where = item["capability"], f"/answers/{i}/capability"
        if code not in statements:
            errors.append({"pointer": where, "detail": f"unknown capability statement {code!r}"})
        elif code in answers:
            errors.append({"pointer": where, "detail": "answered twice"})
        elif statements[code].domain_id in skipped:
            errors.append({"pointer": where,
                           "detail": f"domain {statements[code].domain_id} was skipped"})
        else:
            answers[code] = item["rating"]
    if errors:
        raise invalid(errors)
    return (body.get("learner_id"), list(dict.fromkeys(body["archetypes"])), answers,
            list(dict.fromkeys(skipped)))


def parse_feedback(body: dict, capabilities: Container[str], session: Session) -> dict:
    """A feedback body as the arguments of ``recommender.learners.feedback.record`` (with its
    resource's row id), or a 422 naming every field at fault (API and pages)."""
    errors = schema_errors(body, schemas.FEEDBACK)  # the OpenAPI document's FeedbackRequest
    capability, slug = body.get("capability"), body.get("resource")
    if not at_fault(errors, "/capability") and capability is not None \
            and capability not in capabilities:
        errors.append({"pointer": "/capability", "detail": "unknown capability statement"})
    resource_id = None if at_fault(errors, "/resource") else \
        session.scalar(select(Resource.id).where(Resource.slug == slug))
    if resource_id is None and not at_fault(errors, "/resource"):
        errors.append({"pointer": "/resource", "detail": "no resource with this id"})
    if errors:
        raise invalid(errors)
    return {"learner_id": body["learner_id"], "resource_id": resource_id,
            "verdict": body["verdict"], "capability": capability,
            "recommendation_id": body.get("recommendation_id"),
            "framework": body.get("framework") or DEFAULT_FRAMEWORK}
