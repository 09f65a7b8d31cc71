"""Migration 0013 (frameworks as data) carries a database made by the previous schema into
DART-Ed unchanged: framework versions and statements, curated and suggested mappings,
curators' decisions, assessments and their answers, feedback and its marks, demand cells and
plans, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from recommender.storage import db, migrate

TABLES = {  # table -> the columns it had before 0013, in a stable order
    "framework_versions": "version, title, checksum, is_current",
    "capabilities": "id, framework_version, code, text, level, provenance, level_source, "
                    "domain_id, group_id",
    "resource_capabilities": "resource_id, capability_code, source, confidence",
    "suggestion_decisions": "resource_id, capability_code, verdict, confidence",
    "assessments": "id, learner_id, framework_version",
    "assessment_answers": "assessment_id, capability_code, rating",
    "feedback": "id, learner_id, resource_id, capability_code, verdict",
    "feedback_marks": "resource_id, capability_code, not_useful, useful",
    "demand_cells": "framework_version, grouping, unit, archetype, level, learners, "
                    "severity_sum, gaps",
    "plans": "id, learner_id, assessment_id",
}


def _rows(conn, table: str) -> list[tuple]:
    columns = TABLES[table]
    return [tuple(r) for r in conn.execute(text(f"SELECT {columns} FROM {table} "
                                                f"ORDER BY {columns}"))]


def test_a_database_of_the_previous_schema_is_carried_into_dart_ed(
        tmp_path, framework, shipped_resources, make_app, database_url):
    mapped = [r for r in shipped_resources if r.capabilities][:3]
    app = make_app(tmp_path, framework, mapped, database_url=database_url)
    client = app.test_client()
    code = mapped[0].capabilities[0]
    with app.app_context():
        engine = db.engine()
        migrate.downgrade(engine, "0012")  # the schema before frameworks were data
        with engine.begin() as conn:  # what the previous release wrote, as it wrote it
            rid = conn.execute(text("SELECT id FROM resources ORDER BY id")).scalars().first()
            conn.execute(text(
                "INSERT INTO resource_capabilities (resource_id, capability_code, source, "
                "confidence) VALUES (:r, '6.0.2', 'suggested', 0.61)"), {"r": rid})
            conn.execute(text(
                "INSERT INTO suggestion_decisions (resource_id, capability_code, verdict, "
                "confidence, decided_at) VALUES (:r, '6.0.3', 'rejected', 0.5, "
                "CURRENT_TIMESTAMP)"), {"r": rid})
            conn.execute(text("INSERT INTO learners (id, created_at) VALUES "
                              "('learner-migrated-1', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO assessments (id, learner_id, framework_version, archetypes, "
                "skipped_domains, created_at) VALUES ('a-1', 'learner-migrated-1', :v, "
                "'[\"user\"]', '[]', CURRENT_TIMESTAMP)"), {"v": framework.version})
            conn.execute(text("INSERT INTO assessment_answers (assessment_id, capability_code, "
                              "rating) VALUES ('a-1', :c, 0)"), {"c": code})
            conn.execute(text(
                "INSERT INTO feedback (learner_id, resource_id, capability_code, verdict, "
                "created_at) VALUES ('learner-migrated-1', :r, :c, 'not_useful', "
                "CURRENT_TIMESTAMP)"), {"r": rid, "c": code})
            conn.execute(text(
                "INSERT INTO feedback_marks (resource_id, capability_code, not_useful, useful) "
                "VALUES (:r, :c, 1, 0)"), {"r": rid, "c": code})
            conn.execute(text(
                "INSERT INTO demand_cells (framework_version, grouping, unit, archetype, "
                "level, learners, severity_sum, gaps) VALUES (:v, 'statement', :c, 'user', "
                "'baseline', 1, 3, 1)"), {"v": framework.version, "c": code})
            conn.execute(text(
                "INSERT INTO plans (id, learner_id, assessment_id, request, chosen, uncovered, "
                "created_at, updated_at) VALUES ('p-1', 'learner-migrated-1', 'a-1', '{}', "
                "'[]', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            before = {table: _rows(conn, table) for table in TABLES}
        assert all(before[t] for t in TABLES), [t for t in TABLES if not before[t]]

        migrate.upgrade(engine)
        with engine.connect() as conn:
            after = {table: _rows(conn, table) for table in TABLES}
            frameworks = {table: set(conn.execute(text(f"SELECT DISTINCT framework FROM "
                                                       f"{table}")).scalars())
                          for table in TABLES if table != "assessment_answers"}
            roles = conn.execute(text("SELECT archetypes FROM framework_versions")).scalar()
        assert after == before
        assert frameworks == {t: {"dart-ed"} for t in frameworks}
        assert "shaper" in str(roles) and "user" in str(roles)

    # and the service reads them as DART-Ed's
    shown = client.get("/api/v1/assessments/a-1").get_json()
    assert (shown["framework"], shown["framework_version"], shown["answers"]) == (
        "dart-ed", framework.version, [{"capability": code, "rating": 0}])
    # a statement id added after the upgrade gets an id after the copied ones (PostgreSQL's
    # sequence was moved on)
    with app.app_context():
        with db.engine().begin() as conn:
            highest = conn.execute(text("SELECT MAX(id) FROM capabilities")).scalar()
            conn.execute(text(
                "INSERT INTO framework_versions (framework, version, title, checksum, "
                "is_current, loaded_at, source_url, archetypes) VALUES ('other', '1', 't', "
                "'c', false, CURRENT_TIMESTAMP, '', '[]')"))
            new = conn.execute(text(
                "INSERT INTO capabilities (framework, framework_version, code, text, level, "
                "archetypes, provenance, level_source, domain_id, domain_name, group_id, "
                "group_name) VALUES ('other', '1', '1.1', 'x', 1, '[]', 'authored', "
                "'stated', '1', 'd', '1', 'g') RETURNING id")).scalar()
        assert new > highest
