"""Helpers shared by the benchmarks: a throwaway app and a synthetic catalogue."""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalogue.framework import load_framework  # noqa: E402
from catalogue.resources import Resource  # noqa: E402
from recommender import create_app, db, migrate  # noqa: E402
from recommender.catalogue_store import upsert_resources  # noqa: E402
from recommender.framework_store import load_framework as store_framework  # noqa: E402

WORDS = [
    "clinical",
    "data",
    "patient",
    "safety",
    "digital",
    "health",
    "record",
    "model",
    "evaluation",
    "bias",
    "privacy",
    "consent",
    "workflow",
    "remote",
    "monitoring",
    "dashboard",
    "analytics",
    "governance",
    "leadership",
    "change",
    "training",
    "validation",
    "deployment",
    "interoperability",
    "standards",
    "wearable",
    "telehealth",
    "learning",
    "algorithm",
    "imaging",
    "triage",
    "outcome",
    "audit",
    "quality",
    "improvement",
]


def synthetic_resources(n: int, seed: int = 1) -> list[Resource]:
    """n resources with about 60-word descriptions and a skewed capability distribution."""
    rng = random.Random(seed)
    framework = load_framework()
    codes = [c.id for c in framework.capabilities]
    weights = [1 / (i + 1) for i in range(len(codes))]  # Zipf-like: a few statements dominate
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(45, 75))]
        out.append(
            Resource(
                id=f"synthetic-{i}",
                title=" ".join(rng.choice(WORDS) for _ in range(6)).title(),
                url=f"https://example.org/resource/{i}",
                provider=f"Provider {i % 37}",
                licence="CC-BY-4.0",
                access="open",
                description=" ".join(words).capitalize() + ".",
                format=rng.choice(["course", "video", "article", "guidance"]),
                level=rng.choice(["baseline", "specialist"]),
                archetypes=tuple(
                    rng.sample(["shaper", "driver", "creator", "embedder", "user"], 2)
                ),
                capabilities=tuple(dict.fromkeys(rng.choices(codes, weights, k=2))),
                duration_minutes=rng.randint(10, 600),
                topics=("synthetic",),
            )
        )
    return out


def make_app(resources: list[Resource]):
    """A migrated SQLite app in a temp folder holding the framework and ``resources``."""
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    app = create_app(
        {
            "VAR_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'b.db'}",
            "INDEX_DIR": str(folder / "indexes"),
        }
    )
    with app.app_context():
        migrate.upgrade(db.engine())
        store_framework(db.session(), load_framework())
        upsert_resources(db.session(), resources)
    return app


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]
