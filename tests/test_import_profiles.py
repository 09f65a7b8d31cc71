"""Import profiles (catalogue.importers.profiles): the shipped DALIA and NFDI4BIOIMAGE profiles
on the real third-party files, a user's own profile, and the errors a bad profile or source
gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from catalogue.errors import DataError
from catalogue.importers.fetch import fetch_text
from catalogue.importers.profiles import (
    FIELDS,
    PROFILE_DIR,
    load_profile,
    parse_profile,
    read,
    shipped_profiles,
)
from catalogue.resources import FORMATS

# a copy of the shared sample (CC BY 4.0, NFDI4BIOIMAGE; see its README and LICENSE-CC-BY),
# kept in the repository so the tests run wherever the repository is
EXTERNAL = Path(__file__).parent / "data" / "external" / "nfdi4bioimage"
DALIA = EXTERNAL / "DALIA_training_materials.csv"
NFDI = EXTERNAL / "nfdi4bioimage.yml"


def records(location: Path | str, profile: str, fetch=fetch_text) -> list[tuple[int, object]]:
    return list(read(str(location), fetch, load_profile(profile)))


def mappings(location: Path | str, profile: str) -> list[dict]:
    out = records(location, profile)
    problems = [str(r) for _, r in out if not isinstance(r, dict)]
    assert not problems, problems
    return [r for _, r in out]


@pytest.fixture(scope="module")
def dalia() -> list[dict]:
    return mappings(DALIA, "dalia")


@pytest.fixture(scope="module")
def nfdi() -> list[dict]:
    return mappings(NFDI, "nfdi4bioimage")


@pytest.fixture(scope="module")
def dalia_rows() -> list[dict]:
    import csv

    with DALIA.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_both_shipped_profiles_load():
    assert shipped_profiles() == ["dalia", "nfdi4bioimage"]
    dalia, nfdi = load_profile("dalia"), load_profile("nfdi4bioimage")
    assert (dalia.format, dalia.records) == ("csv", None)
    assert (nfdi.format, nfdi.records) == ("yaml", ("resources",))
    assert {"title", "url", "licence", "level", "topics", "format"} <= set(dalia.fields)
    assert load_profile(str(PROFILE_DIR / "dalia.yaml")).columns == dalia.columns


def test_every_shipped_profile_maps_only_onto_our_formats():
    for name in shipped_profiles():
        column = load_profile(name).columns["format"]
        assert set(column.map.values()) <= set(FORMATS), name


# --- DALIA ---------------------------------------------------------------------------------

def test_dalia_gives_every_row_with_a_title_and_a_url(dalia):
    assert len(dalia) == 267
    assert all(isinstance(r["title"], str) and r["title"] for r in dalia)
    assert all(r["url"].startswith(("http://", "https://")) for r in dalia)


def test_dalia_records_are_spreadsheet_line_numbers(dalia_rows):
    numbers = [n for n, _ in records(DALIA, "dalia")]
    assert numbers[0] == 2 and numbers == sorted(numbers)
    # descriptions run over several lines, so the last record is far below line 268
    assert numbers[-1] > len(dalia_rows) + 1


def test_dalia_topics_are_split_and_leave_out_the_dalia_marker(dalia, dalia_rows):
    assert all("include in DALIA" not in r.get("topics", []) for r in dalia)
    first = dalia[0]
    assert first["topics"] == ["Sharing", "Research Data Management"]
    # a row whose only keyword is the marker has no topics at all
    only_marker = [i for i, row in enumerate(dalia_rows) if row["Keywords"] == "include in DALIA"]
    assert all("topics" not in dalia[i] for i in only_marker)
    # repeats that differ only in case (NFDI4Bioimage, nfdi4bioimage) are kept once
    for r in dalia:
        topics = r.get("topics", [])
        assert len({t.casefold() for t in topics}) == len(topics)


def test_dalia_licences_are_passed_through_where_the_csv_has_them(dalia, dalia_rows):
    for record, row in zip(dalia, dalia_rows, strict=True):
        if row["License"].strip():
            assert record["licence"].startswith("http://spdx.org/licenses/"), record["licence"]
        else:
            assert "licence" not in record  # left out, for the importer's inference to fill
    assert sum("licence" in r for r in dalia) == 228
    # one cell holds a list written out as text: its single item is the licence
    listed = [i for i, row in enumerate(dalia_rows) if row["License"].startswith("[")]
    assert listed and all(dalia[i]["licence"] == "http://spdx.org/licenses/CC-BY-4.0.html"
                          for i in listed)


def test_dalia_empty_cells_are_left_out(dalia):
    assert all(v not in ("", None, []) for r in dalia for v in r.values())
    assert sum("description" in r for r in dalia) == 195
    assert all(set(r) <= set(FIELDS) for r in dalia)
    assert not any("id" in r or "provider" in r for r in dalia)


def test_dalia_several_resource_types_give_the_most_specific_format(dalia, dalia_rows):
    by_type = {row["LearningResourceType"]: r.get("format")
               for row, r in zip(dalia_rows, dalia, strict=True)}
    assert by_type["Webpage"] == "article"
    assert by_type["lecture"] == "course"
    assert by_type["Book * codenotebook"] == "book"
    assert by_type["lecture * tutorial"] == "course"
    assert by_type["Tutorial * codenotebook"] == "course"
    assert by_type["lecture * Course * Tutorial"] == "course"
    assert by_type[""] is None


# --- NFDI4BIOIMAGE -------------------------------------------------------------------------

def test_nfdi_gives_every_record_with_one_url(nfdi):
    assert len(nfdi) == 960
    assert all(isinstance(r["url"], str) and r["url"].startswith("http") for r in nfdi)
    assert all(isinstance(r["title"], str) and r["title"] for r in nfdi)


def test_nfdi_records_are_positions_and_a_url_list_gives_its_first():
    source = yaml.safe_load(NFDI.read_text(encoding="utf-8"))["resources"]
    out = records(NFDI, "nfdi4bioimage")
    assert [n for n, _ in out] == list(range(1, 961))
    listed = [i for i, r in enumerate(source) if isinstance(r["url"], list)]
    assert len(listed) == 508
    assert all(out[i][1]["url"] == source[i]["url"][0] for i in listed)


def test_nfdi_licences_keep_their_spelling_and_lists(nfdi):
    licences = [r.get("licence") for r in nfdi]
    assert licences.count("cc-by-4.0") == 278 and licences.count("CC-BY-4.0") == 277
    assert "UNKNOWN" not in licences  # the placeholder is dropped by the profile
    lists = [v for v in licences if isinstance(v, list)]
    assert ["CC-BY-4.0", "MIT"] in lists and len(lists) == 4


def test_level_words_are_passed_through(dalia, nfdi):
    words = {"novice", "advanced beginner", "competent", "proficient", "intermediate",
             "beginner"}
    assert {r["level"] for r in dalia if "level" in r} == words - {"intermediate", "beginner"}
    assert {r["level"] for r in nfdi if "level" in r} == words
    assert sum("level" in r for r in nfdi) == 257


def test_every_format_produced_is_ours_or_absent(dalia, nfdi):
    for r in dalia + nfdi:
        assert r.get("format") in (*FORMATS, None), r.get("format")
    assert sum("format" in r for r in nfdi) == 598
    assert sum("format" in r for r in dalia) == 154


def test_nfdi_several_types_give_the_most_specific_format(nfdi):
    source = yaml.safe_load(NFDI.read_text(encoding="utf-8"))["resources"]
    by_type = {json.dumps(s.get("type")): r.get("format")
               for s, r in zip(source, nfdi, strict=True)}
    assert by_type['["Collection", "Video"]'] == "video"
    assert by_type['["Slides", "Tutorial"]'] == "course"
    assert by_type['["Collection", "Event"]'] == "webinar"
    assert by_type['["Book", "Notebook"]'] == "book"
    assert by_type['"GitHub Repository"'] == "toolkit"
    assert by_type["null"] is None


def test_nfdi_tags_become_topics_without_markers(nfdi):
    assert all(not {"include in DALIA", "TODO"} & set(r.get("topics", [])) for r in nfdi)
    assert all(isinstance(r.get("topics", []), list) for r in nfdi)


def test_records_are_json_serialisable(dalia, nfdi):
    assert json.loads(json.dumps(dalia + nfdi)) == dalia + nfdi


# --- a user's own profile ------------------------------------------------------------------

JSON_PROFILE = """
format: json
records: data.items
free_access: true
defaults:
  provider: Example Consortium
  archetypes: user
columns:
  title: meta.name
  url: {column: links.href, first: true}
  licence: rights.spdx
  provider: publisher.name
  topics: {column: subjects.label, drop: [misc]}
  format: {column: kind, map: {Screencast: video, HOWTO: guidance}}
  duration_minutes: minutes
  level: level
"""


def test_a_users_profile_reads_a_json_source_by_dotted_paths(tmp_path):
    (tmp_path / "mine.yaml").write_text(JSON_PROFILE)
    source = tmp_path / "source.json"
    source.write_text(json.dumps({"data": {"items": [
        {"meta": {"name": " A screencast "}, "links": [{"href": "https://a.example/1"},
                                                       {"href": "https://b.example/1"}],
         "rights": {"spdx": ["CC-BY-4.0"]}, "publisher": {"name": "Example Uni"},
         "subjects": [{"label": "Imaging"}, {"label": "misc"}, {"label": "imaging"}],
         "kind": "screencast", "minutes": "45", "level": "Advanced beginner"},
        {"meta": {"name": "A how-to"}, "links": {"href": "https://a.example/2"},
         "rights": {"spdx": "['MIT']"}, "kind": "HowTo", "minutes": 30, "level": ""},
        "not a record",
    ]}}))
    profile = load_profile(str(tmp_path / "mine.yaml"))
    assert profile.free_access is True and profile.records == ("data", "items")
    out = list(read(str(source), fetch_text, profile))
    assert [n for n, _ in out] == [1, 2, 3]
    assert out[0][1] == {
        "title": "A screencast", "url": "https://a.example/1", "licence": "CC-BY-4.0",
        "provider": "Example Uni", "topics": ["Imaging"], "format": "video",
        "duration_minutes": 45, "level": "Advanced beginner", "archetypes": ["user"]}
    assert out[1][1] == {
        "title": "A how-to", "url": "https://a.example/2", "licence": "MIT",
        "format": "guidance", "duration_minutes": 30, "provider": "Example Consortium",
        "archetypes": ["user"]}
    assert isinstance(out[2][1], DataError) and out[2][1].record == 3


def test_a_profile_for_json_lines_numbers_records_by_line(tmp_path):
    profile = parse_profile("format: jsonl\ncolumns: {title: t, url: u, topics: {column: k, "
                            "separator: ';'}}")
    text = '{"t": "One", "u": "https://x.example/1", "k": "a; b;"}\n\n{oops\n{"t": 2, "u": null}'
    out = list(read("x.jsonl", lambda _: text, profile))
    assert out[0] == (1, {"title": "One", "url": "https://x.example/1", "topics": ["a", "b"]})
    assert out[1][0] == 3 and isinstance(out[1][1], DataError)
    assert out[2] == (4, {"title": "2"})


def test_a_mapping_where_text_is_expected_rejects_that_record_naming_the_field():
    profile = parse_profile("format: json\ncolumns: {title: t, url: u}")
    out = list(read("x.json", lambda _: '[{"t": {"en": "Hi"}, "u": "https://x.example"}]',
                    profile))
    error = out[0][1]
    assert isinstance(error, DataError) and error.field == "title" and error.record == 1
    assert "dotted path" in error.reason


def test_yaml_dates_become_iso_strings():
    profile = parse_profile("format: yaml\ncolumns: {title: t, url: u, description: d}")
    text = "- {t: 2024-05-01, u: 'https://x.example', d: 2024-05-01T10:00:00}"
    (_, record), = read("x.yaml", lambda _: text, profile)
    assert record["title"] == "2024-05-01" and record["description"].startswith("2024-05-01T10")
    json.dumps(record)


def test_csv_headers_match_ignoring_case_and_a_semicolon_delimiter_is_detected():
    profile = parse_profile("format: csv\ncolumns: {title: Title, url: Link, level: Level}")
    out = list(read("x.csv", lambda _: "TITLE;link\nOne;https://x.example\n", profile))
    assert out == [(2, {"title": "One", "url": "https://x.example"})]


# --- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("document", "message"), [
    ("format: xml\ncolumns: {title: a, url: b}", "format: must be one of csv, yaml, json, jsonl"),
    ("columns: {title: a, url: b}", "format: is required"),
    ("format: csv", "columns: is required"),
    ("format: csv\ncolumns: {title: a}", "columns: title and url are required"),
    ("format: csv\ncolumns: {title: a, url: b, colour: c}",
     "columns.colour: not one of our fields (id, title, url,"),
    ("format: csv\ncolumns: {title: a, url: b, topics: {column: k, separator: 3}}",
     "columns.topics.separator: must be a string"),
    ("format: csv\ncolumns: {title: a, url: b, topics: {separator: ','}}",
     "columns.topics: needs column:"),
    ("format: csv\ncolumns: {title: a, url: b, topics: {column: k, split: ','}}",
     "columns.topics.split: not a key of a column spec (column, separator, map, drop, first)"),
    ("format: csv\ncolumns: {title: a, url: b, format: {column: k, map: {x: 1}}}",
     "columns.format.map.x: must be a string"),
    ("format: csv\ncolumns: {title: a, url: b, format: {column: k, map: {yes: video}}}",
     "columns.format.map: keys must be text; quote True"),
    ("format: csv\ncolumns: {title: a, url: b, topics: {column: k, drop: misc}}",
     "columns.topics.drop: must be a list"),
    ("format: csv\ncolumns: {title: a, url: b, url2: c}", "columns.url2: not one of our fields"),
    ("format: csv\ncolumns: {title: a, url: [b]}", "columns.url: must be a string or a mapping"),
    ("format: csv\ncolumns: {title: a, url: {column: b, first: yes please}}",
     "columns.url.first: must be true or false"),
    ("format: csv\nrecords: items\ncolumns: {title: a, url: b}", "records: only for yaml and json"),
    ("format: json\nrecords: a..b\ncolumns: {title: a, url: b}", "records: must be a dotted key"),
    ("format: csv\ndelimiter: ';;'\ncolumns: {title: a, url: b}",
     "delimiter: must be one character"),
    ("format: json\nfree_access: maybe\ncolumns: {title: a, url: b}",
     "free_access: must be true or false"),
    ("format: json\ndefaults: {provider: {name: x}}\ncolumns: {title: a, url: b}",
     "defaults.provider: must be a string, a whole number or a list of strings"),
    ("format: json\ndefaults: {publisher: x}\ncolumns: {title: a, url: b}",
     "defaults.publisher: not one of our fields"),
    ("format: json\ncolumns: {title: a, url: b}\nrows: x", "rows: not a key of a profile"),
    ("format: json\ncolumns: {title: a, url: b, format: {column: t, map: {Video: video, "
     "VIDEO: course}}}", "columns.format.map.VIDEO: repeats another key"),
    ("- format: csv", "a profile must be a mapping"),
    ("format: [csv\n", "malformed YAML"),
])
def test_a_bad_profile_names_the_key_at_fault(document, message, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(document)
    with pytest.raises(DataError) as caught:
        load_profile(str(path))
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_an_unknown_profile_name_lists_the_shipped_ones():
    with pytest.raises(DataError, match="the shipped ones are dalia, nfdi4bioimage"):
        load_profile("moodle")


@pytest.mark.parametrize("name", ["absent.yaml", "dir/", "x" * 5000, "x\0y.yaml", ""])
def test_a_missing_profile_file_names_it(name, tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(DataError, match="cannot read profile file|no shipped profile"):
        load_profile(str(tmp_path / name) if name else name)


@pytest.mark.parametrize(("profile", "text", "message"), [
    ("dalia", 'Title,Link\n"unclosed,https://x.example\n', "malformed CSV at line"),
    ("nfdi4bioimage", "resources: [\n", "malformed YAML"),
    ("nfdi4bioimage", "items: []\n", "no 'resources' key"),
    ("nfdi4bioimage", "resources: {name: x}\n", "'resources' is not a list"),
    ("nfdi4bioimage", "resources:\n- a: 2024-02-30\n", "malformed YAML"),
])
def test_a_source_that_cannot_be_read_raises_naming_it(profile, text, message):
    with pytest.raises(DataError) as caught:
        list(read("their-export.txt", lambda _: text, load_profile(profile)))
    assert caught.value.source == "their-export.txt"
    assert message in caught.value.reason


def test_a_malformed_json_source_raises_naming_it(tmp_path):
    source = tmp_path / "broken.json"
    source.write_text('{"data": {"items": [1, }')
    (tmp_path / "p.yaml").write_text(JSON_PROFILE)
    with pytest.raises(DataError, match="broken.json: malformed JSON"):
        list(read(str(source), fetch_text, load_profile(str(tmp_path / "p.yaml"))))


def test_a_source_that_is_not_utf8_raises_naming_it(tmp_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes("Title,Link\nCaf\xe9,https://x.example\n".encode("latin-1"))
    with pytest.raises(DataError, match="latin1.csv: not UTF-8"):
        list(read(str(source), fetch_text, load_profile("dalia")))


def test_a_csv_without_the_title_column_names_the_column():
    text = "Name,Link\nOne,https://x.example\n"
    with pytest.raises(DataError) as caught:
        list(read("export.csv", lambda _: text, load_profile("dalia")))
    assert "missing column 'Title' (for title)" in str(caught.value)
    assert caught.value.source == "export.csv"


def test_a_row_with_more_cells_than_the_header_is_rejected_alone():
    text = "Title,Link\nOne,https://x.example,extra\nTwo,https://y.example\n"
    out = list(read("x.csv", lambda _: text, load_profile("dalia")))
    assert isinstance(out[0][1], DataError) and out[0][1].record == 2
    assert out[1] == (3, {"title": "Two", "url": "https://y.example"})
