"""The resource schema: one validated learning resource, parsed from a plain mapping."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Container
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from catalogue.errors import DataError
from catalogue.framework import ARCHETYPE_BADGES, Framework
from catalogue.licences import DEFAULT_ALLOWED, LicenceError, check_admission, normalise_licence
from catalogue.text import resource_text

FORMATS = ("course", "e-learning", "video", "guidance", "article", "book", "programme", "toolkit",
           "podcast", "webinar")
LEVELS = ("baseline", "specialist")
MAPPING_SOURCES = ("curated", "suggested")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
REQUIRED = ("id", "title", "url", "provider", "licence", "access", "description", "format",
            "level", "archetypes")


@dataclass(frozen=True)
class Resource:
    """A learning resource as the catalogue holds it."""

    id: str
    title: str
    url: str
    provider: str
    licence: str
    access: str
    description: str
    format: str
    level: str
    archetypes: tuple[str, ...]
    capabilities: tuple[str, ...]
    duration_minutes: int | None = None
    mapping: str = "curated"
    topics: tuple[str, ...] = field(default_factory=tuple)
    language: str = "en"

    def embedding_text(self) -> str:
        """What the index embeds: title, description and topics."""
        return resource_text(self.title, self.description, self.topics)

    def content_hash(self) -> str:
        """Digest of every field but the id; equal hashes mean an unchanged resource."""
        fields = asdict(self)
        del fields["id"]
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def parse_resource(raw: object, known: Framework | Container[str] | None = None, *,
                   record: int | str | None = None, source: str | None = None,
                   licences: frozenset[str] = DEFAULT_ALLOWED) -> Resource:
    """Validate one raw mapping; raise DataError naming the record and field at fault.

    ``known`` holds the capability statement ids a mapping may use (a Framework, or any
    container of ids such as the database's current statements); ``licences`` is the
    allow-list of licence ids (see catalogue.licences).
    """

    def fail(field_name: str, reason: str) -> DataError:
        return DataError(reason, field=field_name, record=record, source=source)

    if not isinstance(raw, dict):
        raise fail("", "a resource must be a mapping of fields")
    for key in REQUIRED:
        value = raw.get(key)
        if value is None or value == "" or value == []:
            raise fail(key, "is required")
    rid = str(raw["id"]).strip()
    if not _SLUG.match(rid):
        raise fail("id", "must be 2-80 lowercase letters, digits or hyphens")
    url = str(raw["url"]).strip()
    problem = url_problem(url)
    if problem:
        raise fail("url", problem)
    try:
        licence = normalise_licence(str(raw["licence"]))
        access = str(raw["access"]).strip()
        check_admission(licence, access, licences)
    except LicenceError as exc:
        raise fail("licence" if "licence" in str(exc) else "access", str(exc)) from exc
    fmt = str(raw["format"]).strip()
    if fmt not in FORMATS:
        raise fail("format", f"must be one of {', '.join(FORMATS)}")
    level = str(raw["level"]).strip()
    if level not in LEVELS:
        raise fail("level", "must be baseline or specialist")
    archetypes = _string_list(raw["archetypes"], "archetypes", fail)
    unknown = [a for a in archetypes if a not in ARCHETYPE_BADGES]
    if unknown:
        raise fail("archetypes", f"unknown archetype {unknown[0]!r}")
    # may be empty: the indexer then suggests statements by similarity for a curator to review
    capabilities = _string_list(raw.get("capabilities") or [], "capabilities", fail)
    if known is not None:
        ids = known.ids() if isinstance(known, Framework) else known
        missing = [c for c in capabilities if c not in ids]
        if missing:
            raise fail("capabilities", f"unknown capability {missing[0]!r}")
    duration = raw.get("duration_minutes")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool)
                                 or duration <= 0):
        raise fail("duration_minutes", "must be a positive whole number of minutes")
    mapping = str(raw.get("mapping") or "curated")
    if mapping not in MAPPING_SOURCES:
        raise fail("mapping", "must be curated or suggested")
    description = " ".join(str(raw["description"]).split())
    if len(description) < 40:
        raise fail("description", "must be at least 40 characters")
    return Resource(
        id=rid, title=" ".join(str(raw["title"]).split()), url=url,
        provider=str(raw["provider"]).strip(), licence=licence, access=access,
        description=description, format=fmt, level=level,
        archetypes=tuple(a for a in ARCHETYPE_BADGES if a in archetypes),  # S, D, C, E, U
        capabilities=tuple(sorted(capabilities, key=_statement_order)),
        duration_minutes=duration, mapping=mapping,
        topics=tuple(_string_list(raw.get("topics") or [], "topics", fail)),
        language=str(raw.get("language") or "en"),
    )


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a resource's link, or None: only absolute http(s) URLs with a
    host, a valid port and no spaces or control characters (javascript:, data:, file: and the
    like never reach a page or an export)."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL"
    return None


def _statement_order(code: str) -> list[int]:
    """Canonical order of statement ids (6.2 before 6.10), so mappings compare equal."""
    return [int(p) if p.isdigit() else 0 for p in code.split(".")]


def _string_list(value: object, name: str, fail) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[;,|]", value)]
    if not isinstance(value, list | tuple):
        raise fail(name, "must be a list")
    items = [str(v).strip() for v in value if str(v).strip()]
    if len(set(items)) != len(items):
        raise fail(name, "has duplicates")
    return items
