"""Fetch the text of a file path or an http(s) URL, with errors a curator can act on."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from catalogue.errors import DataError

MAX_BYTES = 50 * 1024 * 1024
TIMEOUT = 30


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def fetch_text(location: str) -> str:
    """Return the UTF-8 text at ``location`` (a BOM is dropped)."""
    return decode(fetch_bytes(location), location)


def fetch_bytes(location: str) -> bytes:
    if is_url(location):
        request = urllib.request.Request(location, headers={"User-Agent":
                                                            "dart-ed-recommender importer"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                data = response.read(MAX_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DataError(f"cannot fetch: {getattr(exc, 'reason', exc)}",
                            source=location) from exc
    else:
        try:
            with Path(location).open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise DataError(f"cannot read file: {exc.strerror or exc}", source=location) from exc
    if len(data) > MAX_BYTES:
        raise DataError(f"larger than {MAX_BYTES // (1024 * 1024)} MB", source=location)
    return data


def decode(data: bytes, location: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", source=location) from exc
