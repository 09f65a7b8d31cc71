"""Index versions in the database for replicas on other hosts: files, chunks, one pointer

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    op.create_table(
        "index_file_chunks",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["index_files.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("file_id", "seq"),
    )
    pointer = op.create_table(
        "index_pointer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pointer", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # the one row, there from the start: a push locks it (SELECT ... FOR UPDATE) before it
    # names a version or forgets old files, so two pushes never interleave those steps
    op.bulk_insert(pointer, [{"id": 1, "pointer": None, "updated_at": None}])


def downgrade() -> None:
    op.drop_table("index_pointer")
    op.drop_table("index_file_chunks")
    op.drop_table("index_files")
