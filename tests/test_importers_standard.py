"""The standards-based importers: schema.org / LRMI JSON-LD and OAI-PMH oai_dc harvesting.

Real files, real parsing, and a real local HTTP server for the harvest across pages.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from catalogue.errors import DataError
from catalogue.importers import detect_format, jsonld, oaipmh, read_resources
from catalogue.importers.fetch import fetch_text
from catalogue.resources import parse_resource

DATA = Path(__file__).parent / "data"
LRMI = DATA / "lrmi_sample.jsonld"
TOKEN = "3|digital&ai/2026-01-15"


def by_id(batch) -> dict:
    return {r.id: r for r in batch.resources}


# --- JSON-LD ------------------------------------------------------------------------------

def test_jsonld_maps_every_field_of_a_good_record(framework):
    batch = read_resources(LRMI, framework)
    first = by_id(batch)["sample-intro-ai-health-care"]
    assert first.title == "Introduction to AI in health and care"
    assert first.url == "https://learning.example.org/courses/ai-in-health-and-care-intro"
    assert first.licence == "CC-BY-4.0"  # from the licence URL, normalised by parse_resource
    assert first.access == "open"
    assert first.level == "baseline"  # DefinedTerm "Beginner"
    assert first.format == "course"  # DefinedTerm "Course"
    assert first.duration_minutes == 90  # PT1H30M
    assert set(first.capabilities) == {"6.0.1", "6.0.2", "6.0.3"}  # teaches and alignment
    assert first.mapping == "curated"
    assert first.archetypes == ("user",)  # educationalRole clinician, nurse
    assert first.language == "en"  # en-GB
    assert first.provider == "Example Health Education Network"
    assert first.topics == ("artificial intelligence", "machine learning", "NHS")
    assert first.description.startswith("A self-paced starter course")


def test_jsonld_reads_the_other_forms_of_each_property(framework):
    resources = by_id(read_resources(LRMI, framework))
    video = resources["video-example-org-talks-automation-bias-at-the-bedside"]  # id from URL
    assert (video.format, video.level, video.licence) == ("video", "baseline", "CC-BY-SA-4.0")
    assert video.capabilities == ("6.2.5",)  # alignment URL fragment; the level alignment ignored
    assert video.archetypes == ("user",)  # Audience audienceType
    assert video.provider == "Example Clinical Skills Unit"  # publisher as a string
    assert "patient safety" in video.topics and "Recognising automation bias" in video.topics
    guidance = resources["sample-eval-ai-001"]  # PropertyValue identifier, slugified
    assert (guidance.format, guidance.level, guidance.licence) == (
        "guidance", "specialist", "OGL-UK-3.0")
    assert guidance.duration_minutes == 26 * 60  # P1DT2H
    assert set(guidance.capabilities) == {"6.3.7", "6.3.8"}  # 'requires' is not 'teaches'
    assert set(guidance.archetypes) == {"driver", "embedder"}
    course = resources["academy-example-org-data-science-for-clinical-researchers"]
    assert course.url == "https://academy.example.org/data-science-for-clinical-researchers"
    assert course.access == "free-registration"  # conditionsOfAccess
    assert course.duration_minutes == 14 * 24 * 60  # P2W
    assert (course.level, course.format) == ("specialist", "e-learning")
    assert set(course.capabilities) == {"6.1.7", "6.1.8", "5.1.1.8"}
    assert course.archetypes == ("creator",)


def test_jsonld_holds_a_bad_duration_and_a_paid_resource_by_record(framework):
    batch = read_resources(LRMI, framework)
    assert len(batch.resources) == 4 and batch.errors == []
    held = [h.error for h in batch.held]
    assert [(e.record, e.field) for e in held] == [(5, "duration_minutes"), (6, "access")]
    assert "'about two hours'" in held[0].reason
    assert "paid resources are not admitted" in held[1].reason
    assert batch.held[0].data["duration_minutes"] == "about two hours"  # kept as read


@pytest.mark.parametrize("text, minutes", [
    ("PT45M", 45), ("PT1H30M", 90), ("PT2H", 120), ("P1D", 1440), ("P2W", 20160),
    ("P1DT2H", 1560), ("PT1.5H", 90), ("PT90S", 2), ("pt30m", 30), ("P1W2DT3H15M", 13_155),
])
def test_iso_8601_durations(text, minutes):
    assert jsonld.duration_minutes(text) == minutes


@pytest.mark.parametrize("text", ["45 minutes", "P", "PT", "P1DT", "PT-5M", "P1Y", "P3M",
                                  "PT0M", "1H"])
def test_malformed_durations_name_time_required(text):
    with pytest.raises(DataError) as caught:
        jsonld.duration_minutes(text)
    assert caught.value.field == "timeRequired"


@pytest.mark.parametrize("content, message", [
    ('{"@graph": [ {"name": "x"}, ]}', "malformed JSON: .* at line 1, column"),
    ('"just a string"', "expected a JSON-LD object"),
    ('{"@graph": 3}', "expected a JSON-LD object"),
])
def test_unreadable_jsonld_raises_a_clear_error(tmp_path, framework, content, message):
    path = tmp_path / "bad.jsonld"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_resources(path, framework)


def test_jsonld_single_object_array_and_other_types(tmp_path, framework):
    good = json.loads(LRMI.read_text())["@graph"][0]
    person = {"@type": "Person", "name": "Not a resource"}
    article = {**good, "@type": "Article", "identifier": "sample-article",
               "url": "https://example.org/article", "learningResourceType": "Article"}
    bare = {**article, "identifier": "bare", "url": "https://example.org/bare"}
    del bare["learningResourceType"]
    (tmp_path / "one.json").write_text(json.dumps(good))
    (tmp_path / "many.json").write_text(json.dumps([person, article, bare]))
    assert [r.id for r in read_resources(tmp_path / "one.json", framework).resources] == [
        "sample-intro-ai-health-care"]
    batch = read_resources(tmp_path / "many.json", framework)
    assert [(r.id, r.format) for r in batch.resources] == [("sample-article", "article")]
    assert [(e.record, e.field) for e in batch.errors] == [(1, "@type"), (3, "@type")]
    assert "Person" in batch.errors[0].reason


def parsed(node: dict, framework):
    """One node through the converter and validation, as an import reads it."""
    base = {"@type": "LearningResource", "name": "A resource", "url": "https://example.org/r",
            "license": "CC-BY-4.0"}
    return parse_resource(jsonld.convert({**base, **node}), framework)


@pytest.mark.parametrize("level, expected", [
    ("Level 4", "specialist"), ("level 1-2", "baseline"), ({"termCode": "2"}, "baseline"),
    ("Intermediate-advanced", "specialist"), ("specialist", "specialist"),
    ({"@type": "DefinedTerm", "name": "Introductory"}, "baseline"),
    ("Intermediate", "specialist"), ("advanced beginner", "baseline"),
    (["competent", "novice"], "baseline"),  # fit for novices too: baseline
])
def test_educational_levels(level, expected, framework):
    record = parsed({"educationalLevel": level}, framework)
    assert record.level == expected and "level" not in record.inferred_fields()


def test_an_unknown_educational_level_is_inferred_and_says_so(framework):
    record = parsed({"educationalLevel": "Key Stage 5"}, framework)
    assert "'Key Stage 5' is not a level we know" in record.inferred_fields()["level"]


@pytest.mark.parametrize("audience, expected", [
    ("Policy makers and regulators", ["shaper"]),
    ({"@type": "Audience", "audienceType": "CIOs and transformation leads"}, ["driver"]),
    ([{"educationalRole": "software developer"}, "researchers"], ["creator"]),
    ("IT and informatics staff", ["embedder"]),
    ({"educationalRole": ["shapers", "users"]}, ["shaper", "user"]),
    ("patients and carers", ["user"]),
])
def test_audience_roles_map_to_archetypes(audience, expected, framework):
    assert list(parsed({"audience": audience}, framework).archetypes) == expected


@pytest.mark.parametrize("fields, access", [
    ({}, None), ({"isAccessibleForFree": True}, "open"),
    ({"isAccessibleForFree": False}, "paid"), ({"isAccessibleForFree": "schema:False"}, "paid"),
    ({"conditionsOfAccess": "Log in with a free NHS account"}, "free-registration"),
    ({"conditionsOfAccess": "Apply with your employer's support"}, "application"),
])
def test_access_from_is_accessible_for_free_and_conditions(fields, access):
    assert jsonld.convert({"@type": "Course", **fields})["access"] == access


@pytest.mark.parametrize("teaches, expected", [
    ("6.3.2", ["6.3.2"]), ("6.3.2. Performance measures", ["6.3.2"]),
    ({"identifier": "https://example.org/framework/4.1.2.8/"}, ["4.1.2.8"]),
    ("https://doi.org/10.5281/zenodo.1", []), ("Clinical coding", []),
])
def test_statement_ids_in_teaches(teaches, expected):
    assert jsonld.convert({"@type": "Course", "teaches": teaches})["capabilities"] == expected


def test_an_unmapped_audience_is_inferred_with_its_words_kept(framework):
    node = {**json.loads(LRMI.read_text())["@graph"][0], "audience": "Key Stage 5",
            "educationalRole": None}
    [record] = read_resources_from(node, framework).resources
    assert record.archetypes == ()  # the indexer infers them from the text
    assert "'Key Stage 5'" in record.inferred_fields()["archetypes"]


def test_a_record_with_no_licence_that_is_free_to_access_is_admitted_as_such(framework):
    node = {"@type": "LearningResource", "name": "A resource", "url": "https://example.org/r"}
    free = read_resources_from({**node, "isAccessibleForFree": True}, framework)
    assert [r.licence for r in free.resources] == ["LicenseRef-Proprietary-Free"]
    assert "not stated by the source" in free.resources[0].inferred_fields()["licence"]
    silent = read_resources_from(node, framework)
    assert silent.resources == [] and [h.error.field for h in silent.held] == ["licence"]


def read_resources_from(node: dict, framework):
    return read_resources("inline.jsonld", framework,
                          fetch=lambda location: json.dumps({"@graph": [node]}))


def test_long_urls_give_valid_distinct_ids():
    base = "https://learning.example.org/" + "very-long-path-segment/" * 6
    first, second = jsonld.slug(base + "a"), jsonld.slug(base + "b")
    assert first != second and len(first) <= 80 and len(second) <= 80
    assert jsonld.slug("https://www.Example.org/Course/View.php?id=42") == (
        "example-org-course-view-php-id-42")


def test_standard_suffixes_are_detected():
    assert [detect_format(n) for n in ("a.jsonld", "b.json", "c.xml")] == [
        "jsonld", "jsonld", "oai-pmh"]


# --- OAI-PMH ------------------------------------------------------------------------------

class OaiHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        query = parse_qs(urlsplit(self.path).query)
        self.server.requests.append(query)
        body = self.server.respond(query).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def oai_server(respond):
    """A real HTTP server on 127.0.0.1 answering each request with ``respond(query)``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), OaiHandler)
    server.requests = []
    server.respond = respond
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_port}/oai"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def two_pages(query: dict) -> str:
    if query == {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]}:
        return (DATA / "oai_dc_page1.xml").read_text()
    if query == {"verb": ["ListRecords"], "resumptionToken": [TOKEN]}:
        return (DATA / "oai_dc_page2.xml").read_text()
    return (DATA / "oai_error.xml").read_text()


def test_a_harvest_follows_resumption_tokens_across_pages(framework):
    with oai_server(two_pages) as (server, url):
        numbers = [n for n, _ in oaipmh.read(url, fetch_text)]
        batch = read_resources(url, framework, format="oai-pmh")
    assert server.requests[:2] == [{"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]},
                                   {"verb": ["ListRecords"], "resumptionToken": [TOKEN]}]
    assert numbers == [1, 3, 4, 5]  # record 2 is deleted: counted, not yielded
    resources = by_id(batch)
    assert list(resources) == ["oer-example-ac-uk-101", "oer-example-ac-uk-103",
                               "oer-example-ac-uk-104"]
    assert [(h.error.record, h.error.field) for h in batch.held] == [(5, "licence")]  # no rights
    first = resources["oer-example-ac-uk-101"]
    assert first.url == "https://oer.example.ac.uk/items/101"  # the http(s) dc:identifier
    assert first.title == "Explaining AI risk scores to patients"
    assert first.description.endswith("phrases to avoid. Sample record written for import tests.")
    assert (first.licence, first.format, first.language) == ("CC-BY-4.0", "article", "en")
    assert first.provider == "Example University Open Education Repository"
    assert first.topics == ("shared decision making", "risk communication")
    assert (first.level, first.access, first.capabilities) == ("baseline", "open", ())
    assert first.archetypes == ()  # oai_dc names no audience: inferred by the indexer
    assert {"level", "archetypes", "access", "capabilities"} <= set(first.inferred_fields())
    lecture, podcast = resources["oer-example-ac-uk-103"], resources["oer-example-ac-uk-104"]
    assert (lecture.licence, lecture.format) == ("CC-BY-SA-4.0", "video")  # second dc:rights
    assert lecture.provider == "Example Health Informatics Group"  # dc:creator fallback
    assert (podcast.licence, podcast.format) == ("CC-BY-NC-4.0", "podcast")


def test_a_file_with_a_resumption_token_is_reported_as_partial(framework):
    batch = read_resources(DATA / "oai_dc_page1.xml", framework)
    assert [r.id for r in batch.resources] == ["oer-example-ac-uk-101", "oer-example-ac-uk-103"]
    assert [e.field for e in batch.errors] == ["resumptionToken"]
    assert "partial harvest" in batch.errors[0].reason
    assert "repository's OAI-PMH URL" in batch.errors[0].reason


def test_the_last_page_as_a_file_is_complete(framework):
    batch = read_resources(DATA / "oai_dc_page2.xml", framework)
    assert [r.id for r in batch.resources] == ["oer-example-ac-uk-104"]
    assert [(h.error.record, h.error.field) for h in batch.held] == [(2, "licence")]


def test_an_oai_error_response_raises_with_its_code_and_message(framework):
    with pytest.raises(DataError, match="badResumptionToken: The resumption token has expired"):
        read_resources(DATA / "oai_error.xml", framework)


def test_no_records_match_is_an_empty_harvest(tmp_path, framework):
    path = tmp_path / "empty.xml"
    path.write_text('<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
                    '<error code="noRecordsMatch">Nothing in this set.</error></OAI-PMH>')
    batch = read_resources(path, framework)
    assert batch.resources == [] and batch.errors == []


@pytest.mark.parametrize("name", ["oai_xxe.xml", "oai_billion_laughs.xml"])
def test_malicious_payloads_are_refused(framework, name):
    with pytest.raises(DataError, match="refused unsafe XML") as caught:
        read_resources(DATA / name, framework)
    assert "root:" not in str(caught.value) and "lollol" not in str(caught.value)


def test_an_external_entity_never_reads_the_file(tmp_path, framework):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    payload = (DATA / "oai_xxe.xml").read_text().replace("file:///etc/passwd",
                                                         secret.as_uri())
    with oai_server(lambda query: payload) as (_, url), pytest.raises(DataError) as caught:
        read_resources(url, framework, format="oai-pmh")
    assert "DTD" in str(caught.value)
    assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_a_resumption_token_loop_stops(framework):
    page = (DATA / "oai_dc_page1.xml").read_text()
    with oai_server(lambda query: page) as (server, url), pytest.raises(
            DataError, match="resumption token .* twice"):
        read_resources(url, framework, format="oai-pmh")
    assert len(server.requests) == 2


@pytest.mark.parametrize("content, message", [
    ("<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords>", "malformed XML"),
    ("<rss><channel/></rss>", "not an OAI-PMH response"),
    ("<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><Identify/></OAI-PMH>",
     "not a ListRecords response"),
])
def test_unreadable_oai_responses_raise(tmp_path, framework, content, message):
    path = tmp_path / "bad.xml"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_resources(path, framework)


def test_only_list_records_requests_are_harvested(framework):
    with pytest.raises(DataError, match="verb=Identify is not a harvest"):
        read_resources("https://oer.example.ac.uk/oai?verb=Identify", framework,
                       format="oai-pmh")
