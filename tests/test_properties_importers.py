"""Property tests of the importers: whatever the input, they answer with valid resources, held
records and DataErrors (never another exception), and what our exporters write reads back
unchanged."""

import dataclasses
import json
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.errors import DataError
from catalogue.exporters import to_csv, to_jsonld
from catalogue.framework import ARCHETYPE_BADGES
from catalogue.importers import FORMATS as READERS
from catalogue.importers import read_resources
from catalogue.licences import DEFAULT_ALLOWED
from catalogue.resources import FORMATS, LEVELS, Held
from catalogue.urls import url_problem
from tests.factories import oai_page
from tests.strategies import FRAMEWORK, JSON_VALUES, raw_records, unique_resources

TEXT_FORMATS = sorted(READERS)  # yaml, jsonl, csv, jsonld, oai-pmh


def read(text: str, fmt: str):
    """Read ``text`` as one file of format ``fmt``; the batch, or the DataError raised."""
    try:
        return read_resources(f"input.{fmt}", FRAMEWORK, format=fmt, fetch=lambda _: text)
    except DataError as exc:
        return exc


def assert_sound(outcome) -> None:
    """A DataError, or a batch of valid resources, held records and DataErrors that say why."""
    if isinstance(outcome, DataError):
        assert outcome.reason
        return
    assert all(isinstance(e, DataError) and e.reason for e in outcome.errors)
    assert all(isinstance(h.error, Held) and h.error.reason and h.error.field
               for h in outcome.held)
    assert all(json.loads(json.dumps(h.data)) == h.data for h in outcome.held)  # storable
    for resource in outcome.resources:
        assert url_problem(resource.url) is None and resource.title
        assert resource.licence in DEFAULT_ALLOWED
        assert resource.format in FORMATS and resource.level in LEVELS
        assert set(resource.archetypes) <= set(ARCHETYPE_BADGES)
        assert set(resource.capabilities) <= FRAMEWORK.ids()


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@given(text=st.text(max_size=400))
def test_any_text_gives_resources_or_data_errors(fmt, text):
    assert_sound(read(text, fmt))


@given(records=st.lists(raw_records() | JSON_VALUES, max_size=5))
def test_json_lines_of_any_values_give_resources_or_data_errors(records):
    outcome = read("\n".join(json.dumps(r) for r in records), "jsonl")
    assert_sound(outcome)
    assert len(outcome.resources) + len(outcome.held) + len(outcome.errors) == sum(
        1 for r in records if json.dumps(r).strip())


@given(nodes=st.lists(raw_records() | JSON_VALUES, max_size=5), graph=st.booleans())
def test_json_ld_of_any_nodes_gives_resources_or_data_errors(nodes, graph):
    document = {"@context": "https://schema.org", "@graph": nodes} if graph else nodes
    assert_sound(read(json.dumps(document), "jsonld"))


@given(rows=st.lists(st.lists(st.text(max_size=20), max_size=17), max_size=5),
       header=st.permutations(["id", "title", "url", "provider", "licence", "access",
                               "description", "format", "level", "archetypes"]))
def test_csv_of_any_cells_gives_resources_or_data_errors(rows, header):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    assert_sound(read(out.getvalue(), "csv"))


def records_equal(read_back, written) -> None:
    assert [dataclasses.asdict(r) for r in read_back] == [dataclasses.asdict(r) for r in written]


@given(resources=unique_resources())
def test_csv_export_reads_back_unchanged(resources):
    batch = read(to_csv(resources), "csv")
    assert not batch.errors, [str(e) for e in batch.errors]
    records_equal(batch.resources, resources)


@given(resources=unique_resources())
def test_json_ld_export_reads_back_unchanged(resources):
    batch = read(to_jsonld(resources), "jsonld")
    assert not batch.errors, [str(e) for e in batch.errors]
    records_equal(batch.resources, resources)


@given(resources=unique_resources())
def test_json_lines_read_back_unchanged(resources):
    lines = "\n".join(json.dumps(dataclasses.asdict(r)) for r in resources)
    batch = read(lines, "jsonl")
    assert not batch.errors, [str(e) for e in batch.errors]
    records_equal(batch.resources, resources)


@given(resources=unique_resources(), deleted=st.integers(0, 3))
def test_oai_pmh_records_keep_their_fields_and_deleted_ones_are_skipped(resources, deleted):
    batch = read(oai_page(resources, deleted), "oai-pmh")
    assert not batch.errors, [str(e) for e in batch.errors]
    assert [(r.title, r.url, r.provider, r.licence, r.description, r.format, r.topics)
            for r in batch.resources] == [
        (r.title, r.url, r.provider, r.licence, r.description, r.format, r.topics)
        for r in resources]


@given(tags=st.lists(st.sampled_from(["OAI-PMH", "ListRecords", "record", "metadata", "x"]),
                     max_size=6),
       text=st.text(max_size=60))
def test_any_xml_gives_resources_or_data_errors(tags, text):
    xml = "".join(f"<{t}>" for t in tags) + escape(text) + "".join(
        f"</{t}>" for t in reversed(tags))
    assert_sound(read(xml, "oai-pmh"))
