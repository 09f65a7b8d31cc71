"""Test data shared by several test modules (tests never import each other's modules)."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

# one valid catalogue record, as the API and importers take it
GOOD = {
    "id": "example-open-course", "title": "An example open course",
    "url": "https://example.org/course", "provider": "Example University",
    "licence": "CC BY 4.0", "access": "open",
    "description": "A short course written for this test, long enough to pass validation.",
    "format": "course", "duration_minutes": 90, "level": "baseline",
    "archetypes": ["user"], "capabilities": ["6.0.1"], "topics": ["ai"],
}


def oai_page(resources, deleted: int) -> str:
    """An OAI-PMH ListRecords page with one oai_dc record per resource, plus deleted ones."""
    records = []
    for r in resources:
        subjects = "".join(f"<dc:subject>{escape(t)}</dc:subject>" for t in r.topics)
        records.append(
            f"<record><header><identifier>oai:repo:{r.id}</identifier></header><metadata>"
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>{escape(r.title)}</dc:title>"
            f"<dc:identifier>{escape(r.url)}</dc:identifier>"
            f"<dc:publisher>{escape(r.provider)}</dc:publisher>"
            f"<dc:rights>{escape(r.licence)}</dc:rights>"
            f"<dc:description>{escape(r.description)}</dc:description>"
            f"<dc:type>{escape(r.format)}</dc:type>{subjects}"
            "</oai_dc:dc></metadata></record>")
    records += [f'<record><header status="deleted"><identifier>oai:repo:gone-{i}</identifier>'
                "</header></record>" for i in range(deleted)]
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
            + "".join(records) + "</ListRecords></OAI-PMH>")


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
