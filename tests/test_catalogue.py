"""The shipped catalogue, the resource schema, licences and the file importers."""

import json
from collections import defaultdict

import pytest

from catalogue.errors import DataError
from catalogue.importers import read_resources
from catalogue.licences import (
    DEFAULT_ALLOWED,
    LicenceError,
    is_open,
    normalise_licence,
    parse_allowlist,
)
from catalogue.resources import Held, parse_resource
from catalogue.urls import canonical_url
from tests.factories import GOOD


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
    # spellings found in the NFDI4BIOIMAGE and DALIA catalogues (tests/data/external)
    ("http://spdx.org/licenses/CC-BY-4.0.html", "CC-BY-4.0"),
    ("https://creativecommons.org/licenses/by-nc-sa/4.0/", "CC-BY-NC-SA-4.0"),
    ("Creative Commons Attribution 4.0 International", "CC-BY-4.0"),
    ("CC-BY-4.0 International", "CC-BY-4.0"),
    ("CC BY-NC-ND 3.0 DEED", "CC-BY-NC-ND-3.0"),
    ("CC0 1.0 UNIVERSAL", "CC0-1.0"),
    ("cc-zero", "CC0-1.0"),
    ("BSD 3-Clause \"New\" or \"Revised\" License", "BSD-3-Clause"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("mit-license", "MIT"),
    ("GPL-3.0", "GPL-3.0-only"),  # a deprecated SPDX id: its current form
    ("AGPL-3.0", "AGPL-3.0-only"),
    ("GNU General Public License v3.0", "GPL-3.0-only"),  # GitHub's name for it
    ("Mozilla Public License 2.0", "MPL-2.0"),
    ("https://opensource.org/licenses/MIT", "MIT"),
    ("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
     "OGL-UK-3.0"),
    ("Open Parliament Licence", "LicenseRef-OPL-UK-3.0"),
    ("US Government Works", "LicenseRef-US-Government-Works"),
])
def test_licence_strings_are_normalised(raw, expected):
    assert normalise_licence(raw) == expected
    assert expected in DEFAULT_ALLOWED


@pytest.mark.parametrize("raw", [
    "CC-BY--4.0", "CC-BY-ND-SA-4.0", "http://spdx.org/licenses/CC-BY-ND-SA--4.0.html",
    "CC-BY-NC-SA", "UNLICENSED", "OTHER-OPEN", "Custom license", "YOUTUBE STANDARD LICENSE",
])
def test_malformed_or_unknown_licences_are_not_guessed(raw):
    with pytest.raises(LicenceError, match="unknown licence"):
        normalise_licence(raw)


def test_open_means_a_content_or_osi_or_fsf_licence():
    assert all(is_open(x) for x in ("CC-BY-NC-ND-4.0", "CC0-1.0", "OGL-UK-3.0", "ODbL-1.0",
                                    "GPL-3.0-only", "MIT", "LicenseRef-US-Government-Works"))
    assert not is_open("LicenseRef-Proprietary-Free") and not is_open("CC-PDM-1.0-no-such")


@pytest.mark.parametrize("raw", ["UNKNOWN", "", "Some custom licence"])
def test_unknown_licences_are_refused(raw):
    with pytest.raises(LicenceError):
        normalise_licence(raw)


@pytest.mark.parametrize("change, field", [
    ({"url": "ftp://example.org"}, "url"),
    ({"url": None}, "url"),
    ({"url": "https://example.org/" + "a" * 2000}, "url"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
])
def test_a_record_without_a_title_or_an_http_url_is_rejected(framework, change, field):
    with pytest.raises(DataError) as caught:
        parse_resource({**GOOD, **change}, framework, record=7)
    assert not isinstance(caught.value, Held)
    assert (caught.value.field, caught.value.record) == (field, 7)


@pytest.mark.parametrize("change, field, reason", [
    ({"licence": "UNKNOWN"}, "licence", "unknown licence 'UNKNOWN'"),
    ({"licence": None}, "licence", "licence not stated by the source"),
    ({"access": "paid"}, "access", "paid resources are not admitted"),
    ({"capabilities": ["9.9.9"]}, "capabilities", "unknown capability '9.9.9'"),
    ({"duration_minutes": -5}, "duration_minutes", "positive whole number"),
    ({"duration_minutes": "two hours"}, "duration_minutes", "must be whole minutes, an ISO"),
])
def test_a_learning_resource_that_cannot_be_admitted_is_held_naming_the_field(
        framework, change, field, reason):
    with pytest.raises(Held) as caught:
        parse_resource({**GOOD, **change}, framework, record=7)
    assert (caught.value.field, caught.value.record) == (field, 7)
    assert reason in caught.value.reason


def test_only_a_title_and_an_url_are_needed_and_the_rest_is_marked_inferred(framework):
    bare = parse_resource({"title": "  Machine learning\nfor nurses ",
                           "url": "https://www.example.org/ml?x=1"}, framework,
                          free_access=True)
    assert (bare.id, bare.title, bare.provider) == ("example-org-ml-x-1",
                                                    "Machine learning for nurses", "example.org")
    assert bare.licence == "LicenseRef-Proprietary-Free" and bare.access == "open"
    assert set(bare.inferred_fields()) == {"access", "archetypes", "capabilities",
                                           "description", "duration_minutes", "format",
                                           "level", "licence", "provider", "topics"}
    assert "declares the resource free to access" in bare.inferred_fields()["licence"]
    assert bare.archetypes == () and bare.capabilities == ()
    assert parse_resource(GOOD, framework).inferred == ()  # a fully stated record


@pytest.mark.parametrize("change, field, value", [
    ({"level": "advanced"}, "level", "specialist"),
    ({"level": "advanced beginner"}, "level", "baseline"),
    ({"level": ["Proficient", "novice"]}, "level", "baseline"),  # fit for novices: baseline
    ({"level": "Expert"}, "level", "specialist"),
    ({"format": "Webpage"}, "format", "article"),
    ({"format": "YouTube video"}, "format", "video"),
    ({"format": "holographic experience"}, "format", "article"),  # unknown: inferred
    ({"archetypes": ["nurses", "data scientists"]}, "archetypes", ("creator", "user")),
    ({"archetypes": "U;E"}, "archetypes", ("embedder", "user")),
    ({"id": "Not A Slug"}, "id", "not-a-slug"),
    ({"licence": "['CC-BY-4.0']"}, "licence", "CC-BY-4.0"),
    ({"licence": ["UNKNOWN", "https://creativecommons.org/licenses/by-nc-sa/4.0/"]},
     "licence", "CC-BY-NC-SA-4.0"),
])
def test_the_sources_words_map_to_our_labels(framework, change, field, value):
    assert getattr(parse_resource({**GOOD, **change}, framework), field) == value


def test_words_we_do_not_know_are_inferred_with_the_sources_word_kept(framework):
    record = parse_resource({**GOOD, "format": "holographic experience", "level": "level 9",
                             "archetypes": ["manager of things", "patients"]}, framework)
    notes = record.inferred_fields()
    assert "'holographic experience'" in notes["format"] and "'level 9'" in notes["level"]
    assert record.archetypes == ("driver", "user")  # "manager", "patients": audience words
    assert "archetypes" not in notes


def test_canonical_url_ignores_spelling_differences():
    assert canonical_url("HTTP://www.Example.org/a/?utm_source=x&b=2#top") == \
        canonical_url("https://example.org/a?b=2")


def test_jsonl_import_reports_each_bad_line(tmp_path, framework):
    lines = [json.dumps(GOOD), "{not json",
             json.dumps({**GOOD, "id": "second", "url": "https://example.org/2",
                         "licence": "x"}),
             json.dumps({**GOOD, "id": "third"})]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines))
    batch = read_resources(path, framework)
    assert [r.id for r in batch.resources] == ["example-open-course"]
    assert [(e.record, e.field) for e in batch.errors] == [(2, None), (4, "url")]
    assert "duplicates record 1" in str(batch.errors[1])
    assert [(h.error.record, h.error.field, h.data["id"]) for h in batch.held] == [
        (3, "licence", "second")]
    assert batch.counts() == {"read": 4, "admitted": 1, "held": 1, "rejected": 2}


def test_csv_import_splits_lists_and_counts_lines(tmp_path, framework):
    path = tmp_path / "batch.csv"
    header = "id,title,url,provider,licence,access,description,format,duration_minutes,level," \
             "archetypes,capabilities,topics"
    row = ('example-open-course,An example open course,https://example.org/c,Example,'
           'CC-BY-4.0,open,"A short course written for this test, long enough to pass.",'
           'course,60,baseline,user;embedder,6.0.1;6.0.3,ai')
    path.write_text(f"{header}\n{row}\n{row.replace('example-open-course', 'x-2')}\n")
    batch = read_resources(path, framework)
    assert batch.resources[0].archetypes == ("embedder", "user")  # canonical S, D, C, E, U
    assert batch.resources[0].capabilities == ("6.0.1", "6.0.3")
    assert [(e.record, e.field) for e in batch.errors] == [(3, "url")]


@pytest.mark.parametrize("name, content, message", [
    ("bad.csv", b"title,foo\nx,y\n", "missing columns: url"),
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
    with pytest.raises(Held, match="not on the allow-list") as caught:
        parse_resource({**GOOD, "licence": "CC-BY-NC-4.0"}, framework, licences=strict)
    assert caught.value.field == "licence"
    with pytest.raises(DataError, match="free-to-access resources without an open licence"):
        parse_resource({**GOOD, "licence": "free-access"}, framework, licences=strict)
    assert parse_resource({**GOOD, "licence": "free-access"}, framework).licence == \
        "LicenseRef-Proprietary-Free"
    assert parse_allowlist("") == parse_allowlist(None) and "MIT" in parse_allowlist(None)
    with pytest.raises(LicenceError):
        parse_allowlist("CC-BY-4.0, no such licence")
