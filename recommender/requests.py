"""Parse and validate request bodies, collecting every error with a JSON pointer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Request

from catalogue.framework import ARCHETYPE_BADGES
from catalogue.resources import FORMATS, LEVELS
from recommender.problems import Problem, invalid

LEARNER_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_GAPS = 60
MAX_FREE_TEXT = 1000
SEVERITIES = (1, 2, 3)
RECOMMENDATION_FIELDS = {"archetype", "gaps", "assessment_id", "free_text", "limit", "page",
                         "learner_id", "filters", "preferences"}
FILTER_FIELDS = {"formats", "max_duration_minutes", "licences", "providers", "languages",
                 "exclude_completed"}
PREFERENCE_FIELDS = {"formats", "duration_minutes", "level"}
MAX_PAGE = 100


@dataclass(frozen=True)
class Gap:
    capability: str
    severity: int


@dataclass(frozen=True)
class Filters:
    """Hard constraints: a resource that fails one is never shown."""

    formats: tuple[str, ...] = ()
    max_duration_minutes: int | None = None
    licences: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    exclude_completed: bool = True


@dataclass(frozen=True)
class Preferences:
    """Soft wishes: they lift matching resources, never hide others."""

    formats: tuple[str, ...] = ()
    duration_minutes: int | None = None
    level: str | None = None  # baseline or specialist, overriding the level rule


@dataclass(frozen=True)
class RecommendationRequest:
    archetype: str | None
    gaps: tuple[Gap, ...]
    free_text: str | None
    limit: int
    assessment_id: str | None = None
    page: int = 1
    learner_id: str | None = None
    filters: Filters = Filters()
    preferences: Preferences = Preferences()


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
    """Validate a recommendation request against the current framework's statement ids.

    With neither ``gaps`` nor ``assessment_id`` the request asks for a starter path for the
    archetype.
    """
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
    elif raw_gaps is None:
        pass  # archetype only: a starter path
    elif not isinstance(raw_gaps, list) or not raw_gaps:
        err("/gaps", "must be a non-empty list of {capability, severity} (leave it out for "
                     "a starter path)")
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
    page = body.get("page", 1)
    if not _is_int(page) or not 1 <= page <= MAX_PAGE:
        err("/page", f"must be a whole number from 1 to {MAX_PAGE}")
    learner_id = body.get("learner_id")
    if learner_id is not None and (not isinstance(learner_id, str)
                                   or not LEARNER_ID.match(learner_id)):
        err("/learner_id", "must be 8-64 letters, digits, hyphens or underscores")
    filters = _filters(body.get("filters"), err)
    preferences = _preferences(body.get("preferences"), err)
    if errors:
        raise invalid(errors)
    return RecommendationRequest(archetype=archetype, gaps=tuple(gaps),
                                 free_text=free_text or None, limit=limit,
                                 assessment_id=assessment_id, page=page, learner_id=learner_id,
                                 filters=filters, preferences=preferences)


def _filters(raw: object, err) -> Filters:
    if raw is None:
        return Filters()
    if not isinstance(raw, dict):
        err("/filters", "must be an object")
        return Filters()
    for name in sorted(set(raw) - FILTER_FIELDS):
        err(f"/filters/{name}", "unknown filter")
    lists = {name: _strings(raw.get(name), f"/filters/{name}", err)
             for name in ("licences", "providers", "languages")}
    lists["formats"] = _formats(raw.get("formats"), "/filters/formats", err)
    longest = raw.get("max_duration_minutes")
    if longest is not None and (not _is_int(longest) or longest < 1):
        err("/filters/max_duration_minutes", "must be a positive whole number of minutes")
    exclude = raw.get("exclude_completed", True)
    if not isinstance(exclude, bool):
        err("/filters/exclude_completed", "must be true or false")
    return Filters(formats=lists["formats"], max_duration_minutes=longest,
                   licences=lists["licences"], providers=lists["providers"],
                   languages=lists["languages"], exclude_completed=exclude is not False)


def _preferences(raw: object, err) -> Preferences:
    if raw is None:
        return Preferences()
    if not isinstance(raw, dict):
        err("/preferences", "must be an object")
        return Preferences()
    for name in sorted(set(raw) - PREFERENCE_FIELDS):
        err(f"/preferences/{name}", "unknown preference")
    formats = _formats(raw.get("formats"), "/preferences/formats", err)
    duration = raw.get("duration_minutes")
    if duration is not None and (not _is_int(duration) or duration < 1):
        err("/preferences/duration_minutes", "must be a positive whole number of minutes")
    level = raw.get("level")
    if level is not None and level not in LEVELS:
        err("/preferences/level", "must be baseline or specialist")
    return Preferences(formats=formats, duration_minutes=duration, level=level)


def _formats(value: object, pointer: str, err) -> tuple[str, ...]:
    formats = _strings(value, pointer, err)
    for fmt in formats:
        if fmt not in FORMATS:
            err(pointer, f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
    return formats


def _strings(value: object, pointer: str, err) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        err(pointer, "must be a list of strings")
        return ()
    return tuple(dict.fromkeys(value))


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
