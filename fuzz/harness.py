"""The shared body of the importer fuzz harnesses (atheris, coverage-guided).

Each ``fuzz_<format>.py`` feeds arbitrary bytes to one importer through the same path a file
takes (UTF-8 decoding, then ``read_resources``). The importer may refuse the input with a
``DataError`` or reject records one by one; any other exception, or a resource that breaks
the catalogue's rules, is a crash that libFuzzer reports with the input that caused it.

    python fuzz/fuzz_csv.py -max_total_time=60 var/fuzz/csv fuzz/seeds/csv
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["catalogue"]):
    from catalogue.errors import DataError
    from catalogue.framework import load_framework
    from catalogue.importers import read_resources
    from catalogue.importers.fetch import decode
    from catalogue.licences import DEFAULT_ALLOWED
    from catalogue.resources import FORMATS, LEVELS, Held
    from catalogue.urls import url_problem

FRAMEWORK = load_framework()


def check(data: bytes, fmt: str) -> None:
    """Import ``data`` as one file of format ``fmt``; fail on anything but DataErrors and
    valid resources."""
    try:
        text = decode(data, "fuzz-input")
        batch = read_resources(f"fuzz-input.{fmt}", FRAMEWORK, format=fmt,
                               fetch=lambda _: text)
    except DataError:
        return
    for error in batch.errors:
        assert isinstance(error, DataError) and error.reason, error
    for item in batch.held:  # held for review: a reason, a field and storable data
        assert isinstance(item.error, Held) and item.error.reason and item.error.field, item
        assert isinstance(item.data, dict), item.data
    for resource in batch.resources:
        assert url_problem(resource.url) is None, resource.url
        assert resource.title, resource
        assert resource.licence in DEFAULT_ALLOWED, resource.licence
        assert resource.format in FORMATS and resource.level in LEVELS, resource
        assert set(resource.capabilities) <= FRAMEWORK.ids(), resource.capabilities


def run(fmt: str) -> None:
    """Fuzz one importer; libFuzzer options and corpus folders come from the command line."""
    atheris.Setup(sys.argv, lambda data: check(data, fmt))
    atheris.Fuzz()
