"""Write resources as CSV or schema.org/LRMI JSON-LD that our own importers read back.

A label the source did not state (``Resource.inferred``) is left out, so an export never passes
our inference off as a source's statement and a re-import infers it again; licence and access
are always written (a free-to-access resource must say so to be admitted again).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from catalogue.resources import Resource

CSV_COLUMNS = ("id", "title", "url", "provider", "licence", "access", "description", "format",
               "duration_minutes", "level", "archetypes", "capabilities", "mapping", "topics",
               "language")
FRAMEWORK_SET = "https://digital-transformation.hee.nhs.uk/building-a-digital-workforce/" \
    "dart-ed/horizon-scanning/ai-and-digital-healthcare-technologies"


def to_csv(resources: Iterable[Resource]) -> str:
    """CSV with a header row; list columns joined by semicolons (docs/catalogue-formats.md)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in resources:
        writer.writerow([_csv_cell(_value(r, column)) for column in CSV_COLUMNS])
    return out.getvalue()


ALWAYS_WRITTEN = ("licence", "access")


def _stated(resource: Resource, name: str) -> bool:
    return name in ALWAYS_WRITTEN or name not in dict(getattr(resource, "inferred", ()))


def _value(resource: Resource, column: str):
    if not _stated(resource, column):
        return None
    value = getattr(resource, column)
    return ";".join(value) if isinstance(value, tuple) else value


FORMULA_STARTS = ("=", "+", "-", "@")


def _csv_cell(value) -> str:
    """A leading =, +, - or @ would be run as a formula by a spreadsheet: such a cell gets an
    apostrophe in front, and so does one that already starts with an apostrophe before one of
    those (or another apostrophe), so that the importer can take exactly one off again."""
    text = "" if value is None else str(value)
    escape = text[:1] in FORMULA_STARTS or (text[:1] == "'" and
                                            text[1:2] in (*FORMULA_STARTS, "'"))
    return "'" + text if escape else text


# what ``to_jsonld(..., labels=False)`` leaves out: our framework mappings, audiences, levels
OUR_LABELS = ("teaches", "audience", "educationalLevel")


def to_jsonld(resources: Iterable[Resource], *, labels: bool = True) -> str:
    """A JSON-LD document: schema.org LearningResource objects in an @graph. Without
    ``labels`` it reads as a feed nobody labelled in our vocabulary would: no statement
    mappings, audiences or levels (used to measure matching without curation)."""
    graph = [_learning_resource(r) for r in resources]
    if not labels:
        for node in graph:
            for key in OUR_LABELS:
                node.pop(key, None)
    return json.dumps({"@context": "https://schema.org", "@graph": graph}, indent=2,
                      ensure_ascii=False)


def _learning_resource(r: Resource) -> dict:
    item = {
        "@type": "LearningResource",
        "identifier": r.id,
        "name": r.title,
        "description": r.description,
        "url": r.url,
        "license": r.licence,
        "isAccessibleForFree": True,
        "conditionsOfAccess": r.access,
        "educationalLevel": r.level,
        "learningResourceType": r.format,
        "inLanguage": r.language,
        "provider": {"@type": "Organization", "name": r.provider},
        "audience": [{"@type": "EducationalAudience", "educationalRole": a}
                     for a in r.archetypes],
        "teaches": [{"@type": "DefinedTerm", "termCode": code, "inDefinedTermSet": FRAMEWORK_SET}
                    for code in r.capabilities],
        "keywords": list(r.topics),
    }
    if r.duration_minutes:
        item["timeRequired"] = f"PT{r.duration_minutes}M"
    unstated = {"description": "description", "format": "learningResourceType",
                "level": "educationalLevel", "provider": "provider", "archetypes": "audience",
                "topics": "keywords", "duration_minutes": "timeRequired"}
    for name, key in unstated.items():
        if not _stated(r, name):
            item.pop(key, None)
    return item
