"""Learners' demand and feedback marks kept as counts: coverage read from the counts agrees with
what the stored assessments and feedback give (the computation coverage used before the
counts), after assessments are stored, replaced and deleted and marks changed through the API,
on SQLite and PostgreSQL; and suppression is unchanged."""

from __future__ import annotations

import random

from sqlalchemy import select

from recommender.content.framework import current_version
from recommender.learners import demand
from recommender.learners.assessments import mapped, statement_infos
from recommender.learners.feedback import marks
from recommender.learners.rules import preferred_level
from recommender.storage import db, migrate
from recommender.storage.models import Assessment, DemandCell, Feedback, Resource


def oracle(session) -> dict[tuple[str, str, str, str], tuple[int | None, float | None]]:
    """Demand per (grouping, unit, archetype, level) straight from each learner's latest
    assessment: the distinct learners with a gap among the unit's statements badged for the
    archetype whose gaps call for the level, and the mean severity of those gaps."""
    version = current_version(session)
    known = statement_infos(session, version)
    latest: dict[str, Assessment] = {}
    for a in session.scalars(select(Assessment).order_by(Assessment.created_at, Assessment.id)):
        latest[a.learner_id] = a
    found: dict[tuple, tuple[set, list]] = {}
    for assessment in latest.values():
        for gap in mapped(session, assessment, version, known)["gaps"]:
            s = known[gap["capability"]]
            for archetype in assessment.archetypes:
                if archetype not in s.archetypes:
                    continue
                for grouping, unit in (("statement", s.id), ("group", s.group_id),
                                       ("domain", s.domain_id)):
                    key = (grouping, unit, archetype, preferred_level(s.level))
                    learners, severities = found.setdefault(key, (set(), []))
                    learners.add(assessment.learner_id)
                    severities.append(gap["severity"])
    return {key: (len(learners), round(sum(sev) / len(sev), 2))
            for key, (learners, sev) in found.items()}


def served(client, grouping: str) -> dict[tuple, tuple]:
    body = client.get(f"/api/v1/coverage?group={grouping}").get_json()
    return {(grouping, c["id"], c["archetype"], c["level"]):
            (c["demand_learners"], c["mean_severity"]) for c in body["cells"]
            if c["demand_learners"]}


def test_counted_demand_agrees_with_the_assessments_after_stores_replacements_and_deletions(
        tmp_path, framework, make_app, database_url):
    app = make_app(tmp_path, framework, [], database_url=database_url,
                   COVERAGE_MIN_LEARNERS=1)
    client = app.test_client()
    assert client.get("/api/v1/coverage").status_code == 200  # the first read counts ...
    with app.app_context():  # ... no learners yet, so what follows is counted as it comes
        assert demand.counted(db.session(), current_version(db.session()))
    rng = random.Random(7)
    codes = {a: [c.id for c in framework.capabilities if a in c.archetypes]
             for a in ("user", "embedder", "creator", "driver", "shaper")}
    learners = [f"learner-demand-{i:03d}" for i in range(24)]
    for round_ in range(3):  # each learner is assessed up to three times: replacements
        for learner in learners[: 24 - 6 * round_]:
            archetypes = rng.sample(list(codes), rng.choice((1, 1, 2)))
            rated = {c for a in archetypes for c in codes[a]}
            answers = [{"capability": c, "rating": rng.randint(0, 4)}
                       for c in sorted(rated) if rng.random() < 0.6]
            answer = client.post("/api/v1/assessments", json={
                "learner_id": learner, "archetypes": archetypes, "answers": answers})
            assert answer.status_code == 201
    for learner in learners[::5]:
        assert client.delete(f"/api/v1/learners/{learner}").status_code == 204
    with app.app_context():
        expected = oracle(db.session())
        assert db.session().scalar(select(DemandCell.learners).where(
            DemandCell.grouping == "all")) == len(learners) - len(learners[::5])
    read = {}
    for grouping in ("statement", "group", "domain"):
        read.update(served(client, grouping))
    assert read == expected
    assert len(expected) > 100
    # counting again from scratch gives the same cells
    with app.app_context():
        before = {(c.grouping, c.unit, c.archetype, c.level): (c.learners, c.severity_sum,
                                                               c.gaps)
                  for c in db.session().scalars(select(DemandCell)) if c.learners}
        demand.rebuild(db.session())
        after = {(c.grouping, c.unit, c.archetype, c.level): (c.learners, c.severity_sum,
                                                              c.gaps)
                 for c in db.session().scalars(select(DemandCell)) if c.learners}
    assert after == before
    gaps = client.get("/api/v1/coverage/gaps?limit=200").get_json()["gaps"]
    ranked = [(g["statement"], g["archetype"], g["demand_learners"], g["mean_severity"])
              for g in gaps if g["tier"] == "demand"]
    assert len(ranked) == 200
    # a statement's gaps call for one level, so a statement and archetype name one cell
    by_statement = {(u, a): value for (grouping, u, a, _), value in expected.items()
                    if grouping == "statement"}
    assert ranked == [(u, a, *by_statement[(u, a)]) for u, a, _, _ in ranked]


def test_small_cells_stay_suppressed_and_a_new_framework_version_is_counted_afresh(
        tmp_path, framework, make_app):
    app = make_app(tmp_path, framework, [])
    client = app.test_client()
    client.get("/api/v1/coverage")
    for i in range(5):
        client.post("/api/v1/assessments", json={
            "learner_id": f"learner-small-{i:03d}", "archetypes": ["user"],
            "answers": [{"capability": "6.3.2", "rating": 1 if i < 4 else 0}]})
    body = client.get("/api/v1/coverage?domain=6&archetype=user&level=baseline").get_json()
    cell = next(c for c in body["cells"] if c["id"] == "6.3.2")
    assert (cell["demand_learners"], cell["mean_severity"]) == (5, 2.2)
    client.delete("/api/v1/learners/learner-small-000")
    body = client.get("/api/v1/coverage?domain=6&archetype=user&level=baseline").get_json()
    cell = next(c for c in body["cells"] if c["id"] == "6.3.2")
    assert (cell["demand_learners"], cell["demand_suppressed"]) == (None, True)  # 4 < 5
    assert body["learners_assessed"] is None
    with app.app_context():
        session = db.session()
        session.query(DemandCell).delete()  # as after an upgrade: nothing counted yet
        session.commit()
    assert client.get("/api/v1/coverage").get_json()["learners_assessed"] is None
    with app.app_context():
        assert db.session().scalar(select(DemandCell.learners).where(
            DemandCell.grouping == "all")) == 4


def test_feedback_marks_are_counted_by_each_learners_latest_mark(tmp_path, framework,
                                                                 shipped_resources, make_app,
                                                                 database_url):
    resources = [r for r in shipped_resources if r.capabilities][:6]
    app = make_app(tmp_path, framework, resources, database_url=database_url)
    client = app.test_client()
    rng = random.Random(3)
    pairs = [(r.id, r.capabilities[0]) for r in resources]
    learners = [f"learner-marks-{i:03d}" for i in range(12)]
    for _ in range(80):  # marks, changed minds, repeats and other verdicts
        slug, code = rng.choice(pairs)
        assert client.post("/api/v1/feedback", json={
            "learner_id": rng.choice(learners), "resource": slug, "capability": code,
            "verdict": rng.choice(("useful", "not_useful", "useful", "completed"))}
        ).status_code == 201
    for learner in learners[:3]:
        assert client.delete(f"/api/v1/learners/{learner}").status_code == 204
    with app.app_context():
        session = db.session()
        latest: dict[tuple, str] = {}
        for f in session.scalars(select(Feedback).where(Feedback.verdict.in_(
                ("useful", "not_useful"))).order_by(Feedback.created_at, Feedback.id)):
            latest[(f.resource_id, f.capability_code, f.learner_id)] = f.verdict
        expected: dict[tuple, list[int]] = {}
        for (rid, code, _), verdict in latest.items():
            counts = expected.setdefault((rid, code), [0, 0])
            counts[0 if verdict == "not_useful" else 1] += 1
        assert marks(session) == {k: tuple(v) for k, v in expected.items()}
        assert sum(sum(v) for v in expected.values()) > 10


def test_the_upgrade_counts_the_marks_recorded_before_it(tmp_path, framework,
                                                         shipped_resources, make_app,
                                                         database_url):
    resource = next(r for r in shipped_resources if r.capabilities)
    app = make_app(tmp_path, framework, [resource], database_url=database_url)
    client = app.test_client()
    for learner, verdict in (("learner-up-0001", "useful"), ("learner-up-0002", "useful"),
                             ("learner-up-0002", "not_useful"), ("learner-up-0003", "useful")):
        client.post("/api/v1/feedback", json={"learner_id": learner, "resource": resource.id,
                                               "capability": resource.capabilities[0],
                                               "verdict": verdict})
    with app.app_context():
        engine = db.engine()
        migrate.downgrade(engine, "0009")
        migrate.upgrade(engine)
        rid = db.session().scalar(select(Resource.id))
        assert marks(db.session()) == {(rid, resource.capabilities[0]): (1, 2)}
