"""Migrations and storage on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select

from recommender.content.framework import capabilities, current_version, load_framework
from recommender.content.store import catalogue_checksum, upsert_resources
from recommender.storage import db, migrate
from recommender.storage.models import Base, Capability, Resource, ResourceCapability


@pytest.fixture
def migrated(tmp_path, database_url, make_app):
    """A migrated, empty database (SQLite or PostgreSQL) behind a real app."""
    return make_app(tmp_path, None, [], database_url=database_url)


def test_upgrade_creates_the_schema_and_downgrade_removes_it(migrated):
    with migrated.app_context():
        engine = db.engine()
        assert migrate.current_revision(engine) == migrate.head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"resources", "resource_capabilities", "capabilities", "framework_versions",
                "index_builds"} <= tables
        migrate.downgrade(engine, "base")
        assert "resources" not in inspect(engine).get_table_names()
        migrate.upgrade(engine)


def test_framework_load_is_idempotent(migrated, framework):
    with migrated.app_context():
        session = db.session()
        assert load_framework(session, framework) == "loaded"
        assert load_framework(session, framework) == "unchanged"
        assert current_version(session) == framework.version
        assert session.scalar(select(func.count()).select_from(Capability)) == \
            len(framework.capabilities)
        assert [c.code for c in capabilities(session)][:2] == ["1.1", "1.2"]


def test_upsert_is_idempotent_and_tracks_changes(migrated, framework, shipped_resources):
    with migrated.app_context():
        session = db.session()
        load_framework(session, framework)
        first = upsert_resources(session, shipped_resources)
        assert len(first.new) == len(shipped_resources)
        checksum = catalogue_checksum(session)
        again = upsert_resources(session, shipped_resources)
        assert (again.new, again.updated) == ([], [])
        assert catalogue_checksum(session) == checksum

        changed = shipped_resources[0].__class__(**{
            **shipped_resources[0].__dict__, "title": "A new title",
            "capabilities": ("6.3.1",)})
        result = upsert_resources(session, [changed])
        assert result.updated == [changed.id]
        assert catalogue_checksum(session) != checksum
        row = session.scalar(select(Resource).where(Resource.slug == changed.id))
        assert row.title == "A new title"
        assert [m.capability_code for m in row.mappings] == ["6.3.1"]
        assert session.scalar(select(func.count()).select_from(ResourceCapability)) == \
            sum(len(r.capabilities) for r in shipped_resources[1:]) + 1


def test_dry_run_writes_nothing(migrated, framework, shipped_resources):
    with migrated.app_context():
        session = db.session()
        load_framework(session, framework)
        result = upsert_resources(session, shipped_resources[:3], dry_run=True)
        assert len(result.new) == 3
        assert session.scalar(select(func.count()).select_from(Resource)) == 0


def test_the_migrated_schema_is_the_one_the_models_describe(tmp_path, database_url):
    """Every table, column, index and constraint the models declare is what the migrations
    make, on SQLite and PostgreSQL; the one difference allowed is the full-text index (FTS5
    tables on SQLite, a tsvector column and its index on PostgreSQL), which the migrations
    make by SQL the models do not describe."""
    engine = create_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        full_text = ("resource_fts", "TSVECTOR", "ix_resources_search")
        assert [d for d in drift if not any(word in str(d) for word in full_text)] == []
    finally:
        engine.dispose()
