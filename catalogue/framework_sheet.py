"""A capability framework file of any of our formats, by its extension: YAML (the shipped
form, catalogue.framework), or a spreadsheet, CSV or XLSX, with one row per statement
(docs/frameworks.md), read into the same Framework."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

from catalogue.errors import DataError
from catalogue.framework import Framework, load_framework
from catalogue.framework_profile import SheetProfile, load_sheet_profile
from catalogue.framework_rows import SheetProblems, framework_from_rows

SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 10_001  # the header and 10,000 statements (the published framework has 195)

__all__ = ["SUFFIXES", "SheetProblems", "read_framework", "sheet_rows"]


def read_framework(path: str | Path, profile: str | Path | None = None) -> Framework:
    """The framework in ``path`` (.yaml/.yml, .csv or .xlsx); a spreadsheet's headers and
    defaults by ``profile`` (a profile file's path) when they are not ours. DataError when the
    file cannot be read, SheetProblems (a DataError) listing every bad cell of a sheet."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        found = f"not {suffix}" if suffix else "this name has no extension"
        raise DataError(f"a framework file is {', '.join(SUFFIXES)}; {found}", source=str(path))
    if suffix in (".yaml", ".yml"):
        if profile is not None:
            raise DataError("a profile is for CSV and XLSX files; a YAML framework is in our "
                            "own keys", source=str(path))
        return load_framework(path)
    chosen = load_sheet_profile(profile) if profile is not None else SheetProfile()
    return framework_from_rows(sheet_rows(path, chosen), chosen, str(path))


def sheet_rows(path: Path, profile: SheetProfile) -> list[list[str]]:
    """Every row of a CSV or XLSX file as text cells, the header first; the rows of an XLSX
    file's first sheet, or the one the profile names."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"cannot read framework: {exc.strerror}", source=str(path)) from exc
    if size > MAX_BYTES:
        raise DataError(f"larger than {MAX_BYTES // 1024 // 1024} MB; is this a framework?",
                        source=str(path))
    return _csv_rows(path, profile) if path.suffix.lower() == ".csv" \
        else _xlsx_rows(path, profile)


def _csv_rows(path: Path, profile: SheetProfile) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a BOM (as Excel writes) is dropped
    except OSError as exc:
        raise DataError(f"cannot read framework: {exc.strerror}", source=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start}); save the sheet as CSV UTF-8",
                        source=str(path)) from exc
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = profile.delimiter or (max(",;\t", key=header.count)
                                      if any(d in header for d in ",;\t") else ",")
    # newline="": the csv module splits rows itself, so a line break inside a quoted cell
    # stays in that cell and rows are numbered as a spreadsheet shows them
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise DataError(f"more than {MAX_ROWS - 1} statements; is this a framework?",
                                source=str(path))
    except csv.Error as exc:
        raise DataError(f"malformed CSV at row {len(rows) + 1}: {exc}", source=str(path)) \
            from exc
    return rows


def _xlsx_rows(path: Path, profile: SheetProfile) -> list[list[str]]:
    # local: only XLSX files need openpyxl, and importing it costs a CLI start 0.1 s
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    rows: list[list[str]] = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles, validation and extensions it skips: not our concern
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                if profile.sheet is not None and profile.sheet not in book.sheetnames:
                    raise DataError(f"no sheet {profile.sheet!r}; the sheets are "
                                    f"{', '.join(map(repr, book.sheetnames))}", source=str(path))
                sheet = book[profile.sheet] if profile.sheet else book.worksheets[0]
                for values in sheet.iter_rows(values_only=True):
                    rows.append([_text(v) for v in values])
                    if len(rows) > MAX_ROWS:
                        raise DataError(f"more than {MAX_ROWS - 1} statements; is this a "
                                        "framework?", source=str(path))
            finally:
                book.close()
    except DataError:
        raise
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError,
            TypeError, IndexError, ParseError) as exc:  # not an XLSX file, or a broken one
        raise DataError(f"cannot read XLSX: {exc}", source=str(path)) from exc
    return rows


def _text(value: object) -> str:
    """A cell's value as the text a spreadsheet shows: whole numbers without '.0' (a level
    typed as 2), other numbers as Python writes them (2.1), dates as ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
