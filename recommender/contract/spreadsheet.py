"""CSV that opens cleanly in a spreadsheet: UTF-8 with a BOM, CRLF line ends, a header row,
and no cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A value as a CSV cell: text that a spreadsheet would read as a formula gets a leading
    apostrophe; None is an empty cell, booleans are yes/no, lists are joined with '; '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(name)) for name in columns])
    return BOM + out.getvalue()


def csv_response(columns: Sequence[str], rows: Iterable[dict], filename: str) -> Response:
    return Response(to_csv(columns, rows).encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
