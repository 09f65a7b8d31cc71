"""schema.org LearningResource / LRMI JSON-LD: a single object, an array, or an ``@graph``.

Each node is converted to our field names (docs/catalogue-formats.md); records are 1-based
positions in the array or graph. Values are passed through raw where parse_resource normalises
or names them (licence strings, unknown formats and levels).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from catalogue.errors import DataError
from catalogue.framework import ARCHETYPE_BADGES
from catalogue.resources import _SLUG

ALWAYS_ACCEPTED = {"learningresource", "course"}
# accepted when they carry learningResourceType
CREATIVE_WORKS = {
    "creativework", "article", "scholarlyarticle", "blogposting", "book", "chapter", "report",
    "videoobject", "audioobject", "mediaobject", "podcastepisode", "podcastseries", "webpage",
    "website", "webcontent", "digitaldocument", "textdigitaldocument", "guide", "howto", "quiz",
    "syllabus", "dataset", "presentationdigitaldocument", "educationaloccupationalprogram",
}
FORMAT_WORDS = {
    **dict.fromkeys(("course", "courseinstance", "mooc", "shortcourse", "module"), "course"),
    **dict.fromkeys(("elearning", "onlinemodule", "interactiveresource", "interactive",
                     "elearningmodule", "selfpacedcourse"), "e-learning"),
    **dict.fromkeys(("video", "videoobject", "movingimage", "videolecture",
                     "lecturerecording"), "video"),
    **dict.fromkeys(("guidance", "guideline", "guidelines", "guide", "howto", "policy"),
                    "guidance"),
    **dict.fromkeys(("text", "article", "scholarlyarticle", "blogposting", "blogpost", "report",
                     "journalarticle", "paper", "webpage"), "article"),
    **dict.fromkeys(("book", "ebook", "textbook", "chapter", "bookchapter"), "book"),
    **dict.fromkeys(("programme", "program", "fellowship", "educationaloccupationalprogram"),
                    "programme"),
    **dict.fromkeys(("toolkit", "tool", "template", "checklist"), "toolkit"),
    **dict.fromkeys(("podcast", "podcastepisode", "podcastseries", "audio", "audioobject",
                     "sound"), "podcast"),
    **dict.fromkeys(("webinar", "recordedwebinar", "livesession"), "webinar"),
}
SPECIALIST_WORDS = re.compile(r"advanced|expert|specialist|postgraduate|proficient")
BASELINE_WORDS = re.compile(r"beginner|introduct|foundation|baseline|basic|novice|entry|"
                            r"awareness|elementary")
ROLE_WORDS = {  # archetype -> patterns for the audience words that suggest it
    "shaper": r"shapers?|policy ?makers?|policy|regulators?|national leaders?",
    "driver": r"drivers?|commissioners?|managers?|leaders?|cc?n?io|chief \w+ officers?|"
              r"chief \w+ information officers?|executives?|directors?|transformation leads?",
    "creator": r"creators?|developers?|(?:data |clinical )?scientists?|engineers?|researchers?|"
               r"analysts?",
    "embedder": r"embedders?|informatics|informaticians?|clinical (?:safety officers?|"
                r"scientists?)|"
                r"it (?:staff|teams?|professionals?)|digital teams?",
    "user": r"users?|clinicians?|nurses?|doctors?|physicians?|ahps?|allied health[\w ]*|"
            r"practitioners?|midwi(?:fe|ves)|pharmacists?|paramedics?|healthcare workers?",
}
_ROLES = {name: re.compile(rf"\b(?:{words})\b") for name, words in ROLE_WORDS.items()}
LANGUAGE_CODES = {"eng": "en", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "spa": "es",
                  "wel": "cy", "cym": "cy", "dut": "nl", "nld": "nl", "ita": "it"}
_DURATION = re.compile(r"P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
                       r"(?:(\d+(?:\.\d+)?)S)?)?")
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
        "licence": _text(node.get("license")), "access": _access(node),
        "description": _text(node.get("description")),
        "format": map_format(_texts(node.get("learningResourceType"))) or map_format(types)
        or _text(node.get("learningResourceType")),
        "level": _level(node.get("educationalLevel")),
        "archetypes": _archetypes(node.get("audience"), node.get("educationalRole")),
        "capabilities": capabilities,
        "topics": _unique(topics),
        "language": language_code(_text(node.get("inLanguage"), keys=("alternateName",
                                                                       "@value", "name"))),
    }
    if node.get("timeRequired") not in (None, ""):
        out["duration_minutes"] = duration_minutes(_text(node["timeRequired"]) or "")
    if capabilities:
        out["mapping"] = "curated"
    return out


def duration_minutes(text: str) -> int:
    """An ISO 8601 duration (PT45M, PT1H30M, P1D, P2W, P1DT2H) in whole minutes."""
    match = _DURATION.fullmatch(text.strip().upper())
    if not match:
        reason = ("years and months have no fixed length; give weeks, days or hours"
                  if re.fullmatch(r"P[\dYM.]+(T.*)?", text.strip().upper()) else
                  "must be an ISO 8601 duration such as PT45M, PT1H30M or P2D")
        raise DataError(f"{text!r}: {reason}", field="timeRequired")
    weeks, days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    total = ((weeks * 7 + days) * 24 + hours) * 60 + minutes + seconds / 60
    if total <= 0:
        raise DataError(f"{text!r}: must be longer than zero", field="timeRequired")
    return max(1, int(total + 0.5))  # half a minute rounds up


def map_format(terms: list[str]) -> str | None:
    """Our format for the first term that names one (schema.org types, LRMI, DCMI words)."""
    for term in terms:
        if _key(term) in FORMAT_WORDS:
            return FORMAT_WORDS[_key(term)]
    return None


def language_code(value: str | None) -> str | None:
    """'en-GB' -> 'en'; 'eng' -> 'en'."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return LANGUAGE_CODES.get(code, code)


def slug(text: str) -> str | None:
    """A valid resource id from an identifier or a URL (host and path), or None."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").removeprefix("www.")
        except ValueError:  # not a valid URL ("http://[", found by fuzzing): slug the text
            parts = None
        if parts is not None:
            text = host + parts.path + (f"-{parts.query}" if parts.query else "")
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(value) > 80:  # keep long ids distinct: cut, then add a short digest of the whole
        value = value[:71].rstrip("-") + "-" + hashlib.sha1(value.encode()).hexdigest()[:8]
    return value if _SLUG.match(value) else None


def _id(node: dict, url: str | None) -> str | None:
    identifier = _text(node.get("identifier"), keys=("value", "@value", "@id"))
    if identifier and _SLUG.match(identifier.strip()):  # already one of ours: keep it as it is
        return identifier.strip()
    return (identifier and slug(identifier)) or (url and slug(url)) or identifier


def _access(node: dict) -> str:
    """isAccessibleForFree false -> 'paid' (refused by parse_resource); otherwise the
    conditionsOfAccess text decides between application, free registration and open."""
    if _key(str(node.get("isAccessibleForFree"))) in ("false", "no", "0"):
        return "paid"
    conditions = " ".join(_texts(node.get("conditionsOfAccess"))).lower()
    if re.search(r"\bappl(?:y|ication)|selection|nominat", conditions):
        return "application"
    if re.search(r"regist|account|sign[ -]?(?:up|in)|log[ -]?in|athens", conditions):
        return "free-registration"
    return "open"


def _level(value: object) -> str | None:
    terms = _texts(value, keys=("termCode", "name", "@value", "@id"), every_key=True)
    for term in terms:
        text = term.strip().lower()
        number = re.search(r"(?:level|^)\s*([1-4])\b", text)
        if text in ("baseline", "specialist"):
            return text
        if number:
            return "baseline" if number.group(1) in "12" else "specialist"
        if SPECIALIST_WORDS.search(text):
            return "specialist"
        if BASELINE_WORDS.search(text):
            return "baseline"
    return terms[0] if terms else None  # unmapped: parse_resource names it


def _archetypes(audience: object, roles: object) -> list[str]:
    terms = _texts(audience, keys=("audienceType", "educationalRole", "name"), every_key=True)
    found = [name for term in terms + _texts(roles) for name, pattern in _ROLES.items()
             if pattern.search(term.lower()) or (name == "embedder" and re.search(r"\bIT\b", term))]
    return [name for name in ARCHETYPE_BADGES if name in found]


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


def _key(term: str) -> str:
    """'http://schema.org/VideoObject' -> 'videoobject'; 'e-Learning' -> 'elearning'."""
    tail = re.split(r"[/#:]", term.strip().rstrip("/"))[-1]
    return re.sub(r"[^a-z0-9]", "", tail.lower())


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
