"""The shipped catalogue's YAML: a list of resources, or a mapping with a ``resources`` key."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import yaml

from catalogue.errors import DataError


def read(location: str, fetch: Callable[[str], str]) -> Iterator[tuple[int, object]]:
    try:
        raw = yaml.safe_load(fetch(location))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DataError(f"malformed YAML{where}", source=location) from exc
    items = raw.get("resources") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise DataError("expected a list of resources (or a 'resources:' key)", source=location)
    yield from enumerate(items, start=1)
