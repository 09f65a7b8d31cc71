"""A delta's files under ``versions/<version>/deltas/``: ``<stem>.npz`` (its arrays) and
``<stem>.json`` (its manifest: the delta before it, the npz's checksum, the manifest fields
it changes). Written under temporary names, fsynced and renamed, npz first: a manifest that
exists names a complete delta. Neither is ever changed afterwards."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from indexes.deltas import Delta
from indexes.files import IndexLoadError, fsync, sha256

LONGEST_CHAIN = 100_000  # a chain longer than this has a loop in it


def meta(folder: Path, stem: str) -> dict:
    return json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))


def chain(folder: Path, base: str, top: str) -> list[tuple[str, dict]]:
    """The deltas from the first over ``base`` to ``top``, oldest first, with their
    manifests (each names its parent)."""
    found, stem = [], top
    while stem:
        try:
            found.append((stem, meta(folder, stem)))
        except (OSError, ValueError) as exc:
            raise IndexLoadError(f"index delta {base}+{stem} has no readable manifest") from exc
        stem = found[-1][1].get("parent")
        if len(found) > LONGEST_CHAIN:
            raise IndexLoadError(f"index delta {base}+{top}: its chain does not end")
    return found[::-1]


def read(folder: Path, base: str, stem: str, manifest: dict) -> Delta:
    path = folder / f"{stem}.npz"
    if not path.exists() or sha256(path) != manifest.get("files", {}).get(path.name):
        raise IndexLoadError(f"index delta {base}+{stem} is missing or does not match its "
                             "checksum")
    with np.load(path) as arrays:
        return Delta.from_arrays(arrays)


def write(folder: Path, stem: str, delta: Delta, manifest: dict, written: list[Path]) -> None:
    """Write a delta's two files; every path made is appended to ``written`` as it is made
    (for the caller to remove should a later step fail)."""
    final = [folder / f"{stem}.npz", folder / f"{stem}.json"]
    temporary = [folder / f".tmp-{stem}.npz", folder / f".tmp-{stem}.json"]
    written.append(temporary[0])
    with temporary[0].open("wb") as fh:
        np.savez(fh, **delta.arrays())
    full = dict(manifest, files={final[0].name: sha256(temporary[0])})
    written.append(temporary[1])
    temporary[1].write_text(json.dumps(full, indent=2, sort_keys=True), encoding="utf-8")
    for path in temporary:
        fsync(path)
    for tmp, path in zip(temporary, final, strict=True):
        written.append(path)
        os.rename(tmp, path)
    fsync(folder)
