"""The errors a body's statement ids and roles can have against their framework (shared by
the recommendation, plan and assessment bodies)."""

from __future__ import annotations

import re
from collections.abc import Collection, Container

from sqlalchemy.orm import Session

from recommender.content.framework_changes import renamed_ids
from recommender.problems import Problem


def role_error(pointer: str, role: str, roles: Collection[str]) -> dict:
    """The error for an archetype the framework does not have."""
    return {"pointer": pointer, "detail": f"unknown archetype {role!r}; this framework's "
                                          f"are {', '.join(roles)}"}


def statement_error(code: str, i: int, capabilities: Container[str],
                    listed: Container[str]) -> dict | None:
    """Why the statement id of ``gaps[i]`` cannot be a gap (unknown, or listed already)."""
    if code not in capabilities:
        return {"pointer": f"/gaps/{i}/capability", "detail": f"{UNKNOWN} {code!r}"}
    if code in listed:
        return {"pointer": f"/gaps/{i}/capability", "detail": "is listed twice"}
    return None


UNKNOWN = "unknown capability statement"
_QUOTED = re.compile(r"^unknown capability statement '([^']+)'")


def naming_renames(problem: Problem, session: Session, framework: str, version: str | None
                   ) -> Problem:
    """``problem`` with each unknown statement id that the framework's ``version`` renamed
    (``formerly``) named by its new id, so that a caller still sending an old id learns the
    new one (the renames are read only here, when a body was refused)."""
    renamed = renamed_ids(session, framework, version)
    for error in problem.errors:
        found = _QUOTED.match(error.get("detail", ""))
        if found and found.group(1) in renamed:
            error["detail"] = (f"{UNKNOWN} {found.group(1)!r}: version {version} of the "
                               f"framework calls it {renamed[found.group(1)]!r}")
    return problem
