"""OAI-PMH ``ListRecords`` responses with ``oai_dc`` metadata, from a file or a repository.

A repository URL is harvested page by page, following resumption tokens; a file is one page.
XML is parsed with defusedxml and any DTD is refused, so entity expansion ("billion laughs")
and external entities (XXE) never run. Records are numbered across pages, deleted ones
included (they are skipped, not yielded). oai_dc has no level, audience or framework mapping,
so those are inferred: access and format from what the record says, level, archetypes and
capabilities by the indexer from the text (docs/catalogue-formats.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, quote
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from catalogue.errors import DataError
from catalogue.importers.fetch import is_url
from catalogue.importers.jsonld import language_code
from catalogue.licences import LicenceError, normalise_licence
from catalogue.urls import slug
from catalogue.vocabulary import map_format

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
MAX_PAGES = 1000


def read(location: str, fetch: Callable[[str], str]) -> Iterator[tuple[int, object]]:
    if is_url(location):
        yield from _harvest(location, fetch)
        return
    records, token = _page(fetch(location), location)
    for number, record in enumerate(records, start=1):
        if record is not None:
            yield number, _convert(record, number, location)
    if token:
        yield len(records) + 1, DataError(
            f"this file is one page of a partial harvest (it ends with resumption token "
            f"{token!r}); run the import against the repository's OAI-PMH URL to get every "
            "page", field="resumptionToken", source=location)


def _harvest(location: str, fetch: Callable[[str], str]) -> Iterator[tuple[int, object]]:
    base, _, query = location.partition("?")
    verb = parse_qs(query).get("verb", [None])[0]
    if verb is None:
        url = f"{base}?verb=ListRecords&metadataPrefix=oai_dc"
    elif verb == "ListRecords":
        url = location
    else:
        raise DataError(f"verb={verb} is not a harvest; give the repository's base URL or a "
                        "ListRecords request", source=location)
    number = 0
    seen: set[str] = set()
    for page in range(1, MAX_PAGES + 1):
        records, token = _page(fetch(url), url)
        for record in records:
            number += 1
            if record is not None:
                yield number, _convert(record, number, location)
        if not token:
            return
        if token in seen:
            raise DataError(f"the repository sent resumption token {token!r} twice (page "
                            f"{page}); stopped to avoid looping forever", source=location)
        seen.add(token)
        url = f"{base}?verb=ListRecords&resumptionToken={quote(token, safe='')}"
    raise DataError(f"stopped after {MAX_PAGES} pages and the repository still sent a "
                    "resumption token", source=location)


def _page(text: str, location: str) -> tuple[list[Element | None], str | None]:
    """The records of one response (None for a deleted one) and its resumption token."""
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise DataError(f"refused unsafe XML ({type(exc).__name__}): a DTD or entity "
                        "declaration could expand entities or read local files, and OAI-PMH "
                        "responses never need one", source=location) from exc
    except ParseError as exc:
        raise DataError(f"malformed XML: {exc}", source=location) from exc
    if root.tag != f"{OAI}OAI-PMH":
        raise DataError(f"not an OAI-PMH response (root element is {root.tag!r})",
                        source=location)
    errors = [(e.get("code", "?"), " ".join((e.text or "").split()))
              for e in root.findall(f"{OAI}error")]
    if errors and all(code == "noRecordsMatch" for code, _ in errors):
        return [], None
    if errors:
        raise DataError("the repository answered with OAI-PMH error " + "; ".join(
            f"{code}: {message}" if message else code for code, message in errors),
            source=location)
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise DataError("not a ListRecords response (no ListRecords element)", source=location)
    records = [None if r.find(f"{OAI}header[@status='deleted']") is not None else r
               for r in listing.findall(f"{OAI}record")]
    token = listing.find(f"{OAI}resumptionToken")
    return records, (token.text or "").strip() if token is not None else None


def _convert(record: Element, number: int, location: str) -> dict | DataError:
    dc = record.find(f"{OAI}metadata/{OAI_DC}dc")
    if dc is None:
        return DataError("has no oai_dc metadata (harvest with metadataPrefix=oai_dc)",
                         field="metadata", record=number, source=location)

    def values(name: str) -> list[str]:
        found = [" ".join((e.text or "").split()) for e in dc.findall(f"{DC}{name}")]
        return [v for v in found if v]

    urls = [v for v in values("identifier") if is_url(v)]
    header_id = (record.findtext(f"{OAI}header/{OAI}identifier") or "").strip()
    providers = values("publisher") or values("creator")
    types = values("type")
    return {
        "id": slug(header_id.removeprefix("oai:")) or (urls and slug(urls[0])) or header_id,
        "title": next(iter(values("title")), None),
        "url": next(iter(urls), None),
        "provider": providers[0] if providers else None,
        "licence": _licence(values("rights")),
        "description": " ".join(values("description")) or None,
        "format": map_format(types) or next(iter(types), None),
        "topics": list(dict.fromkeys(values("subject"))),
        "language": language_code(next(iter(values("language")), None)),
    }


def _licence(rights: list[str]) -> str | None:
    """The first dc:rights value that names a licence we know, else the first one (so that
    validation names it), else None ("is required")."""
    for value in rights:
        try:
            normalise_licence(value)
        except LicenceError:
            continue
        return value
    return rights[0] if rights else None
