"""An assessment in progress, kept in the signed session cookie between pages, so that
reloading a page or going back keeps every answer given so far."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

from flask import session

from catalogue.framework import DEFAULT_FRAMEWORK

KEY = "assessment_draft"


@dataclass
class Draft:
    version: str  # the framework version the answers belong to
    archetypes: list[str]
    learner_id: str | None = None
    answers: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    # names this draft in the browser's own storage of answers not yet sent
    key: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    framework: str = DEFAULT_FRAMEWORK  # the framework assessed against

    def answered_in(self, codes: list[str]) -> int:
        return sum(code in self.answers for code in codes)


def current(versions: Mapping[str, str]) -> Draft | None:
    """The draft of this browser, if any, while its framework's current version (in
    ``versions``, by framework) is the one it was started in."""
    raw = session.get(KEY)
    if not isinstance(raw, dict):
        return None
    names = {f.name for f in fields(Draft)}
    found = Draft(**{k: v for k, v in raw.items() if k in names})
    return found if versions.get(found.framework) == found.version else None


def keep(draft: Draft) -> None:
    session[KEY] = asdict(draft)


def discard() -> None:
    session.pop(KEY, None)
