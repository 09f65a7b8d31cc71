"""Jinja for the pages: our templates first, then the NHS.UK frontend macros
(``nhsuk-frontend-jinja``), everything autoescaped, and a few display filters."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from flask import Flask, has_request_context
from flask_wtf.csrf import generate_csrf
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader

from catalogue.framework import DEFAULT_FRAMEWORK, load_framework
from recommender.learners.rules import SCALE
from recommender.web import frameworks

LEVEL_NAMES = {"baseline": "Baseline", "specialist": "Specialist"}


def init_app(app: Flask) -> None:
    """Must run before anything renders a template (the environment is built on first use)."""
    app.jinja_options = {
        **app.jinja_options,
        # the macros read nested parameters that may be missing (params.hint.text)
        "undefined": ChainableUndefined,
        # every template, the macros' .jinja files included, escapes what it prints
        "autoescape": True,
        "loader": ChoiceLoader([app.create_global_jinja_loader(),
                                PackageLoader("nhsuk_frontend_jinja")]),
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    app.add_template_filter(duration, "duration")
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_global(generate_csrf, "csrf_token")
    app.add_template_global(archetypes, "archetypes")
    app.add_template_global(frameworks.name, "framework_name")
    app.add_template_global(LEVEL_NAMES, "level_names")
    app.add_template_global(SCALE, "scale")


def archetypes(framework: str = DEFAULT_FRAMEWORK) -> dict:
    """A framework's roles by id (name, description) as its data gives them; DART-Ed's
    from the shipped file when the database holds none (resources' audience labels are
    DART-Ed's, so the curator pages always have them)."""
    found = frameworks.roles(framework) if has_request_context() else {}
    return found or (shipped_archetypes() if framework == DEFAULT_FRAMEWORK else {})


@cache
def shipped_archetypes() -> dict:
    """DART-Ed's archetypes by id, from the shipped framework file."""
    return {a.id: a for a in load_framework().archetypes}


def duration(minutes: int | None) -> str:
    """45 -> '45 minutes', 90 -> '1 hour 30 minutes', None -> 'not stated'."""
    if not minutes:
        return "not stated"
    hours, rest = divmod(int(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' * (hours != 1)}")
    if rest:
        parts.append(f"{rest} minute{'s' * (rest != 1)}")
    return " ".join(parts)


def day(moment: date | str | None) -> str:
    """A date as people read it: 4 January 2027."""
    moment = _moment(moment)
    return "" if moment is None else f"{moment.day} {moment:%B %Y}"


def when(moment: datetime | str | None) -> str:
    """A date and time as people read it: 3 March 2026, 14:05."""
    moment = _moment(moment)
    return "" if moment is None else f"{day(moment)}, {moment:%H:%M}"


def _moment(value: date | str | None) -> date | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
