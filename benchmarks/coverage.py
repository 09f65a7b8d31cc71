"""Coverage reads as the number of assessed learners grows: the demand is read from the counts
kept per cell (recommender/learners/demand.py), so a read should cost the same at any count.

For each size, in a fresh app over the shipped catalogue: synthetic learners (one archetype or
two, each rating about 60% of the statements badged for them 0-4) are written straight to the
database in bulk, their demand counted once (``demand.rebuild``, as `recommender
load-framework` does), then ``GET /api/v1/coverage`` and ``GET /api/v1/coverage/gaps`` are
timed in this process (``--requests`` each, after a warm-up), and one more assessment stored
through ``POST /api/v1/assessments`` (which updates the counts in its transaction).

Printed per size: ``n<N>_coverage_p50_ms``, ``n<N>_gaps_p50_ms``, ``n<N>_assessment_p50_ms``,
``n<N>_count_seconds`` (the one-off count); ``ratio`` is the coverage p50 at the largest size
over the smallest's (target at most 1.5).

Quick run (1k and 10k learners; under a minute):
    .venv/bin/python benchmarks/coverage.py --quick
Full run (1k and 100k learners; a few minutes):
    .venv/bin/python benchmarks/coverage.py
A million learners (60 million answers; about an hour and several GB of disk):
    .venv/bin/python benchmarks/coverage.py --sizes 1000,1000000
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from common import arguments, bench_app, machine, percentile
from sqlalchemy import insert

from catalogue.framework import ARCHETYPE_BADGES, load_framework
from catalogue.importers import read_resources, shipped_files
from recommender.content.framework import current_version
from recommender.content.store import upsert_resources
from recommender.learners import demand
from recommender.storage import db
from recommender.storage.models import Assessment, AssessmentAnswer, Learner

BATCH = 2_000  # learners written per transaction


def write_learners(app, count: int, seed: int = 5) -> None:
    framework = load_framework()
    badged = {a: [c.id for c in framework.capabilities if a in c.archetypes]
              for a in ARCHETYPE_BADGES}
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        session = db.session()
        version = current_version(session)
        for first in range(0, count, BATCH):
            learners, assessments, answers = [], [], []
            for n in range(first, min(count, first + BATCH)):
                learner = f"synthetic-{n:07d}"
                archetypes = rng.sample(list(badged), rng.choice((1, 1, 1, 2)))
                ident = str(uuid.UUID(int=rng.getrandbits(128)))
                learners.append({"id": learner, "created_at": start})
                assessments.append({"id": ident, "learner_id": learner,
                                    "framework_version": version, "archetypes": archetypes,
                                    "skipped_domains": [],
                                    "created_at": start + timedelta(seconds=n)})
                rated = sorted({c for a in archetypes for c in badged[a]})
                answers += [{"assessment_id": ident, "capability_code": c,
                             "rating": rng.randint(0, 4)} for c in rated if rng.random() < 0.6]
            session.execute(insert(Learner), learners)
            session.execute(insert(Assessment), assessments)
            session.execute(insert(AssessmentAnswer), answers)
            session.commit()


def timed(call, requests: int) -> float:
    call()  # warm-up
    took = []
    for _ in range(requests):
        began = time.perf_counter()
        call()
        took.append(time.perf_counter() - began)
    return percentile(took, 50) * 1000


def measure(count: int, requests: int) -> float:
    app = bench_app(RATE_LIMIT_ENABLED=False, AUTH_REQUIRED=False)
    with app.app_context():
        upsert_resources(db.session(), read_resources(shipped_files(), load_framework())
                         .resources)
    write_learners(app, count)
    with app.app_context():
        began = time.perf_counter()
        counted = demand.rebuild(db.session())
        print(f"n{count}_count_seconds: {time.perf_counter() - began:.2f}")
        assert counted == count, counted
    client = app.test_client()

    def read(path: str):
        answer = client.get(path)
        assert answer.status_code == 200, answer.get_json()

    coverage = timed(lambda: read("/api/v1/coverage"), requests)
    gaps = timed(lambda: read("/api/v1/coverage/gaps"), requests)
    rng = random.Random(count)

    def store():
        answer = client.post("/api/v1/assessments", json={
            "learner_id": f"synthetic-{rng.randrange(count):07d}", "archetypes": ["user"],
            "answers": [{"capability": "6.3.2", "rating": rng.randint(0, 4)},
                        {"capability": "2.0.4", "rating": rng.randint(0, 4)}]})
        assert answer.status_code == 201, answer.get_json()

    stored = timed(store, requests)
    learners = client.get("/api/v1/coverage").get_json()["learners_assessed"]
    print(f"n{count}_learners_assessed: {learners}")
    print(f"n{count}_coverage_p50_ms: {coverage:.1f}")
    print(f"n{count}_gaps_p50_ms: {gaps:.1f}")
    print(f"n{count}_assessment_p50_ms: {stored:.1f}")
    return coverage


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k learners")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    sizes = [1000, 10000] if args.quick else [int(x) for x in args.sizes.split(",")]
    machine()
    p50 = {n: measure(n, args.requests) for n in sizes}
    print(f"ratio: {p50[sizes[-1]] / p50[sizes[0]]:.3f}")


if __name__ == "__main__":
    main()
