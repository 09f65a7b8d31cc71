"""An assessment in progress, kept in the signed session cookie between pages, so that
reloading a page or going back keeps every answer given so far."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from flask import session

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

    def answered_in(self, codes: list[str]) -> int:
        return sum(code in self.answers for code in codes)


def current(version: str | None) -> Draft | None:
    """The draft of this browser for the current framework version, if any."""
    raw = session.get(KEY)
    if not isinstance(raw, dict) or raw.get("version") != version:
        return None
    return Draft(**raw)


def keep(draft: Draft) -> None:
    session[KEY] = asdict(draft)


def discard() -> None:
    session.pop(KEY, None)
