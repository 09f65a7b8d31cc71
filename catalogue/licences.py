"""Licence policy: normalise messy licence strings to SPDX-style ids and decide admission.

Two separate facts are kept for every resource (DOMAIN.md): whether its licence is open, and
whether it is free to access. A resource is admitted when it is openly licensed, or when it is
free to access (``access`` open, free-registration or application) under a proprietary licence.
"""

from __future__ import annotations

import re

# SPDX-style id -> is it an open licence?
_CC_KINDS = ("BY", "BY-SA", "BY-NC", "BY-NC-SA", "BY-ND", "BY-NC-ND")
LICENCES: dict[str, bool] = {
    **{f"CC-{kind}-{version}": True for kind in _CC_KINDS for version in ("2.0", "3.0", "4.0")},
    **{f"CC-{kind}-3.0-IGO": True for kind in _CC_KINDS},
    "CC0-1.0": True,
    "OGL-UK-3.0": True,
    "OGL-UK-2.0": True,
    "MIT": True,
    "Apache-2.0": True,
    "BSD-3-Clause": True,
    "GPL-3.0-only": True,
    # free to read or take part in, but not openly licensed (all rights reserved)
    "LicenseRef-Proprietary-Free": False,
}
ACCESS = ("open", "free-registration", "application")
_CANONICAL = {k.lower(): k for k in LICENCES}
_ALIASES = {
    "ogl": "OGL-UK-3.0",
    "ogl-3.0": "OGL-UK-3.0",
    "open government licence v3.0": "OGL-UK-3.0",
    "open government licence": "OGL-UK-3.0",
    "cc0": "CC0-1.0",
    "public domain": "CC0-1.0",
    "all rights reserved": "LicenseRef-Proprietary-Free",
    "proprietary": "LicenseRef-Proprietary-Free",
    "free to access": "LicenseRef-Proprietary-Free",
    "free-access": "LicenseRef-Proprietary-Free",
}
_CC_URL = re.compile(r"creativecommons\.org/(?:licenses|publicdomain)/([a-z-]+)/(\d\.\d)", re.I)


class LicenceError(ValueError):
    """The licence string is unknown, or the resource may not enter the catalogue."""


def normalise_licence(value: str) -> str:
    """Return the SPDX-style id for a licence string, URL or common alias."""
    text = (value or "").strip()
    if not text:
        raise LicenceError("licence is missing")
    key = text.lower()
    if key in _CANONICAL:
        return _CANONICAL[key]
    if key in _ALIASES:
        return _ALIASES[key]
    match = _CC_URL.search(text)
    if match:
        kind, version = match.groups()
        candidate = "CC0-1.0" if kind.lower() == "zero" else f"CC-{kind.upper()}-{version}"
        if candidate.lower() in _CANONICAL:
            return _CANONICAL[candidate.lower()]
    spaced = re.sub(r"[\s_]+", "-", key.replace("licence", "").replace("license", "").strip())
    if spaced in _CANONICAL:
        return _CANONICAL[spaced]
    raise LicenceError(f"unknown licence {value!r}; use an SPDX id such as CC-BY-4.0")


def is_open(licence: str) -> bool:
    return LICENCES.get(licence, False)


FREE_ACCESS = "LicenseRef-Proprietary-Free"
DEFAULT_ALLOWED = frozenset(LICENCES)


def parse_allowlist(text: str | None) -> frozenset[str]:
    """A comma-separated allow-list from configuration (ids or aliases); empty: the default."""
    if not text or not text.strip():
        return DEFAULT_ALLOWED
    return frozenset(normalise_licence(part) for part in text.split(",") if part.strip())


def check_admission(licence: str, access: str, allowed: frozenset[str] = DEFAULT_ALLOWED
                    ) -> None:
    """Raise LicenceError unless the resource is openly licensed or marked free to access,
    and its licence is on the allow-list."""
    if access not in ACCESS:
        raise LicenceError(f"access must be one of {', '.join(ACCESS)} (paid resources are not "
                           "admitted)")
    if licence not in allowed:
        if licence == FREE_ACCESS:
            raise LicenceError("free-to-access resources without an open licence are not "
                               "accepted by this catalogue's licence policy")
        raise LicenceError(f"licence {licence!r} is not on the allow-list")
