"""Hypothesis strategies for the property tests: URLs, valid resources, and raw records."""

from __future__ import annotations

import dataclasses
import string

from hypothesis import strategies as st

from catalogue.framework import ARCHETYPE_BADGES, load_framework
from catalogue.licences import ACCESS, LICENCES
from catalogue.resources import FORMATS, LEVELS, Resource

FRAMEWORK = load_framework()
STATEMENT_IDS = sorted(FRAMEWORK.ids())
LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
# printable words without the separators our list columns use (; , |) or quotes
WORD = st.text(string.ascii_letters + string.digits + "éüß-'&<>/()", min_size=1, max_size=12)
TRACKING = st.sampled_from(["utm_source", "utm_medium", "UTM_Campaign", "fbclid", "gclid"])


@st.composite
def http_urls(draw, *, tracking: bool = True) -> str:
    """Absolute http(s) URLs in the spellings real catalogues use: scheme case, www., default
    and other ports, paths with or without a trailing slash, query parameters (some of them
    tracking ones), fragments."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = ".".join(draw(st.lists(LABEL, min_size=1, max_size=3))) + "." + draw(
        st.sampled_from(["uk", "org", "com", "nhs.uk"]))
    if draw(st.booleans()):
        host = "www." + host
    if draw(st.booleans()):
        host = host.upper()
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", f":{draw(st.integers(1, 65535))}"]))
    path = "".join("/" + segment for segment in draw(st.lists(LABEL, max_size=3)))
    if draw(st.booleans()):
        path += "/"
    names = LABEL | TRACKING if tracking else LABEL
    params = draw(st.lists(st.tuples(names, LABEL), max_size=4))
    query = "?" + "&".join(f"{k}={v}" for k, v in params) if params else ""
    fragment = "#" + draw(LABEL) if draw(st.booleans()) else ""
    return f"{scheme}://{host}{port}{path}{query}{fragment}"


def words(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(WORD, min_size=min_size, max_size=max_size).map(" ".join)


@st.composite
def resources(draw) -> Resource:
    """Valid resources (as parse_resource returns them) with open licences."""
    open_licences = sorted(k for k, is_open in LICENCES.items() if is_open)
    archetypes = draw(st.sets(st.sampled_from(list(ARCHETYPE_BADGES)), min_size=1))
    resource = Resource(
        id=draw(st.from_regex(r"[a-z0-9][a-z0-9-]{1,30}", fullmatch=True)),
        title=draw(words(1, 8)),
        url=draw(http_urls(tracking=False)).split("#")[0].replace("HTTP", "http")
        .replace("Https", "https"),
        provider=draw(words(1, 4)),
        licence=draw(st.sampled_from(open_licences)),
        access=draw(st.sampled_from(ACCESS)),
        description=draw(words(8, 30).filter(lambda text: len(text) >= 40)),
        format=draw(st.sampled_from(FORMATS)),
        level=draw(st.sampled_from(LEVELS)),
        archetypes=tuple(a for a in ARCHETYPE_BADGES if a in archetypes),
        capabilities=tuple(sorted(draw(st.sets(st.sampled_from(STATEMENT_IDS), max_size=4)),
                                  key=lambda c: [int(p) for p in c.split(".")])),
        duration_minutes=draw(st.none() | st.integers(1, 10_000)),
        topics=tuple(dict.fromkeys(draw(st.lists(words(1, 3), max_size=4)))),
        language=draw(st.sampled_from(["en", "cy", "fr"])),
    )
    # the optional fields it leaves empty are "not stated", as parse_resource marks them
    unstated = [name for name in ("capabilities", "duration_minutes", "topics")
                if getattr(resource, name) in ((), None)]
    return dataclasses.replace(resource, inferred=tuple(
        (name, "not stated by the source") for name in unstated))


def unique_resources(max_size: int = 5) -> st.SearchStrategy[list[Resource]]:
    """Resources with distinct ids and distinct canonical URLs, as an import accepts them."""
    from catalogue.urls import canonical_url

    return st.lists(resources(), min_size=1, max_size=max_size, unique_by=(
        lambda r: r.id, lambda r: canonical_url(r.url)))


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | \
    st.text(max_size=30)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda children: st.lists(children, max_size=4) |
                           st.dictionaries(st.text(max_size=10), children, max_size=4),
                           max_leaves=12)
FIELDS = ["id", "title", "url", "provider", "licence", "access", "description", "format",
          "level", "archetypes", "capabilities", "duration_minutes", "mapping", "topics",
          "language"]


@st.composite
def raw_records(draw) -> dict:
    """Records in our field names with values of any JSON type, mixed with valid values, as a
    careless exporter might send them."""
    base = {k: (list(v) if isinstance(v, tuple) else v)
            for k, v in vars(draw(resources())).items()}
    for name in draw(st.sets(st.sampled_from(FIELDS))):
        base[name] = draw(JSON_VALUES)
    return base
