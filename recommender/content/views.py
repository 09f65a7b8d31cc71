"""How a stored resource is shown: API JSON, and back to a catalogue record for export."""

from __future__ import annotations

from catalogue.licences import is_open
from catalogue.resources import Resource as ResourceRecord
from recommender.storage.models import Resource

# the columns public_fields reads: a query of just these is enough to show a resource
PUBLIC_COLUMNS = (Resource.id, Resource.slug, Resource.title, Resource.url, Resource.provider,
                  Resource.description, Resource.format, Resource.duration_minutes,
                  Resource.level, Resource.archetypes, Resource.licence, Resource.access,
                  Resource.language, Resource.labels)
# inferred labels a learner or a platform is told about (capability mappings have their own
# source and confidence)
SHOWN_INFERENCES = ("provider", "licence", "access", "format", "level", "archetypes",
                    "duration_minutes")


def public_fields(row: Resource) -> dict:
    """The fields every API answer shows for a resource (a Resource, or a row of
    ``PUBLIC_COLUMNS``)."""
    return {
        "id": row.slug,
        "title": row.title,
        "url": row.url,
        "provider": row.provider,
        "description": row.description,
        "format": row.format,
        "duration_minutes": row.duration_minutes,
        "level": row.level,
        "archetypes": row.archetypes,
        "licence": row.licence,
        "openly_licensed": is_open(row.licence),
        "access": row.access,
        "language": row.language,
        "inferred": inferences(row.labels),
    }


def inferences(labels: dict | None) -> dict:
    """The labels the source did not state, each with the note saying why and, once the
    indexer has read the text, its confidence (per archetype for archetypes)."""
    return {name: {key: label[key] for key in ("note", "reason", "confidence", "scores")
                   if key in label}
            for name, label in sorted((labels or {}).items())
            if name in SHOWN_INFERENCES and label.get("source") == "suggested"}


def detail(row: Resource) -> dict:
    """A resource with its mappings and version, for the catalogue API."""
    return {
        **public_fields(row),
        "topics": row.topics,
        "version": row.version,
        "curated_fields": sorted(name for name, label in (row.labels or {}).items()
                                 if label.get("source") == "curated"),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        "capabilities": [{"id": m.capability_code, "source": m.source,
                          "confidence": m.confidence}
                         for m in sorted(row.mappings, key=lambda m: (-m.confidence,
                                                                      m.capability_code))],
        **({"frameworks": others} if (others := other_mappings(row)) else {}),
    }


def other_mappings(row: Resource) -> dict[str, list[dict]]:
    """The resource's mappings to frameworks other than the default, by framework."""
    out: dict[str, list[dict]] = {}
    for m in row.other_mappings:
        out.setdefault(m.framework, []).append(
            {"id": m.capability_code, "source": m.source, "confidence": m.confidence})
    return out


def to_record(row: Resource) -> ResourceRecord:
    """The catalogue record of a stored resource (curated mappings only) for export."""
    curated = [m for m in row.mappings if m.source == "curated"]
    return ResourceRecord(
        id=row.slug, title=row.title, url=row.url, provider=row.provider, licence=row.licence,
        access=row.access, description=row.description, format=row.format, level=row.level,
        archetypes=tuple(row.archetypes), capabilities=tuple(m.capability_code for m in curated),
        duration_minutes=row.duration_minutes, mapping="curated", topics=tuple(row.topics),
        language=row.language, inferred=inferred(row))


def inferred(row: Resource) -> tuple[tuple[str, str], ...]:
    """The labels of a stored resource that were inferred, with their notes, in field order."""
    return tuple(sorted((name, label.get("note", "")) for name, label in (row.labels or {}).items()
                        if label.get("source") == "suggested"))
