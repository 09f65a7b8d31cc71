"""Where a capability statement's level came from: stated by the framework, or inferred

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every statement loaded before this revision came from the shipped YAML, whose levels
    # were all given as stated
    with op.batch_alter_table("capabilities") as batch:
        batch.add_column(sa.Column("level_source", sa.String(length=10), nullable=False,
                                   server_default="stated"))


def downgrade() -> None:
    with op.batch_alter_table("capabilities") as batch:
        batch.drop_column("level_source")
