"""full-text search over resources: SQLite FTS5 or PostgreSQL tsvector

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE resource_fts USING fts5(title, description, topics, "
    "content='resources', content_rowid='id', tokenize='porter')",
    "CREATE TRIGGER resources_fts_insert AFTER INSERT ON resources BEGIN "
    "INSERT INTO resource_fts(rowid, title, description, topics) "
    "VALUES (new.id, new.title, new.description, new.topics); END",
    "CREATE TRIGGER resources_fts_delete AFTER DELETE ON resources BEGIN "
    "INSERT INTO resource_fts(resource_fts, rowid, title, description, topics) "
    "VALUES ('delete', old.id, old.title, old.description, old.topics); END",
    "CREATE TRIGGER resources_fts_update AFTER UPDATE ON resources BEGIN "
    "INSERT INTO resource_fts(resource_fts, rowid, title, description, topics) "
    "VALUES ('delete', old.id, old.title, old.description, old.topics); "
    "INSERT INTO resource_fts(rowid, title, description, topics) "
    "VALUES (new.id, new.title, new.description, new.topics); END",
    "INSERT INTO resource_fts(resource_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS resources_fts_update",
    "DROP TRIGGER IF EXISTS resources_fts_delete",
    "DROP TRIGGER IF EXISTS resources_fts_insert",
    "DROP TABLE IF EXISTS resource_fts",
]
POSTGRES_UP = [
    "ALTER TABLE resources ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'B')) STORED",
    "CREATE INDEX ix_resources_search ON resources USING GIN (search)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_resources_search",
    "ALTER TABLE resources DROP COLUMN IF EXISTS search",
]


def _run(statements: dict[str, list[str]]) -> None:
    dialect = op.get_bind().dialect.name
    for statement in statements.get(dialect, []):
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})
