"""Frameworks as data: every framework version, statement, assessment, mapping, curator's
decision, feedback mark, demand cell and plan belongs to a framework (``framework``, an id);
a framework version keeps its roles (archetypes) and source. Everything stored before this
revision belongs to DART-Ed (``dart-ed``), whose five roles are written here as the shipped
framework file gave them, so the upgrade does not read a file that may change later.

Tables whose primary key gains the column are rebuilt (created anew, copied, swapped), the same
way on SQLite and PostgreSQL; the others gain a column with a server default.

Revision ID: 0013
Revises: 0012
"""


import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

DEFAULT = "dart-ed"
DART_ED_ROLES = [{'id': 'shaper',
  'badge': 'S',
  'name': 'Shapers',
  'description': 'National and system leaders who set the direction for digital and AI in '
                 "health and care: policy makers, regulators, arm's-length bodies, and "
                 'professional and education bodies.'},
 {'id': 'driver',
  'badge': 'D',
  'name': 'Drivers',
  'description': 'People who lead and fund the adoption of digital and AI technologies, such '
                 'as commissioners, transformation leads, chief information officers and '
                 'chief clinical information officers.'},
 {'id': 'creator',
  'badge': 'C',
  'name': 'Creators',
  'description': 'People who design and build digital tools, data products and AI models, '
                 'such as clinical scientists, software engineers, data scientists and '
                 'researchers.'},
 {'id': 'embedder',
  'badge': 'E',
  'name': 'Embedders',
  'description': 'People who implement, integrate, assure and maintain technology in an '
                 'organisation, such as IT and data teams, clinical safety officers and '
                 'clinical scientists.'},
 {'id': 'user',
  'badge': 'U',
  'name': 'Users',
  'description': 'People who use digital and AI tools in their everyday work, including '
                 'clinicians, allied health professionals, researchers and non-clinical '
                 'staff.'}]


def _framework(primary_key: bool = True) -> sa.Column:
    return sa.Column("framework", sa.String(length=40), nullable=False,
                     primary_key=primary_key)


def _swap(table: str, columns: list, copied: list[str], *, upgrade: bool,
          indexes: tuple[tuple[str, list[str]], ...] = (), parent: str | None = None) -> None:
    """Create ``table`` anew with ``columns``, copy its rows (the ``copied`` columns; upgrading,
    with the framework set to DART-Ed; downgrading, DART-Ed's rows only), drop the old table
    and take its name. ``parent``: a table rebuilt in the same step that this one refers to,
    still under its temporary name."""
    new = f"{table}__new"
    op.create_table(new, *columns)
    _copy(table, new, copied, upgrade)
    if parent is None:
        op.drop_table(table)
        _take_name(new, table)
    for name, on in indexes:
        op.create_index(name, table, on)


def _copy(source: str, target: str, copied: list[str], upgrade: bool,
          extra: dict | None = None) -> None:
    """INSERT ... SELECT the ``copied`` columns: upgrading, with the framework set to DART-Ed
    (and the ``extra`` columns' values); downgrading, DART-Ed's rows only."""
    added = {"framework": DEFAULT, **(extra or {})} if upgrade else {}
    src = sa.table(source, *(sa.column(n) for n in [*copied, "framework"]))
    dst = sa.table(target, *(sa.column(n) for n in [*copied, *added]))
    chosen = sa.select(*(src.c[n] for n in copied),
                       *(sa.literal(v, sa.JSON() if isinstance(v, list) else None).label(k)
                         for k, v in added.items()))
    if not upgrade:
        chosen = chosen.where(src.c.framework == DEFAULT)
    op.execute(dst.insert().from_select([*copied, *added], chosen))


def _take_name(new: str, table: str) -> None:
    op.rename_table(new, table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new}_pkey TO {table}_pkey")


def _resource_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], ondelete="CASCADE")


def _statements(upgrade: bool) -> None:
    """Framework versions and their statements, together: the statements refer to them."""
    version_columns = [
        sa.Column("version", sa.String(length=40), nullable=False, primary_key=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    ]
    copied = ["version", "title", "checksum", "is_current", "loaded_at"]
    if upgrade:
        op.create_table("framework_versions__new", _framework(), *version_columns,
                        sa.Column("source_url", sa.String(length=500), nullable=False,
                                  server_default=""),
                        sa.Column("archetypes", sa.JSON(), nullable=False))
        _copy("framework_versions", "framework_versions__new", copied, upgrade,
              {"archetypes": DART_ED_ROLES})
    else:
        op.create_table("framework_versions__new", *version_columns)
        _copy("framework_versions", "framework_versions__new", copied, upgrade)
    keys = ["framework", "framework_version"] if upgrade else ["framework_version"]
    statement_columns = [
        sa.Column("id", sa.Integer(), nullable=False, primary_key=True),
        *([_framework(False)] if upgrade else []),
        sa.Column("framework_version", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("archetypes", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.String(length=20), nullable=False),
        sa.Column("level_source", sa.String(length=10), nullable=False,
                  server_default="stated"),
        sa.Column("domain_id", sa.String(length=10), nullable=False),
        sa.Column("domain_name", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.String(length=20), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        *([sa.Column("formerly", sa.String(length=20), nullable=False, server_default="")]
          if upgrade else []),
        sa.ForeignKeyConstraint(keys, [f"framework_versions__new.{k.replace('framework_', '')}"
                                       for k in keys], ondelete="CASCADE"),
        sa.UniqueConstraint(*keys, "code"),
    ]
    _swap("capabilities", statement_columns,
          ["id", "framework_version", "code", "text", "level", "archetypes", "provenance",
           "domain_id", "domain_name", "group_id", "group_name", "level_source"],
          upgrade=upgrade, parent="framework_versions")
    op.drop_table("capabilities")
    op.drop_table("framework_versions")
    _take_name("framework_versions__new", "framework_versions")
    _take_name("capabilities__new", "capabilities")
    if op.get_bind().dialect.name == "postgresql":  # ids go on after the copied ones
        op.execute("SELECT setval(pg_get_serial_sequence('capabilities', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM capabilities), 0) + 1, false)")
    op.create_index("ix_capabilities_framework_version", "capabilities", keys)


def _keyed_by_statement(upgrade: bool) -> None:
    """The tables whose primary key names a statement: the framework joins the key."""
    def framework() -> list[sa.Column]:
        return [_framework()] if upgrade else []

    def resource() -> sa.Column:
        return sa.Column("resource_id", sa.Integer(), nullable=False, primary_key=True)

    def key(name: str, length: int = 20) -> sa.Column:
        return sa.Column(name, sa.String(length=length), nullable=False, primary_key=True)

    _swap("resource_capabilities", [
        resource(), *framework(), key("capability_code"),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False), _resource_fk(),
    ], ["resource_id", "capability_code", "source", "confidence"], upgrade=upgrade,
        indexes=(("ix_resource_capabilities_capability_code", ["capability_code"]),))
    _swap("suggestion_decisions", [
        resource(), *framework(), key("capability_code"),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False), _resource_fk(),
    ], ["resource_id", "capability_code", "verdict", "confidence", "decided_at"],
        upgrade=upgrade)
    _swap("feedback_marks", [
        resource(), *framework(), key("capability_code"),
        sa.Column("not_useful", sa.Integer(), nullable=False),
        sa.Column("useful", sa.Integer(), nullable=False), _resource_fk(),
    ], ["resource_id", "capability_code", "not_useful", "useful"], upgrade=upgrade)
    _swap("demand_cells", [
        *framework(), key("framework_version", 40), key("grouping", 10),
        key("unit"), key("archetype"), key("level"),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("severity_sum", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Integer(), nullable=False),
    ], ["framework_version", "grouping", "unit", "archetype", "level", "learners",
        "severity_sum", "gaps"], upgrade=upgrade)


def upgrade() -> None:
    _statements(upgrade=True)
    _keyed_by_statement(upgrade=True)
    for table in ("assessments", "feedback", "plans"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("framework", sa.String(length=40), nullable=False,
                                       server_default=DEFAULT))


def downgrade() -> None:
    # another framework's statements, mappings and counts cannot be kept by the older schema:
    # only DART-Ed's rows are carried back
    for table in ("assessments", "feedback", "plans"):
        rows = sa.table(table, sa.column("framework"))
        op.execute(rows.delete().where(rows.c.framework != DEFAULT))
        with op.batch_alter_table(table) as batch:
            batch.drop_column("framework")
    _keyed_by_statement(upgrade=False)
    _statements(upgrade=False)
