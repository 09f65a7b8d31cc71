"""The errors a body's statement ids and roles can have against their framework (shared by
the recommendation, plan and assessment bodies)."""

from __future__ import annotations

from collections.abc import Collection, Container


def role_error(pointer: str, role: str, roles: Collection[str]) -> dict:
    """The error for an archetype the framework does not have."""
    return {"pointer": pointer, "detail": f"unknown archetype {role!r}; this framework's "
                                          f"are {', '.join(roles)}"}


def statement_error(code: str, i: int, capabilities: Container[str],
                    listed: Container[str]) -> dict | None:
    """Why the statement id of ``gaps[i]`` cannot be a gap (unknown, or listed already)."""
    if code not in capabilities:
        return {"pointer": f"/gaps/{i}/capability",
                "detail": f"unknown capability statement {code!r}"}
    if code in listed:
        return {"pointer": f"/gaps/{i}/capability", "detail": "is listed twice"}
    return None
