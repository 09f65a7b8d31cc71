"""Framework versions and crosswalks keep curated work: what a version changed, the curated
mappings it put up for review, and crosswalk links between frameworks' statements

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a table of its own rather than a column of framework_versions: on SQLite, dropping a
    # column rebuilds the table, and rebuilding a parent table deletes its statements
    op.create_table(
        "framework_version_changes",
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("framework", "version"),
    )
    op.create_table(
        "mapping_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("capability_code", sa.String(length=20), nullable=False),
        sa.Column("framework_version", sa.String(length=40), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resource_id", "framework", "capability_code", "framework_version"),
    )
    op.create_index("ix_mapping_reviews_resource_id", "mapping_reviews", ["resource_id"])
    op.create_index("ix_mapping_reviews_framework", "mapping_reviews", ["framework"])
    op.create_table(
        "crosswalk_links",
        sa.Column("from_framework", sa.String(length=40), nullable=False),
        sa.Column("from_code", sa.String(length=20), nullable=False),
        sa.Column("to_framework", sa.String(length=40), nullable=False),
        sa.Column("to_code", sa.String(length=20), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("from_framework", "from_code", "to_framework", "to_code"),
    )


def downgrade() -> None:
    op.drop_table("crosswalk_links")
    op.drop_index("ix_mapping_reviews_framework", "mapping_reviews")
    op.drop_index("ix_mapping_reviews_resource_id", "mapping_reviews")
    op.drop_table("mapping_reviews")
    op.drop_table("framework_version_changes")
