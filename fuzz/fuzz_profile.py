"""Fuzz the import profiles: `python fuzz/fuzz_profile.py [libFuzzer options] [corpus folders]`.

Each input goes three ways: as a source through the shipped dalia (CSV) and nfdi4bioimage
(YAML) profiles, and as a profile document of its own (which, when it loads, reads a small
sample source). Reading may refuse the input with a DataError or reject records one by one;
any other exception, or a record that is not a mapping of our fields with JSON values, is a
crash that libFuzzer reports with the input that caused it. (Self-contained: harness.run goes
through read_resources' format registry, which has no profile reader.)

    python fuzz/fuzz_profile.py -max_total_time=60 var/fuzz/profile fuzz/seeds/profile
"""

from __future__ import annotations

import json
import sys

import atheris

with atheris.instrument_imports(include=["catalogue"]):
    from catalogue.errors import DataError
    from catalogue.importers.fetch import decode
    from catalogue.importers.profiles import FIELDS, load_profile, parse_profile, read

SHIPPED = [load_profile("dalia"), load_profile("nfdi4bioimage")]
SAMPLES = {"csv": "Title,Link,Keywords\nOne,https://x.example,a * b\n",
           "yaml": "resources:\n- {name: One, url: [https://x.example], tags: [a, b]}\n",
           "json": '[{"name": "One", "url": "https://x.example"}]',
           "jsonl": '{"name": "One", "url": "https://x.example"}\n'}


def check_read(text: str, profile) -> None:
    try:
        records = list(read("fuzz-input", lambda _: text, profile))
    except DataError as exc:
        assert exc.reason, exc
        return
    for number, record in records:
        assert isinstance(number, int), number
        if isinstance(record, DataError):
            assert record.reason and record.record == number, record
            continue
        assert isinstance(record, dict) and set(record) <= set(FIELDS), record
        assert all(v not in (None, "", []) for v in record.values()), record
        json.dumps(record, allow_nan=False)


def check(data: bytes) -> None:
    try:
        text = decode(data, "fuzz-input")
    except DataError:
        return
    for profile in SHIPPED:
        check_read(text, profile)
    try:
        profile = parse_profile(text, "fuzz-profile")
    except DataError as exc:
        assert exc.reason, exc
        return
    check_read(SAMPLES[profile.format], profile)


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
