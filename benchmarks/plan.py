"""Learning plans against working down the recommendation lists, for the same learners and time.

For each synthetic learner (an archetype and honest ratings of the statements badged for it,
turned into gaps by the assessment rule; the 60 most severe, the most a recommendation request
takes, so that both get the same gaps), in the same app:

- the plan: ``POST /api/v1/plans`` with the gaps, ``--weekly`` minutes and ``--weeks``;
- the list: ``POST /api/v1/recommendations`` with the same gaps and ``limit`` 50; the
  baseline and specialist lists merged by score and taken in order, each item that fits in
  the time left (first fit: a long item that does not fit is passed over, not the end of the
  list).

Both are scored by one rule, the plans' (docs/plans.md): a gap is covered when a taken
resource is mapped to its statement by a curator, or suggested with a calibrated confidence of
at least 0.5. Printed per mode: severity-weighted gaps covered, minutes used, and covered per
hour, for each; ``ratio`` is the plan's covered per hour over the list's (labelled mode).
``--unlabelled`` adds the same on the shipped catalogue stripped of every curated label and
re-indexed through the CLI and a real worker (benchmarks/evaluate.py), so all mappings are
the indexer's suggestions.

Quick run (12 learners, labelled only; under a minute):
    .venv/bin/python benchmarks/plan.py --quick
Full run (60 learners, both modes; a few minutes):
    .venv/bin/python benchmarks/plan.py --unlabelled
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from common import arguments, bench_app, machine
from evaluate import unlabelled_app
from sqlalchemy import or_, select

from catalogue.framework import ARCHETYPE_BADGES, load_framework
from catalogue.importers import read_resources, shipped_files
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender.access.keys import create_key
from recommender.content.framework import cached_statements
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.learners.rules import compute_gaps
from recommender.plans.choose import MIN_CONFIDENCE
from recommender.storage import db
from recommender.storage.models import Resource, ResourceCapability


def learners(count: int, seed: int = 3) -> list[tuple[str, dict[str, int]]]:
    """(archetype, ratings) per learner: each learner has an ability around which their
    0-4 ratings of the statements badged for their archetype fall."""
    framework = load_framework()
    rng = random.Random(seed)
    out = []
    for n in range(count):
        archetype = list(ARCHETYPE_BADGES)[n % len(ARCHETYPE_BADGES)]
        ability = rng.uniform(0.5, 2.5)
        ratings = {c.id: max(0, min(4, round(rng.gauss(ability, 1.0))))
                   for c in framework.capabilities if archetype in c.archetypes}
        out.append((archetype, ratings))
    return out


def counts(session) -> dict[int, set[str]]:
    """Resource id -> the statements it counts for (the plans' rule)."""
    out: dict[int, set[str]] = {}
    for rid, code in session.execute(
            select(ResourceCapability.resource_id, ResourceCapability.capability_code)
            .where(or_(ResourceCapability.source == "curated",
                       ResourceCapability.confidence >= MIN_CONFIDENCE))):
        out.setdefault(rid, set()).add(code)
    return out


def run(app, people, weekly: int, weeks: int) -> dict[str, float]:
    client = app.test_client()
    with app.app_context():
        session = db.session()
        key = create_key(session, "benchmark", ["admin"]).key
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        mapped = counts(session)
        rid = dict(session.execute(select(Resource.slug, Resource.id)).all())
        statements = cached_statements()
    budget = weekly * weeks
    totals = {"plan_covered": 0.0, "plan_minutes": 0.0, "list_covered": 0.0,
              "list_minutes": 0.0, "gaps": 0.0}
    for archetype, ratings in people:
        gaps = compute_gaps(statements, [archetype], ratings)[:60]  # worst first
        if not gaps:
            continue
        severity = {g.capability: g.severity for g in gaps}
        body = [{"capability": g.capability, "severity": g.severity} for g in gaps]
        plan = client.post("/api/v1/plans", json={"archetype": archetype, "gaps": body,
                                                  "weekly_minutes": weekly, "weeks": weeks})
        assert plan.status_code == 201, plan.get_json()
        plan = plan.get_json()
        taken = {i["id"]: i["minutes"] for w in plan["weeks"] for i in w["items"]}
        listed = client.post("/api/v1/recommendations", json={
            "archetype": archetype, "gaps": body, "limit": 50}).get_json()
        left, chosen = budget, {}
        for item in sorted(listed["baseline"] + listed["specialist"],
                           key=lambda i: -(i["score"] or -9)):
            minutes = item["duration_minutes"] or 60
            if minutes <= left:
                chosen[item["id"]] = minutes
                left -= minutes
        for name, picked in (("plan", taken), ("list", chosen)):
            covered = set().union(*(mapped.get(rid[slug], set()) for slug in picked)) \
                & set(severity)
            totals[f"{name}_covered"] += sum(severity[g] for g in covered)
            totals[f"{name}_minutes"] += sum(picked.values())
        totals["gaps"] += sum(severity.values())
    for name in ("plan", "list"):
        totals[f"{name}_per_hour"] = totals[f"{name}_covered"] / (totals[f"{name}_minutes"]
                                                                  / 60)
        totals[f"{name}_share"] = totals[f"{name}_covered"] / totals["gaps"]
    return totals


def report(mode: str, totals: dict[str, float], people: int) -> float:
    print(f"{mode}_learners: {people}")
    print(f"{mode}_gap_severity_per_learner: {totals['gaps'] / people:.1f}")
    for name in ("plan", "list"):
        print(f"{mode}_{name}_covered_per_learner: {totals[f'{name}_covered'] / people:.2f}")
        print(f"{mode}_{name}_share_covered: {totals[f'{name}_share']:.3f}")
        print(f"{mode}_{name}_minutes_per_learner: {totals[f'{name}_minutes'] / people:.0f}")
        print(f"{mode}_{name}_covered_per_hour: {totals[f'{name}_per_hour']:.3f}")
    ratio = totals["plan_per_hour"] / totals["list_per_hour"]
    print(f"{mode}_ratio: {ratio:.3f}")
    print(f"{mode}_covered_ratio: {totals['plan_covered'] / totals['list_covered']:.3f}")
    return ratio


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="12 learners, labelled only")
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--weekly", type=int, default=120, help="minutes a week")
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--unlabelled", action="store_true",
                        help="also on the catalogue stripped of curated labels")
    args = parser.parse_args()
    people = learners(12 if args.quick else args.learners)
    machine()
    print(f"weekly_minutes: {args.weekly}")
    print(f"weeks: {args.weeks}")
    framework = load_framework()
    app = bench_app(RATE_LIMIT_ENABLED=False)
    with app.app_context():
        upsert_resources(db.session(), read_resources(shipped_files(), framework).resources)
        build_index(db.session(), index_store(), get_encoder(DEFAULT_MODEL))
    ratio = report("labelled", run(app, people, args.weekly, args.weeks), len(people))
    if args.unlabelled and not args.quick:
        os.environ["RATE_LIMIT_ENABLED"] = "false"  # the app the CLI set up reads it
        stripped = unlabelled_app(Path(tempfile.mkdtemp(prefix="plan-unlabelled-")))
        report("unlabelled", run(stripped, people, args.weekly, args.weeks), len(people))
    print(f"ratio: {ratio:.3f}")


if __name__ == "__main__":
    main()
