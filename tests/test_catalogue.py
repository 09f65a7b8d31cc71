"""The shipped catalogue, the resource schema, licences and the file importers."""

import json
from collections import defaultdict

import pytest

from catalogue.errors import DataError
from catalogue.importers import read_resources
from catalogue.licences import LicenceError, is_open, normalise_licence, parse_allowlist
from catalogue.resources import parse_resource
from catalogue.urls import canonical_url

GOOD = {
    "id": "example-open-course", "title": "An example open course",
    "url": "https://example.org/course", "provider": "Example University",
    "licence": "CC BY 4.0", "access": "open",
    "description": "A short course written for this test, long enough to pass validation.",
    "format": "course", "duration_minutes": 90, "level": "baseline",
    "archetypes": ["user"], "capabilities": ["6.1.1"], "topics": ["ai"],
}


def test_shipped_catalogue_covers_every_domain_at_both_levels(shipped_resources, framework):
    assert len(shipped_resources) >= 60
    cells = defaultdict(int)
    for resource in shipped_resources:
        for code in resource.capabilities:
            cells[(framework.capability(code).domain_id, resource.level)] += 1
    for domain in "123456":
        assert cells[(domain, "baseline")] > 0, f"domain {domain} has no baseline resource"
        assert cells[(domain, "specialist")] > 0, f"domain {domain} has no specialist resource"


def test_shipped_catalogue_is_unique_and_licensed(shipped_resources):
    assert len({r.id for r in shipped_resources}) == len(shipped_resources)
    assert len({canonical_url(r.url) for r in shipped_resources}) == len(shipped_resources)
    for resource in shipped_resources:
        assert resource.url.startswith(("https://", "http://")), resource.id
        assert resource.licence == normalise_licence(resource.licence)
        sentences = [s for s in resource.description.split(". ") if s]
        assert 2 <= len(sentences) <= 6, resource.id
    assert any(is_open(r.licence) for r in shipped_resources)


@pytest.mark.parametrize("raw, expected", [
    ("CC BY 4.0", "CC-BY-4.0"),
    ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
    ("https://creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0"),
    ("Open Government Licence v3.0", "OGL-UK-3.0"),
    ("ALL RIGHTS RESERVED", "LicenseRef-Proprietary-Free"),
])
def test_licence_strings_are_normalised(raw, expected):
    assert normalise_licence(raw) == expected


@pytest.mark.parametrize("raw", ["UNKNOWN", "", "Some custom licence"])
def test_unknown_licences_are_refused(raw):
    with pytest.raises(LicenceError):
        normalise_licence(raw)


@pytest.mark.parametrize("change, field", [
    ({"licence": "UNKNOWN"}, "licence"),
    ({"access": "paid"}, "access"),
    ({"url": "ftp://example.org"}, "url"),
    ({"level": "advanced"}, "level"),
    ({"archetypes": ["manager"]}, "archetypes"),
    ({"capabilities": ["9.9.9"]}, "capabilities"),
    ({"duration_minutes": -5}, "duration_minutes"),
    ({"title": ""}, "title"),
    ({"id": "Not A Slug"}, "id"),
])
def test_invalid_fields_are_named(framework, change, field):
    with pytest.raises(DataError) as caught:
        parse_resource({**GOOD, **change}, framework, record=7)
    assert caught.value.field == field
    assert caught.value.record == 7


def test_canonical_url_ignores_spelling_differences():
    assert canonical_url("HTTP://www.Example.org/a/?utm_source=x&b=2#top") == \
        canonical_url("https://example.org/a?b=2")


def test_jsonl_import_reports_each_bad_line(tmp_path, framework):
    lines = [json.dumps(GOOD), "{not json", json.dumps({**GOOD, "id": "second", "level": "x"}),
             json.dumps({**GOOD, "id": "third"})]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines))
    batch = read_resources(path, framework)
    assert [r.id for r in batch.resources] == ["example-open-course"]
    assert [(e.record, e.field) for e in batch.errors] == [(2, None), (3, "level"), (4, "url")]
    assert "duplicates record 1" in str(batch.errors[2])


def test_csv_import_splits_lists_and_counts_lines(tmp_path, framework):
    path = tmp_path / "batch.csv"
    header = "id,title,url,provider,licence,access,description,format,duration_minutes,level," \
             "archetypes,capabilities,topics"
    row = ('example-open-course,An example open course,https://example.org/c,Example,'
           'CC-BY-4.0,open,"A short course written for this test, long enough to pass.",'
           'course,60,baseline,user;embedder,6.1.1;6.1.2,ai')
    path.write_text(f"{header}\n{row}\n{row.replace('example-open-course', 'x-2')}\n")
    batch = read_resources(path, framework)
    assert batch.resources[0].archetypes == ("embedder", "user")  # canonical S, D, C, E, U
    assert batch.resources[0].capabilities == ("6.1.1", "6.1.2")
    assert [(e.record, e.field) for e in batch.errors] == [(3, "url")]


@pytest.mark.parametrize("name, content, message", [
    ("bad.csv", b"title,foo\nx,y\n", "missing columns: id, url"),
    ("bad.yaml", b"resources: [unclosed", "malformed YAML"),
    ("bad.jsonl", b"\xff\xfe\x00garbage", "not UTF-8"),
    ("bad.txt", b"hello", "cannot tell the format"),
])
def test_malformed_files_raise_a_clear_error(tmp_path, framework, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_resources(path, framework)


def test_licence_allow_list_is_configurable(framework):
    strict = parse_allowlist("CC0-1.0, CC BY 4.0, OGL-UK-3.0")
    assert strict == {"CC0-1.0", "CC-BY-4.0", "OGL-UK-3.0"}
    assert parse_resource(GOOD, framework, licences=strict).licence == "CC-BY-4.0"
    with pytest.raises(DataError, match="not on the allow-list") as caught:
        parse_resource({**GOOD, "licence": "CC-BY-NC-4.0"}, framework, licences=strict)
    assert caught.value.field == "licence"
    with pytest.raises(DataError, match="free-to-access resources without an open licence"):
        parse_resource({**GOOD, "licence": "free-access"}, framework, licences=strict)
    assert parse_resource({**GOOD, "licence": "free-access"}, framework).licence == \
        "LicenseRef-Proprietary-Free"
    assert parse_allowlist("") == parse_allowlist(None) and "MIT" in parse_allowlist(None)
    with pytest.raises(LicenceError):
        parse_allowlist("CC-BY-4.0, no such licence")
