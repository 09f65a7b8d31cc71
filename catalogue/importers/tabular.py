"""CSV with a header row in our field names (docs/catalogue-formats.md); records are the line
numbers a spreadsheet shows. List columns (archetypes, capabilities, topics) are separated by
semicolons."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from catalogue.errors import DataError

REQUIRED_COLUMNS = ("id", "title", "url")
LIST_COLUMNS = ("archetypes", "capabilities", "topics")


def read(location: str, fetch: Callable[[str], str]) -> Iterator[tuple[int, object]]:
    text = fetch(location)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"missing columns: {', '.join(missing)}", source=location)
    try:
        for row in reader:
            if None in row:
                yield reader.line_num, DataError("more cells than header columns",
                                                 record=reader.line_num, source=location)
                continue
            yield reader.line_num, _typed(row)
    except csv.Error as exc:
        raise DataError(f"malformed CSV at line {reader.line_num}: {exc}",
                        source=location) from exc


def _typed(row: dict) -> dict:
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
    for column in LIST_COLUMNS:
        if out.get(column):
            out[column] = [v.strip() for v in out[column].split(";") if v.strip()]
    duration = out.get("duration_minutes")
    if duration == "":
        out["duration_minutes"] = None
    elif isinstance(duration, str) and duration.isdigit():
        out["duration_minutes"] = int(duration)
    return out
