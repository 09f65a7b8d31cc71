"""CSV with a header row in our field names (docs/catalogue-formats.md); records are the line
numbers a spreadsheet shows. List columns (archetypes, capabilities, topics) are separated by
semicolons."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from catalogue.errors import DataError
from catalogue.exporters import FORMULA_STARTS

REQUIRED_COLUMNS = ("title", "url")
LIST_COLUMNS = ("archetypes", "capabilities", "topics")


def read(location: str, fetch: Callable[[str], str]) -> Iterator[tuple[int, object]]:
    text = fetch(location)
    # the header row (our plain column names) tells the delimiter; quoting is always the
    # standard double quote (guessing it from the data took apostrophes in text for quotes)
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=header.count) if any(d in header for d in ",;\t") else ","
    # newline="": the csv module splits lines itself (a lone CR, a newline inside quotes)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"missing columns: {', '.join(missing)}", source=location)
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
    out = {k: (_unescape(v.strip()) if isinstance(v, str) else v) for k, v in row.items()}
    for column in LIST_COLUMNS:
        if out.get(column):
            out[column] = [v.strip() for v in out[column].split(";") if v.strip()]
    duration = out.get("duration_minutes")
    if duration == "":
        out["duration_minutes"] = None
    elif isinstance(duration, str) and duration.isdigit():
        out["duration_minutes"] = int(duration)
    return out


def _unescape(cell: str) -> str:
    """Undo the exporter's formula guard (catalogue.exporters): one leading apostrophe before
    =, +, -, @ or another apostrophe is dropped; any other apostrophe is text."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in (*FORMULA_STARTS, "'") else cell
