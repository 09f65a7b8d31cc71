"""Property tests of import profiles: whatever the source or the profile document, reading
answers with mappings in our field names and DataErrors, never another exception."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from catalogue.errors import DataError
from catalogue.importers.fetch import decode
from catalogue.importers.profiles import FIELDS, LIST_FIELDS, load_profile, parse_profile, read

SHIPPED = {name: load_profile(name) for name in ("dalia", "nfdi4bioimage")}
DALIA_HEADER = ["Authors", "License", "Link", "Title", "Community", "Description", "Keywords",
                "Language", "LearningResourceType", "ProficiencyLevel", "uuid"]
NFDI_KEYS = ["name", "url", "license", "tags", "description", "type", "proficiency_level",
             "language", "uuid", "publication_date"]
PROFILE_WORDS = ["format", "records", "columns", "defaults", "free_access", "delimiter",
                 "description", "column", "separator", "map", "drop", "first", "csv", "yaml",
                 "json", "jsonl", "resources", "data.items", " * ", *FIELDS]
SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
           | st.dates() | st.datetimes())
YAML_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(PROFILE_WORDS + NFDI_KEYS) | st.text(max_size=8), inner,
                      max_size=5), max_leaves=20)


def outcome(text: str, profile) -> list | DataError:
    try:
        return list(read("input", lambda _: text, profile))
    except DataError as exc:
        return exc


def assert_sound(result) -> None:
    """A DataError naming its reason, or numbered records: mappings of our fields with values
    (never empty) that JSON can hold, or DataErrors."""
    if isinstance(result, DataError):
        assert result.reason and result.source
        return
    numbers = [n for n, _ in result]
    assert numbers == sorted(set(numbers)) and all(isinstance(n, int) for n in numbers)
    for number, record in result:
        if isinstance(record, DataError):
            assert record.reason and record.record == number
            continue
        assert isinstance(record, dict) and set(record) <= set(FIELDS)
        for name, value in record.items():
            assert value not in (None, "", []), name
            if name in LIST_FIELDS:
                assert isinstance(value, list) and all(isinstance(v, str) and v for v in value)
            elif isinstance(value, int):
                assert name == "duration_minutes" and not isinstance(value, bool)
            else:
                assert isinstance(value, str) or (isinstance(value, list) and len(value) > 1
                                                  and all(isinstance(v, str) for v in value))
        json.dumps(record, allow_nan=False)


@pytest.mark.parametrize("name", sorted(SHIPPED))
@given(text=st.text(max_size=400))
def test_any_text_through_a_shipped_profile_gives_records_or_data_errors(name, text):
    assert_sound(outcome(text, SHIPPED[name]))


@pytest.mark.parametrize("name", sorted(SHIPPED))
@given(data=st.binary(max_size=400))
def test_any_bytes_through_a_shipped_profile_give_records_or_data_errors(name, data):
    try:
        text = decode(data, "input")
    except DataError:
        return
    assert_sound(outcome(text, SHIPPED[name]))


@given(rows=st.lists(st.lists(st.text(max_size=30) | st.sampled_from(
    ["include in DALIA", "a * b * include in DALIA", "Book * codenotebook", "['MIT']", " "]),
    max_size=12), max_size=5), header=st.permutations(DALIA_HEADER))
def test_dalia_shaped_csv_of_any_cells_gives_records_or_data_errors(rows, header):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    result = outcome(out.getvalue(), SHIPPED["dalia"])
    assert_sound(result)
    assert not isinstance(result, DataError)  # Title and Link are in the header
    for _, record in result:
        if isinstance(record, dict):
            assert "include in DALIA" not in record.get("topics", [])


@given(resources=st.lists(st.dictionaries(st.sampled_from(NFDI_KEYS), YAML_VALUES, max_size=8)
                          | YAML_VALUES, max_size=5))
def test_nfdi_shaped_yaml_of_any_values_gives_records_or_data_errors(resources):
    text = yaml.safe_dump({"resources": resources}, allow_unicode=True)
    result = outcome(text, SHIPPED["nfdi4bioimage"])
    assert_sound(result)
    assert not isinstance(result, DataError) and len(result) == len(resources)


def load_from(folder, document: str):
    path = folder / "profile.yaml"
    path.write_text(document, encoding="utf-8")
    return load_profile(str(path))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("profiles")


SAMPLE = {"csv": "Title,Link,k\nOne,https://x.example,a * b\n,,\n",
          "yaml": "items:\n- {Title: One, Link: [https://x.example], k: [a, b]}\n- 3\n",
          "json": '[{"Title": "One", "Link": "https://x.example", "k": {"x": 1}}]',
          "jsonl": '{"Title": "One", "Link": "https://x.example"}\n[1]\n'}


def read_sample(profile) -> None:
    """A profile that loads reads every kind of sample source soundly."""
    for text in SAMPLE.values():
        assert_sound(outcome(text, profile))


@given(document=YAML_VALUES)
def test_any_yaml_document_as_a_profile_loads_or_raises_a_data_error(folder, document):
    try:
        profile = load_from(folder, yaml.safe_dump(document, allow_unicode=True))
    except DataError as exc:
        assert exc.reason
        return
    read_sample(profile)


COLUMN_SPECS = st.text(max_size=8) | st.fixed_dictionaries(
    {"column": st.sampled_from(["Title", "Link", "k", "a.b", ""]) | YAML_VALUES},
    optional={"separator": st.sampled_from([" * ", ",", ";", ""]) | YAML_VALUES,
              "map": st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3)
              | YAML_VALUES,
              "drop": st.lists(st.text(max_size=6), max_size=3) | YAML_VALUES,
              "first": st.booleans() | YAML_VALUES,
              "other": YAML_VALUES})


@given(fmt=st.sampled_from(["csv", "yaml", "json", "jsonl"]) | YAML_VALUES,
       records=st.sampled_from([None, "items", "a.b", "", ".x"]) | YAML_VALUES,
       columns=st.dictionaries(st.sampled_from([*FIELDS, "colour"]), COLUMN_SPECS, max_size=6),
       base=st.booleans(),
       extra=st.dictionaries(st.sampled_from(["defaults", "free_access", "delimiter",
                                              "description", "colour"]), YAML_VALUES,
                             max_size=3))
def test_near_valid_profiles_load_or_name_the_key_at_fault(folder, fmt, records, columns, base,
                                                          extra):
    if base:
        columns = {"title": "Title", "url": {"column": "Link", "first": True}, **columns}
    document = {"format": fmt, "columns": columns, **extra}
    if records is not None:
        document["records"] = records
    try:
        profile = load_from(folder, yaml.safe_dump(document, allow_unicode=True))
    except DataError as exc:
        assert ": " in exc.reason  # 'dotted.key: what is wrong'
        return
    read_sample(profile)


SOURCE_KEYS = st.sampled_from(["Title", "Link", "k", "a.b", "items.name"])
VALID_SPECS = SOURCE_KEYS | st.fixed_dictionaries(
    {"column": SOURCE_KEYS},
    optional={"separator": st.sampled_from([" * ", ",", ";", "a"]),
              "map": st.dictionaries(st.text(min_size=1, max_size=6),
                                     st.text(min_size=1, max_size=6), max_size=3),
              "drop": st.lists(st.text(max_size=6), max_size=3), "first": st.booleans()})


@st.composite
def valid_profiles(draw) -> dict:
    fmt = draw(st.sampled_from(["csv", "yaml", "json", "jsonl"]))
    columns = draw(st.dictionaries(st.sampled_from(FIELDS), VALID_SPECS, max_size=6))
    document = {"format": fmt, "columns": {"title": "Title", "url": "Link", **columns},
                "free_access": draw(st.booleans())}
    if fmt in ("yaml", "json") and draw(st.booleans()):
        document["records"] = "items"
    document["defaults"] = draw(st.dictionaries(st.sampled_from(FIELDS), st.text(
        min_size=1, max_size=6) | st.integers(1, 500) | st.lists(st.text(min_size=1, max_size=6),
                                                                  max_size=2), max_size=3))
    return document


@given(document=valid_profiles(),
       sources=st.lists(YAML_VALUES | st.dictionaries(SOURCE_KEYS, YAML_VALUES, max_size=4),
                        max_size=4))
def test_valid_profiles_load_and_read_any_source_soundly(folder, document, sources):
    profile = load_from(folder, yaml.safe_dump(document, allow_unicode=True))
    read_sample(profile)
    records = {"items": sources} if document.get("records") else sources
    if document["format"] == "jsonl":
        text = "\n".join(json.dumps(s, default=str) for s in sources)
    elif document["format"] == "json":
        text = json.dumps(records, default=str)
    elif document["format"] == "yaml":
        text = yaml.safe_dump(records, allow_unicode=True)
    else:
        out = io.StringIO()
        csv.writer(out).writerows([["Title", "Link", "k"], *[[str(s)] * 3 for s in sources]])
        text = out.getvalue()
    result = outcome(text, profile)
    assert_sound(result)
    if document["format"] != "csv":
        assert not isinstance(result, DataError)


@given(text=st.text(max_size=300))
def test_any_text_as_a_profile_loads_or_raises_a_data_error(text):
    try:
        parse_profile(text, "profile.yaml")
    except DataError as exc:
        assert exc.reason and exc.source == "profile.yaml"


def test_deeply_nested_and_aliased_sources_are_refused_or_bounded():
    profile = SHIPPED["nfdi4bioimage"]
    deep = "resources:\n- name: " + "[" * 5000 + "]" * 5000 + "\n  url: https://x.example\n"
    assert_sound(outcome(deep, profile))
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        bomb.append(f"{'b' * i}: &{'b' * i} [" + ", ".join([f"*{'b' * (i - 1) or 'a'}"] * 10)
                    + "]")
    text = "\n".join(bomb) + "\nresources:\n- {name: t, url: u, tags: *bbbbbb}\n"
    result = outcome(text, profile)
    assert_sound(result)
    assert isinstance(result[0][1], DataError) and result[0][1].field == "topics"
    assert_sound(outcome('{"a": ' * 3000 + "1" + "}" * 3000, parse_profile(
        "format: json\ncolumns: {title: a, url: b}")))
    assert_sound(outcome(f"resources:\n- {{name: {datetime.date(2024, 1, 1)}, url: 0x"
                         + "f" * 5000 + "}\n", profile))


@given(name=st.text(max_size=300))
def test_any_profile_name_loads_or_raises_a_data_error(name):
    try:
        load_profile(name)
    except DataError as exc:
        assert exc.reason and exc.source == name
