"""Learners' demand and feedback marks kept as counts for coverage

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # filled from the stored assessments by the first coverage read (or `recommender
    # load-framework`): recommender/learners/demand.py
    op.create_table(
        "demand_cells",
        sa.Column("framework_version", sa.String(length=40), nullable=False),
        sa.Column("grouping", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("archetype", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("severity_sum", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("framework_version", "grouping", "unit", "archetype", "level"),
    )
    op.create_table(
        "feedback_marks",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("capability_code", sa.String(length=20), nullable=False),
        sa.Column("not_useful", sa.Integer(), nullable=False),
        sa.Column("useful", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id", "capability_code"),
    )
    # the marks recorded before this revision, each learner by their latest mark
    op.execute("""
        INSERT INTO feedback_marks (resource_id, capability_code, not_useful, useful)
        SELECT resource_id, capability_code,
               SUM(CASE WHEN verdict = 'not_useful' THEN 1 ELSE 0 END),
               SUM(CASE WHEN verdict = 'useful' THEN 1 ELSE 0 END)
        FROM (SELECT resource_id, capability_code, verdict,
                     ROW_NUMBER() OVER (PARTITION BY resource_id, capability_code, learner_id
                                        ORDER BY created_at DESC, id DESC) AS n
              FROM feedback
              WHERE verdict IN ('useful', 'not_useful') AND capability_code IS NOT NULL) AS m
        WHERE n = 1
        GROUP BY resource_id, capability_code
    """)


def downgrade() -> None:
    op.drop_table("feedback_marks")
    op.drop_table("demand_cells")
