"""schema.org LearningResource / LRMI JSON-LD: a single object, an array, or an ``@graph``.

Each node is converted to our field names (docs/catalogue-formats.md); records are 1-based
positions in the array or graph. Values are passed through raw where parse_resource normalises
or names them (licence strings, unknown formats and levels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from catalogue.errors import DataError
from catalogue.urls import SLUG, slug
from catalogue.vocabulary import iso_minutes, map_format
from catalogue.vocabulary import key as _key

ALWAYS_ACCEPTED = {"learningresource", "course"}
# accepted when they carry learningResourceType
CREATIVE_WORKS = {
    "creativework", "article", "scholarlyarticle", "blogposting", "book", "chapter", "report",
    "videoobject", "audioobject", "mediaobject", "podcastepisode", "podcastseries", "webpage",
    "website", "webcontent", "digitaldocument", "textdigitaldocument", "guide", "howto", "quiz",
    "syllabus", "dataset", "presentationdigitaldocument", "educationaloccupationalprogram",
}
LANGUAGE_CODES = {"eng": "en", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "spa": "es",
                  "wel": "cy", "cym": "cy", "dut": "nl", "nld": "nl", "ita": "it"}
_STATEMENT = re.compile(r"(\d+(?:\.\d+)+)\.?(?=$|[\s:;,)\]-])")


def read(location: str, fetch: Callable[[str], str]) -> Iterator[tuple[int, object]]:
    try:
        data = json.loads(fetch(location))
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                        source=location) from exc
    nodes = data.get("@graph", data) if isinstance(data, dict) else data
    nodes = [nodes] if isinstance(nodes, dict) else nodes
    if not isinstance(nodes, list):
        raise DataError("expected a JSON-LD object, an array of objects or an object with "
                        "'@graph'", source=location)
    for number, node in enumerate(nodes, start=1):
        try:
            yield number, convert(node)
        except DataError as exc:
            yield number, DataError(exc.reason, field=exc.field, record=number, source=location)


def convert(node: object) -> dict:
    """One JSON-LD node -> a mapping in our field names; DataError names the source field."""
    if not isinstance(node, dict):
        raise DataError("a record must be a JSON object")
    types = [_key(t) for t in _texts(node.get("@type"))]
    has_type = node.get("learningResourceType") not in (None, "", [])
    if not (ALWAYS_ACCEPTED & set(types) or (has_type and CREATIVE_WORKS & set(types))):
        shown = ", ".join(_texts(node.get("@type"))) or "none"
        raise DataError(f"type {shown} is not a learning resource (LearningResource, Course, or "
                        "a CreativeWork with learningResourceType)", field="@type")
    url = _text(node.get("url"))
    if not url and str(node.get("@id", "")).startswith(("http://", "https://")):
        url = node["@id"]
    capabilities, unnamed = _capabilities(node)
    topics = _texts(node.get("keywords"), split=",") + _texts(node.get("about")) + unnamed
    out = {
        "id": _id(node, url), "title": _text(node.get("name")), "url": url,
        "provider": _text(node.get("provider")) or _text(node.get("publisher")),
        "licence": _texts(node.get("license")), "access": _access(node),
        "free_access": _key(str(node.get("isAccessibleForFree"))) in ("true", "yes", "1"),
        "description": _text(node.get("description")),
        "format": map_format(_texts(node.get("learningResourceType"))) or map_format(types)
        or _text(node.get("learningResourceType")),
        "level": _texts(node.get("educationalLevel"),
                        keys=("termCode", "name", "@value", "@id"), every_key=True),
        "archetypes": _texts(node.get("audience"), keys=("audienceType", "educationalRole",
                                                         "name"), every_key=True)
        + _texts(node.get("educationalRole")),
        "capabilities": capabilities,
        "topics": _unique(topics),
        "language": language_code(_text(node.get("inLanguage"), keys=("alternateName",
                                                                       "@value", "name"))),
    }
    if node.get("timeRequired") not in (None, ""):
        out["duration_minutes"] = _text(node["timeRequired"])  # parse_resource reads it
    if capabilities:
        out["mapping"] = "curated"
    return out


def duration_minutes(text: str) -> int:
    """An ISO 8601 duration (PT45M, PT1H30M, P1D, P2W, P1DT2H) in whole minutes."""
    try:
        return iso_minutes(text)
    except ValueError as exc:
        raise DataError(str(exc), field="timeRequired") from exc


def language_code(value: str | None) -> str | None:
    """'en-GB' -> 'en'; 'eng' -> 'en'."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return LANGUAGE_CODES.get(code, code)


def _id(node: dict, url: str | None) -> str | None:
    identifier = _text(node.get("identifier"), keys=("value", "@value", "@id"))
    if identifier and SLUG.match(identifier.strip()):  # already one of ours: keep it as it is
        return identifier.strip()
    return (identifier and slug(identifier)) or (url and slug(url)) or identifier


def _access(node: dict) -> str:
    """isAccessibleForFree false -> 'paid' (held by parse_resource); otherwise the
    conditionsOfAccess text decides between application, free registration and open; None
    when the node says nothing of access."""
    if _key(str(node.get("isAccessibleForFree"))) in ("false", "no", "0"):
        return "paid"
    conditions = " ".join(_texts(node.get("conditionsOfAccess"))).lower()
    if not conditions:
        return "open" if _key(str(node.get("isAccessibleForFree"))) in ("true", "yes", "1") \
            else None
    if re.search(r"\bappl(?:y|ication)|selection|nominat", conditions):
        return "application"
    if re.search(r"regist|account|sign[ -]?(?:up|in)|log[ -]?in|athens", conditions):
        return "free-registration"
    return "open"


def _capabilities(node: dict) -> tuple[list[str], list[str]]:
    """Statement ids from teaches and educationalAlignment, and names that carry no id."""
    ids: list[str] = []
    unnamed: list[str] = []
    items = [("teaches", item) for item in _list(node.get("teaches"))] + [
        ("alignment", item) for item in _list(node.get("educationalAlignment"))]
    for kind, item in items:
        if kind == "alignment" and isinstance(item, dict) and str(
                item.get("alignmentType", "teaches")).lower() not in ("teaches", "assesses"):
            continue  # educationalLevel, requires (a prerequisite), educationalSubject ...
        keys = ("termCode", "identifier", "targetName", "@id", "targetUrl", "url", "name")
        candidates = _texts(item, keys=keys, every_key=True)
        found = next((c for c in map(_statement_id, candidates) if c), None)
        if found and found not in ids:
            ids.append(found)
        elif not found and candidates:
            unnamed.append(_text(item, keys=("name", "targetName", "@value")) or candidates[0])
    return ids, unnamed


def _statement_id(text: str) -> str | None:
    text = text.strip()
    if text.startswith(("http://", "https://")):  # .../statements/6.3.2 or ...#6.3.2
        match = re.search(r"[/#=:](\d+(?:\.\d+)+)/?$", text)
    else:
        match = _STATEMENT.match(text)
    return match.group(1) if match else None


def _unique(items: list[str]) -> list[str]:
    """Drop repeats, ignoring case; keep the first spelling and the order."""
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return list(seen.values())


def _list(value: object) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: object, keys: tuple[str, ...] = ("@value", "name", "@id", "url")) -> str | None:
    """The first text in a string, a list, or an object (by ``keys``, in order)."""
    found = _texts(value, keys=keys)
    return found[0] if found else None


def _texts(value: object, keys: tuple[str, ...] = ("@value", "name", "@id", "url"), *,
           split: str | None = None, every_key: bool = False) -> list[str]:
    """Every text in a value: strings as they are (or split), objects by ``keys`` (the first
    present one, or all of them with ``every_key``)."""
    out: list[str] = []
    for item in _list(value):
        if isinstance(item, dict):
            for key in keys:
                if item.get(key) not in (None, ""):
                    out += _texts(item[key], keys, split=split)
                    if not every_key:
                        break
        elif item is not None and not isinstance(item, bool):
            parts = str(item).split(split) if split else [str(item)]
            out += [p.strip() for p in parts if p.strip()]
    return out
