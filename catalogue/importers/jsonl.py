"""JSON Lines: one resource object per line, in our field names; records are line numbers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from catalogue.errors import DataError


def read(location: str, fetch: Callable[[str], str]) -> Iterator[tuple[int, object]]:
    for line_no, line in enumerate(fetch(location).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield line_no, json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, DataError(f"malformed JSON: {exc.msg} at column {exc.colno}",
                                     record=line_no, source=location)
