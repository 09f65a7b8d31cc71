"""Parse and validate request bodies, collecting every error with a JSON pointer."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request

from catalogue.framework import ARCHETYPE_BADGES
from recommender.problems import Problem, invalid

MAX_GAPS = 60
MAX_FREE_TEXT = 1000
SEVERITIES = (1, 2, 3)
RECOMMENDATION_FIELDS = {"archetype", "gaps", "assessment_id", "free_text", "limit"}


@dataclass(frozen=True)
class Gap:
    capability: str
    severity: int


@dataclass(frozen=True)
class RecommendationRequest:
    archetype: str | None
    gaps: tuple[Gap, ...]
    free_text: str | None
    limit: int
    assessment_id: str | None = None


def json_body_any(request: Request) -> object:
    """The request's JSON value, or a 415/400 problem saying what is wrong with it."""
    if not request.is_json:
        raise Problem(415, "Unsupported Media Type",
                      "send the request body as JSON with Content-Type: application/json",
                      kind="unsupported-media-type")
    body = request.get_json(silent=True)
    if body is None:
        raise Problem(400, "Malformed JSON", "the request body is not valid JSON",
                      kind="malformed-json")
    return body


def json_body(request: Request) -> dict:
    """The request's JSON object, or a problem saying what is wrong with it."""
    body = json_body_any(request)
    if not isinstance(body, dict):
        raise invalid([{"pointer": "", "detail": "the body must be a JSON object"}])
    return body


def parse_recommendation(body: dict, capabilities: set[str], max_limit: int
                         ) -> RecommendationRequest:
    """Validate a recommendation request against the current framework's statement ids."""
    errors: list[dict] = []

    def err(pointer: str, detail: str) -> None:
        errors.append({"pointer": pointer, "detail": detail})

    for name in sorted(set(body) - RECOMMENDATION_FIELDS):
        err(f"/{name}", "unknown field")
    archetype = body.get("archetype")
    assessment_id = body.get("assessment_id")
    if assessment_id is not None and not (isinstance(assessment_id, str) and assessment_id):
        err("/assessment_id", "must be the id of a stored assessment")
    if not (archetype is None and assessment_id is not None) and (
            not isinstance(archetype, str) or archetype not in ARCHETYPE_BADGES):
        err("/archetype", f"must be one of {', '.join(ARCHETYPE_BADGES)}")
    gaps: list[Gap] = []
    raw_gaps = body.get("gaps")
    if assessment_id is not None:
        if raw_gaps is not None:
            err("/gaps", "give gaps or assessment_id, not both")
    elif not isinstance(raw_gaps, list) or not raw_gaps:
        err("/gaps", "must be a non-empty list of {capability, severity}")
    elif len(raw_gaps) > MAX_GAPS:
        err("/gaps", f"at most {MAX_GAPS} gaps per request")
    else:
        seen: set[str] = set()
        for i, raw in enumerate(raw_gaps):
            gap = _gap(raw, f"/gaps/{i}", capabilities, err)
            if gap is None:
                continue
            if gap.capability in seen:
                err(f"/gaps/{i}/capability", "is listed twice")
                continue
            seen.add(gap.capability)
            gaps.append(gap)
    free_text = body.get("free_text")
    if free_text is not None:
        if not isinstance(free_text, str):
            err("/free_text", "must be a string")
        elif len(free_text) > MAX_FREE_TEXT:
            err("/free_text", f"at most {MAX_FREE_TEXT} characters")
        free_text = free_text.strip() if isinstance(free_text, str) else None
    limit = body.get("limit", 10)
    if not _is_int(limit) or not 1 <= limit <= max_limit:
        err("/limit", f"must be a whole number from 1 to {max_limit}")
    if errors:
        raise invalid(errors)
    return RecommendationRequest(archetype=archetype, gaps=tuple(gaps),
                                 free_text=free_text or None, limit=limit,
                                 assessment_id=assessment_id)


def _gap(raw: object, pointer: str, capabilities: set[str], err) -> Gap | None:
    if not isinstance(raw, dict):
        err(pointer, "must be an object with 'capability' and 'severity'")
        return None
    ok = True
    for name in sorted(set(raw) - {"capability", "severity"}):
        err(f"{pointer}/{name}", "unknown field")
        ok = False
    capability = raw.get("capability")
    if not isinstance(capability, str) or not capability:
        err(f"{pointer}/capability", "must be a capability statement id such as '6.1.1'")
        ok = False
    elif capability not in capabilities:
        err(f"{pointer}/capability", f"unknown capability statement {capability!r}")
        ok = False
    severity = raw.get("severity", 2)
    if not _is_int(severity) or severity not in SEVERITIES:
        err(f"{pointer}/severity", "must be 1, 2 or 3")
        ok = False
    return Gap(capability, severity) if ok else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
