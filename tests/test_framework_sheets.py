"""Frameworks from spreadsheets (CSV and XLSX) and level sources: loaded through the real
`recommender load-framework` into a real database, as docs/frameworks.md describes."""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from catalogue.errors import DataError
from catalogue.framework import FRAMEWORK_FILE, load_framework
from catalogue.framework_profile import parse_sheet_profile
from catalogue.framework_sheet import read_framework
from recommender import create_app
from recommender.cli import main
from recommender.cli.bootstrap import shipped_framework
from recommender.config import from_environment
from recommender.content.framework import current_version, statements
from recommender.content.framework import load_framework as store_framework
from recommender.storage import db, migrate
from recommender.storage.models import Capability, FrameworkVersion

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "framework-example.csv"
DOCS = ROOT / "docs" / "frameworks.md"


@pytest.fixture
def cli(tmp_path):
    """Invoke the CLI with VAR_DIR pointing at a fresh, migrated SQLite database; returns
    (invoke, app)."""
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": ""}
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    assert invoke("db", "upgrade").exit_code == 0
    app = create_app(from_environment({"VAR_DIR": str(tmp_path)}))
    yield invoke, app
    app.extensions["db"].kw["bind"].dispose()


def stored(app, framework: str = "dart-ed") -> tuple[str | None, int, int]:
    """A framework's current version, and how many versions and statements the database holds
    in all."""
    with app.app_context():
        session = db.session()
        return (current_version(session, framework),
                session.scalar(select(func.count()).select_from(FrameworkVersion)),
                session.scalar(select(func.count()).select_from(Capability)))


def write_xlsx(path: Path, rows: list[list[str]], title: str = "Framework",
               before: str | None = None) -> Path:
    """A workbook of ``rows`` as a spreadsheet program would save them: domains and levels as
    numbers, ids as text; ``before`` puts another sheet first."""
    book = openpyxl.Workbook()
    sheet = book.active
    if before:
        sheet.title = before
        sheet.append(["notes about this workbook"])
        sheet = book.create_sheet(title)
    else:
        sheet.title = title
    numeric = {i for i, h in enumerate(rows[0]) if h.strip().casefold() in ("domain", "level")}
    for row in rows:
        sheet.append([int(v) if i in numeric and v.isdigit() else v or None
                      for i, v in enumerate(row)])
    book.save(path)
    return path


def test_the_example_csv_loads_beside_the_shipped_framework(cli):
    invoke, app = cli
    assert invoke("load-framework").exit_code == 0  # the shipped one first
    loaded = invoke("load-framework", str(EXAMPLE))
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.splitlines() == [
        "framework northfield-digital 2025.1: 9 statements, loaded; demand counted for 0 "
        "learners",
        "  2 domains, 3 sub-domains and 1 domain-level group; 2 levels inferred"]
    shipped = load_framework()
    assert stored(app, "northfield-digital") == ("2025.1", 2, len(shipped.capabilities) + 9)
    assert stored(app)[0] == shipped.version  # DART-Ed stays current beside it
    with app.app_context():
        got = statements(db.session(), framework="northfield-digital")
        assert len(statements(db.session())) == len(shipped.capabilities)
    assert list(got) == ["1.1.1", "1.1.2", "1.1.3", "1.2.1", "1.2.2", "2.0.1", "2.0.2",
                         "2.1.1", "2.1.2"]
    assert {s.id: s.level for s in got.values()} == {
        "1.1.1": 1, "1.1.2": 2, "1.1.3": 3, "1.2.1": 1, "1.2.2": 2, "2.0.1": 1, "2.0.2": 2,
        "2.1.1": 2, "2.1.2": 3}
    assert [s.id for s in got.values() if s.level_source == "inferred"] == ["1.2.2", "2.0.1"]
    domain_level = got["2.0.1"]
    assert (domain_level.group_id, domain_level.group_name, domain_level.domain_name) == (
        "2.0", "Working with patients online", "Working with patients online")
    assert got["1.1.2"].archetypes == ("embedder", "user")
    assert got["2.1.1"].group_name == "Video consultations"
    assert "unchanged" in invoke("load-framework", str(EXAMPLE)).output


def test_the_same_rows_as_xlsx_give_the_same_framework(cli, tmp_path):
    invoke, app = cli
    with EXAMPLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    workbook = write_xlsx(tmp_path / "framework-example.xlsx", rows)
    from_csv, from_xlsx = read_framework(EXAMPLE), read_framework(workbook)
    assert from_xlsx == from_csv
    assert from_xlsx.checksum() == from_csv.checksum()
    assert invoke("load-framework", str(workbook)).exit_code == 0
    # the CSV is now the version already loaded, with the same statements
    assert "statements, unchanged" in invoke("load-framework", str(EXAMPLE)).output
    with app.app_context():
        row = db.session().get(FrameworkVersion, ("northfield-digital", "2025.1"))
        assert row.checksum == from_csv.checksum()


def test_a_sheet_with_errors_is_refused_and_nothing_is_stored(cli, tmp_path):
    invoke, app = cli
    invoke("load-framework")
    before = stored(app)
    header = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "bad.csv"
    # a BOM, as Excel's "CSV UTF-8" writes, is not part of the first header
    bad.write_text("\ufeff" + header + "\n" + "\n".join([
        "x,1,,1,One,1.1,Sub,1.1.1,I can one.,five,,S,authored",
        "x,1,,1,One,1.1,Sub,1.1.2,I can two.,2,guessed,\"S; X\",copied",
        "x,2,,1,One,1.1,Sub,1.1.2,I can again.,2,,U,authored",
        "x,1,,1,One,1.1,Sub,1.2.1,,2,,U,authored",
        "x,1,,2,Two,2.1,,2.1.1,I can.,,,,published",
        "x,1,,1,Uno,1.1,Sub,1.1.3,\"I can,\nover two lines.\",3,,U,authored",
    ]) + "\n", encoding="utf-8")
    refused = invoke("load-framework", str(bad))
    assert refused.exit_code == 1
    assert refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines[-1] == f"Error: {bad}: 12 problems; nothing was loaded"
    assert lines[:-1] == [
        "row 2, column level: must be 1-4, not 'five'",
        "row 3, column level_source: must be stated or inferred, not 'guessed'",
        "row 3, column archetypes: unknown archetype 'X' (badges S, D, C, E, U or names "
        "shaper, driver, creator, embedder, user)",
        "row 3, column provenance: must be published, paraphrased or authored, not 'copied'",
        "row 4, column version: '2' differs from '1' on row 2 (one file holds one framework "
        "version)",
        "row 4, column statement: duplicate statement id '1.1.2' (first on row 3)",
        "row 5, column statement: id must be '1.1.<n>', not '1.2.1'",
        "row 5, column text: is required",
        "row 6, column level: is required (1-4); a profile can give a default level",
        "row 6, column archetypes: is required (badges such as S, D, U)",
        "row 6, column subdomain_name: sub-domain 2.1 has no name on any of its rows",
        # the cell with a line break is one spreadsheet row (7), not two
        "row 7, column domain_name: 'Uno' differs from 'One' given for domain 1 on row 2",
    ]
    assert stored(app) == before


def test_a_sheet_without_the_required_columns_is_named(cli, tmp_path):
    invoke, app = cli
    bad = tmp_path / "bad.csv"
    bad.write_text("statement;text;domain_name;version\n1.1;I can.;One;1\n", encoding="utf-8")
    refused = invoke("load-framework", str(bad))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        "row 1: missing columns: level, archetypes, provenance (the header has 'statement', "
        "'text', 'domain_name', 'version'); a profile can name other headers or give defaults")
    assert stored(app) == (None, 0, 0)


HEADER = ["version", "domain", "domain_name", "subdomain", "subdomain_name", "statement",
          "text", "level", "archetypes", "provenance"]


@pytest.mark.parametrize("rows, problem", [
    # a sub-domain typed as the number 2.0 reads as 2
    ([HEADER, ["1", 2, "Two", 2.0, None, "2.0.1", "I can.", 1, "U", "authored"]],
     "row 2, column statement: id must be '2.<n>', not '2.0.1' (is the sub-domain '2.0' "
     "typed as a number? type ids as text)"),
    # a domain-level statement whose id is also a sub-domain's
    ([HEADER, ["1", 2, "Two", None, None, "2.1", "I can.", 1, "U", "authored"],
      ["1", 2, "Two", "2.1", "Sub", "2.1.1", "I can too.", 1, "U", "authored"]],
     "row 2, column statement: '2.1' is also a sub-domain's id; give domain-level statements "
     "the group '2.0' (2.0.1, ...)"),
    ([HEADER, ["1", 2, "Two", "3.1", "Sub", "3.1.1", "I can.", 1, "U", "authored"]],
     "row 2, column subdomain: group id must be '2' or start with '2.', not '3.1'"),
    ([[*HEADER, "Level"], ["1", 2, "Two", None, None, "2.1", "I can.", 1, "U", "authored", 2]],
     "row 1, column level: the header appears 2 times"),
])
def test_workbook_problems_are_named(tmp_path, rows, problem):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "f.xlsx")
    with pytest.raises(DataError) as caught:
        read_framework(tmp_path / "f.xlsx")
    assert caught.value.problems == [problem]


PROFILE = """\
description: a regional competency workbook
sheet: Competencies
columns:
  statement: Competency ID
  text: Competency
  domain_name: " area "
  level:
    column: Level
    map: {Foundation: 1, Intermediate: 2, Advanced: 3}
defaults:
  framework: regional-digital
  version: "2025.1"
  provenance: published
  archetypes: [U, embedder]
  level: 2
"""


def test_a_profile_maps_foreign_headers_and_gives_defaults(cli, tmp_path):
    invoke, app = cli
    rows = [["Competency ID", "Competency", "Area", "Level", "Notes"],
            ["1.1", "I can use the rota app.", "Digital basics", "Foundation", "keep"],
            ["1.2", "I can spot a phishing email.", "Digital basics", "", ""],
            ["2.1", "I can read a data dashboard.", "Data", "advanced", ""],
            ["2.2", "I can explain where our data comes from.", "Data", "3", ""]]
    workbook = write_xlsx(tmp_path / "competencies.xlsx", rows, title="Competencies",
                          before="Read me")
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    loaded = invoke("load-framework", str(workbook), "--profile", str(profile))
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.splitlines() == [
        "framework regional-digital 2025.1: 4 statements, loaded; demand counted for 0 "
        "learners",
        "  2 domains, 0 sub-domains and 2 domain-level groups; 1 level inferred"]
    with app.app_context():
        got = statements(db.session(), framework="regional-digital")
    assert {s.id: (s.level, s.level_source) for s in got.values()} == {
        "1.1": (1, "stated"), "1.2": (2, "inferred"), "2.1": (3, "stated"),
        "2.2": (3, "stated")}
    assert {(s.domain_id, s.group_id, s.group_name) for s in got.values()} == {
        ("1", "1", "Digital basics"), ("2", "2", "Data")}
    assert {s.provenance for s in got.values()} == {"published"}
    assert {s.archetypes for s in got.values()} == {("user", "embedder")}

    # a cell the map does not know is named with the sheet's header and ours
    rows[3][3] = "expert"
    write_xlsx(workbook, rows, title="Competencies", before="Read me")
    refused = invoke("load-framework", str(workbook), "--profile", str(profile))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == "row 4, column level: must be 1-4, not 'expert'"


@pytest.mark.parametrize("document, message", [
    ("columns: {statment: ID}", "columns.statment: not one of our columns"),
    ("defaults: {level: 5}", "defaults.level: must be one of 1, 2, 3, 4, not 5"),
    ("defaults: {version: 2025.1}", "defaults.version: must be text (quote it"),
    ("defaults: {archetypes: [S, nurse]}", "defaults.archetypes: unknown archetype 'nurse'"),
    ("columns: {text: Name, domain_name: name}",
     "columns.domain_name: the header 'name' is already columns.text"),
    ("sheets: One", "sheets: not a key here"),
    ("columns: {level: {map: {a: 1}}}", "columns.level: needs column:"),
])
def test_profile_problems_name_the_key(document, message):
    with pytest.raises(DataError) as caught:
        parse_sheet_profile(document, "p.yaml")
    assert message in str(caught.value)


def test_only_known_formats_load(tmp_path, cli):
    invoke, _ = cli
    odd = tmp_path / "framework.json"
    odd.write_text("{}")
    refused = invoke("load-framework", str(odd))
    assert refused.exit_code == 1
    assert "a framework file is .yaml, .yml, .csv, .xlsx; not .json" in refused.stderr
    broken = tmp_path / "framework.xlsx"
    broken.write_bytes(b"not a zip file")
    assert "cannot read XLSX" in invoke("load-framework", str(broken)).stderr
    profile = tmp_path / "p.yaml"
    profile.write_text("{}")
    with_profile = invoke("load-framework", str(FRAMEWORK_FILE), "--profile", str(profile))
    assert "a profile is for CSV and XLSX files" in with_profile.stderr


def test_the_docs_example_is_the_file_the_tests_load():
    shown = re.search(r"```csv\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S).group(1)
    assert shown == EXAMPLE.read_text(encoding="utf-8")
    assert "docs/examples/framework-example.csv" in DOCS.read_text(encoding="utf-8")


def test_yaml_level_source_round_trips_through_the_database(tmp_path, make_app,
                                                             database_url):
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    raw["version"] = "test-level-sources"
    statement = raw["domains"][0]["groups"][0]["statements"][0]
    statement.pop("level_source", None)
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(raw), encoding="utf-8")
    statement.update(level_source="inferred", provenance="published")
    marked = tmp_path / "marked.yaml"
    marked.write_text(yaml.safe_dump(raw), encoding="utf-8")
    framework = load_framework(marked)
    first = framework.capabilities[0]
    assert (first.level_source, first.provenance) == ("inferred", "published")
    assert framework.checksum() != load_framework(plain).checksum()

    app = make_app(tmp_path / "app", None, [], database_url=database_url)
    with app.app_context():
        assert store_framework(db.session(), framework) == "loaded"
        back = statements(db.session(), framework.version)
    assert back[first.id].level_source == "inferred"
    assert {s.level_source for s in back.values()} == {
        c.level_source for c in framework.capabilities}

    statement.update(level_source="guessed")
    marked.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_framework(marked)
    assert (caught.value.field, caught.value.record) == ("level_source", first.id)


def test_a_checksum_without_inferred_levels_is_the_one_before_level_sources(framework):
    """Stored versions keep matching their files: only an inferred level adds to the digest."""
    digest = hashlib.sha256(framework.version.encode())
    for cap in framework.capabilities:
        level = f"{cap.level}/inferred" if cap.level_source == "inferred" else cap.level
        digest.update(f"\x1f{cap.id}\x1e{level}\x1e{','.join(cap.archetypes)}\x1e{cap.text}"
                      .encode())
    assert framework.checksum() == digest.hexdigest()
    example = read_framework(EXAMPLE)
    stated = replace(example, capabilities=tuple(replace(c, level_source="stated")
                                                 for c in example.capabilities))
    assert stated.checksum() != example.checksum()
    before = hashlib.sha256(stated.version.encode())
    for cap in stated.capabilities:
        before.update(f"\x1f{cap.id}\x1e{cap.level}\x1e{','.join(cap.archetypes)}\x1e{cap.text}"
                      .encode())
    assert stated.checksum() == before.hexdigest()


def test_the_migration_adds_the_column_the_model_describes(tmp_path, database_url):
    engine = create_engine(database_url)
    try:
        migrate.upgrade(engine)  # what it makes: tests/test_db.py compares it with the models
        with engine.connect() as conn:
            columns = {c["name"] for c in engine.dialect.get_columns(conn, "capabilities")}
        assert "level_source" in columns
        migrate.downgrade(engine, "0011")
        with engine.connect() as conn:
            columns = {c["name"] for c in engine.dialect.get_columns(conn, "capabilities")}
        assert "level_source" not in columns
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def test_a_restart_keeps_the_dart_ed_version_loaded_after_the_shipped_one(tmp_path, make_app):
    """`recommender run` loads the shipped framework on its first start; once a newer DART-Ed
    version (the official statements, say) is loaded, later starts leave it current, and a
    framework with another id never touches DART-Ed's."""
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    raw["version"] = "2025.9-official"
    official = tmp_path / "official.yaml"
    official.write_text(yaml.safe_dump(raw), encoding="utf-8")
    app = make_app(tmp_path / "app", None, [])
    said: list[str] = []
    with app.app_context():
        session = db.session()
        shipped = shipped_framework(session, said.append)
        assert current_version(session) == shipped.version
        assert shipped_framework(session, said.append) == shipped
        store_framework(session, read_framework(EXAMPLE))
        store_framework(session, load_framework(official))
        shipped_framework(session, said.append)
        assert current_version(session) == "2025.9-official"
        assert current_version(session, "northfield-digital") == "2025.1"
    assert said == [f"framework dart-ed {shipped.version}: loaded",
                    f"framework dart-ed {shipped.version}: unchanged",
                    f"framework dart-ed 2025.9-official: kept (the shipped {shipped.version} "
                    "is loaded but not current)"]
