"""The resource schema: one validated learning resource, parsed from a plain mapping."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Container
from dataclasses import asdict, dataclass, field

from catalogue import vocabulary
from catalogue.errors import DataError
from catalogue.framework import Framework
from catalogue.licences import (
    DEFAULT_ALLOWED,
    FREE_ACCESS,
    LicenceError,
    check_admission,
    normalise_licence,
)
from catalogue.text import resource_text
from catalogue.urls import SLUG, host, slug, url_problem
from catalogue.vocabulary import FORMATS, LEVELS  # noqa: F401 (the catalogue's vocabulary)

MAPPING_SOURCES = ("curated", "suggested")
# the only fields a source must give: everything else is taken as stated or inferred
REQUIRED = ("title", "url")
# the labels a source may leave out; what it leaves out is inferred and named in ``inferred``
LABELS = ("provider", "licence", "access", "description", "format", "level", "archetypes",
          "capabilities", "duration_minutes", "topics")
# until the indexer has read a resource's text, an unstated level or set of archetypes holds
# this placeholder (the indexer replaces it, recording its confidence)
PLACEHOLDER_LEVEL = "baseline"
# typical length by format, for a plan to budget time when the source does not say
TYPICAL_MINUTES = {"course": 240, "e-learning": 45, "video": 20, "guidance": 20, "article": 15,
                   "book": 480, "programme": 6000, "toolkit": 30, "podcast": 40, "webinar": 60}
NOT_STATED_FREE = "licence not stated by the source; it declares the resource free to access"


class Held(DataError):
    """A record that is a learning resource but cannot be admitted as it stands (a licence
    outside the policy, a value we cannot read): kept for a curator to fix, admit or reject."""


@dataclass(frozen=True)
class Resource:
    """A learning resource as the catalogue holds it.

    ``inferred`` names the labels the source did not state (or stated in words we could not
    read), each with a note: (field, note) pairs in field order. Every other field is as
    the source stated it.
    """

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
    inferred: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def embedding_text(self) -> str:
        """What the index embeds: title, description and topics."""
        return resource_text(self.title, self.description, self.topics)

    def content_hash(self) -> str:
        """Digest of every field but the id; equal hashes mean an unchanged resource."""
        fields = asdict(self)
        del fields["id"]
        if not fields["inferred"]:  # digests of fully stated records are those of before
            del fields["inferred"]
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    def inferred_fields(self) -> dict[str, str]:
        return dict(self.inferred)


def parse_resource(raw: object, known: Framework | Container[str] | None = None, *,
                   record: int | str | None = None, source: str | None = None,
                   licences: frozenset[str] = DEFAULT_ALLOWED,
                   free_access: bool = False) -> Resource:
    """Validate one raw mapping; what it does not state is inferred and named as such.

    Raises DataError (the record is not a learning resource: no title, no http(s) URL) or its
    subclass Held (a learning resource that cannot be admitted as it stands: a licence outside
    the policy, a paid resource, a value we cannot read), naming the record and field.
    ``known`` holds the capability statement ids a mapping may use (a Framework, or any
    container of ids such as the database's current statements); ``licences`` is the
    allow-list of licence ids (see catalogue.licences); ``free_access`` says the source as a
    whole declares its resources free to access (a record may say so with ``free_access``).
    """

    def fail(field_name: str, reason: str) -> DataError:
        return DataError(reason, field=field_name, record=record, source=source)

    def hold(field_name: str, reason: str) -> Held:
        return Held(reason, field=field_name, record=record, source=source)

    if not isinstance(raw, dict):
        raise fail("", "a resource must be a mapping of fields")
    for key in REQUIRED:
        if _missing(raw.get(key)):
            raise fail(key, "is required")
    title = " ".join(_one(raw["title"]).split())
    if not title:
        raise fail("title", "is required")
    url = _one(raw["url"]).strip()
    problem = url_problem(url)
    if problem:
        raise fail("url", problem)
    inferred: dict[str, str] = {}
    rid = _identifier(raw.get("id"), url)
    if rid is None:
        raise hold("id", "must be 2-80 lowercase letters, digits or hyphens")
    licence, access = _licence_and_access(raw, licences, free_access, inferred, hold)
    fmt = _label(raw, "format", vocabulary.map_format, inferred)
    level = _label(raw, "level", vocabulary.map_level, inferred)
    if "archetypes" in raw and not _missing(raw["archetypes"]):
        terms = _string_list(raw["archetypes"], "archetypes", hold)
        archetypes = vocabulary.map_archetypes(terms)
        if not archetypes:
            inferred["archetypes"] = f"no archetype in the source's words {terms!r}"
    else:
        archetypes = []
        inferred["archetypes"] = "not stated by the source"
    # may be empty: the indexer then suggests statements by similarity for a curator to review
    capabilities = _string_list(raw.get("capabilities") or [], "capabilities", hold)
    if known is not None:
        ids = known.ids() if isinstance(known, Framework) else known
        missing = [c for c in capabilities if c not in ids]
        if missing:
            raise hold("capabilities", f"unknown capability {missing[0]!r}")
    if not capabilities:
        inferred["capabilities"] = "not stated by the source"
    duration = raw.get("duration_minutes")
    if isinstance(duration, str) and duration.strip():
        try:
            duration = vocabulary.duration_of(duration)
        except ValueError as exc:
            raise hold("duration_minutes", str(exc)) from exc
    if _missing(duration):
        duration = None
        inferred["duration_minutes"] = "not stated by the source"
    elif not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        raise hold("duration_minutes", "must be a positive whole number of minutes")
    mapping = str(raw.get("mapping") or "curated")
    if mapping not in MAPPING_SOURCES:
        raise hold("mapping", "must be curated or suggested")
    description = " ".join(_one(raw.get("description")).split())
    if not description:
        inferred["description"] = "not stated by the source"
    provider = " ".join(_one(raw.get("provider")).split())
    if not provider:
        provider = host(url)
        inferred["provider"] = "not stated by the source; the URL's host"
    topics = _string_list(raw.get("topics") or [], "topics", hold)
    if not topics:
        inferred["topics"] = "not stated by the source"
    return Resource(
        id=rid, title=title[:400], url=url, provider=provider[:200], licence=licence,
        access=access, description=description, format=fmt or "article",
        level=level or PLACEHOLDER_LEVEL,
        archetypes=tuple(archetypes),  # S, D, C, E, U
        capabilities=tuple(sorted(capabilities, key=_statement_order)),
        duration_minutes=duration, mapping=mapping,
        topics=tuple(topics),
        language=(_one(raw.get("language")).strip() or "en")[:10],
        inferred=tuple(sorted(inferred.items())),
    )


def _identifier(value: object, url: str) -> str | None:
    """The record's id when it is one of ours, else a slug of it, else one of its URL."""
    if _missing(value):
        return slug(url)
    text = _one(value).strip()
    return text if SLUG.match(text) else slug(text)


def _licence_and_access(raw: dict, allowed: frozenset[str], free_access: bool,
                        inferred: dict[str, str], hold) -> tuple[str, str]:
    """The licence id and access of a record, or Held with the reason it cannot enter."""
    declared_free = free_access or raw.get("free_access") is True
    access = _one(raw.get("access")).strip()
    if not access:
        access = "open"
        inferred["access"] = "not stated by the source"
    terms = _licence_terms(raw.get("licence"))
    if not terms:
        if not declared_free:
            raise hold("licence", "licence not stated by the source, and it does not declare "
                       "the resource free to access")
        licence = FREE_ACCESS
        inferred["licence"] = NOT_STATED_FREE
    else:
        names, problems = [], []
        for term in terms:
            try:
                names.append(normalise_licence(term))
            except LicenceError as exc:
                problems.append(str(exc))
        if not names:
            raise hold("licence", problems[0])
        # a record offered under several licences is admitted under the first one we allow
        licence = next((n for n in names if n in allowed), names[0])
    try:
        check_admission(licence, access, allowed)
    except LicenceError as exc:
        raise hold("licence" if "licence" in str(exc) else "access", str(exc)) from exc
    return licence, access


def _licence_terms(value: object) -> list[str]:
    """Licence strings of a value: a string, a list, or a list written as a string
    ("['CC-BY-4.0']")."""
    if _missing(value):
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out = []
    for item in items:
        text = str(item.get("@id") or item.get("url") or item.get("name") or "") \
            if isinstance(item, dict) else str(item)
        text = text.strip()
        if text.startswith("[") and text.endswith("]"):
            out += [t.strip(" '\"") for t in text[1:-1].split(",") if t.strip(" '\"")]
        elif text:
            out.append(text)
    return out


def _label(raw: dict, name: str, mapper, inferred: dict[str, str]) -> str | None:
    """A format or level: our value for the source's words, or None with the reason noted."""
    value = raw.get(name)
    if _missing(value):
        inferred[name] = "not stated by the source"
        return None
    terms = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    found = mapper(terms)
    if found is None:
        inferred[name] = f"the source's {', '.join(repr(t) for t in terms[:3])} is not a " \
            f"{name} we know"
    return found


def _one(value: object) -> str:
    """A text value: strings as they are, the first item of a list, empty for nothing."""
    if isinstance(value, list | tuple):
        value = next((v for v in value if not _missing(v)), None)
    if _missing(value) or isinstance(value, dict | bool):
        return ""
    return str(value)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] \
        or value == ()


def _statement_order(code: str) -> list[int]:
    """Canonical order of statement ids (6.2 before 6.10), so mappings compare equal."""
    return [int(p) if p.isdigit() else 0 for p in code.split(".")]


def _string_list(value: object, name: str, fail) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[;,|]", value)]
    if not isinstance(value, list | tuple):
        raise fail(name, "must be a list")
    # a repeated item says nothing more: kept once
    return list(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
