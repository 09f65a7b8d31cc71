"""Helpers shared by the benchmarks: throwaway apps, percentiles, the machine's load.

Importing this module puts the project on ``sys.path``; synthetic catalogues come from
``synthetic.py``."""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalogue.framework import load_framework  # noqa: E402
from catalogue.importers import read_resources, shipped_files  # noqa: E402
from catalogue.resources import Resource  # noqa: E402
from recommender import create_app  # noqa: E402
from recommender.content.framework import load_framework as store_framework  # noqa: E402
from recommender.content.store import upsert_resources  # noqa: E402
from recommender.storage import db, migrate


def bench_config(folder: Path) -> dict:
    """Settings of an app whose SQLite database and index versions live in ``folder``."""
    return {"VAR_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'b.db'}",
            "INDEX_DIR": str(folder / "indexes")}


def bench_app(folder: Path | None = None, **config):
    """A migrated SQLite app holding the framework, its files in ``folder`` (default: a new
    temp folder); ``config`` overrides settings."""
    folder = folder or Path(tempfile.mkdtemp(prefix="bench-"))
    app = create_app({**bench_config(folder), **config})
    with app.app_context():
        migrate.upgrade(db.engine())
        store_framework(db.session(), load_framework())
    return app


def make_app(resources: list[Resource]):
    """A migrated SQLite app in a temp folder holding the framework and ``resources``."""
    app = bench_app()
    with app.app_context():
        upsert_resources(db.session(), resources)
    return app


def curated_split(seed: int = 11, held_out: float = 0.3):
    """The framework and the shipped resources curators mapped, shuffled by ``seed``, and how
    many of them (the first) are held out: the capability-suggestion benchmarks choose on the
    rest and report on these."""
    framework = load_framework()
    resources = [r for r in read_resources(shipped_files(), framework).resources
                 if r.capabilities]
    random.Random(seed).shuffle(resources)
    return framework, resources, int(len(resources) * held_out)


def arguments(doc: str) -> argparse.ArgumentParser:
    """A parser whose --help shows the script's docstring as written (its full-size runs)."""
    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def machine() -> None:
    """Print what the figures depend on: the machine is shared, so the load matters."""
    one, five, _ = os.getloadavg()
    print(f"cpus: {os.cpu_count()}")
    print(f"loadavg_1m: {one:.2f}")
    print(f"loadavg_5m: {five:.2f}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]
