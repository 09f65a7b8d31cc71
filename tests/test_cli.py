"""The `recommender` command-line tool, run against a real database in a temp folder."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from recommender import create_app
from recommender.cli import main
from recommender.config import ENVIRONMENT, from_environment
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db
from recommender.storage.migrate import head_revision
from recommender.storage.models import Resource
from tests.factories import GOOD


@pytest.fixture
def cli(tmp_path):
    """Invoke the CLI with VAR_DIR pointing at a fresh folder; returns (invoke, app)."""
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": ""}
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    app = create_app(from_environment({"VAR_DIR": str(tmp_path)}))
    yield invoke, app
    app.extensions["db"].kw["bind"].dispose()


def resource_count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Resource))


def test_setup_import_and_recommend(cli, tmp_path, encoder):
    invoke, app = cli
    assert f"database at revision {head_revision()}" in invoke("db", "upgrade").output
    out = invoke("load-framework").output
    assert "statements, loaded" in out
    assert "unchanged" in invoke("load-framework").output
    dry = invoke("import", "--shipped", "--dry-run")
    assert dry.exit_code == 0 and "dry run, would be: " in dry.output
    assert resource_count(app) == 0
    first = invoke("import", "--shipped")
    assert first.exit_code == 0 and " new, 0 updated, 0 unchanged, 0 held, 0 rejected" in \
        first.output
    assert "0 new, 0 updated" in invoke("import", "--shipped").output

    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    table = invoke("recommend", "--archetype", "user", "--gap", "6.0.1:3", "--limit", "3")
    assert table.exit_code == 0
    assert "BASELINE" in table.output and "SPECIALIST" in table.output
    assert "6.0.1" in table.output
    as_json = json.loads(invoke("recommend", "--archetype", "user", "--gap", "6.0.1",
                                "--json").output)
    assert as_json["baseline"][0]["because"][0]["severity"] == 2

    bad = invoke("recommend", "--archetype", "nurse", "--gap", "6.0.1")
    assert bad.exit_code != 0 and "/archetype" in bad.output


def test_import_reports_bad_records_and_strict_writes_nothing(cli, tmp_path):
    invoke, app = cli
    invoke("db", "upgrade")
    invoke("load-framework")
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (
        GOOD, {**GOOD, "id": "held", "url": "https://example.org/held", "licence": "x"},
        {**GOOD, "id": "no-url", "url": "mailto:someone@example.org"})) + "\n")
    strict = invoke("import", "--strict", str(path))
    assert strict.exit_code == 1
    assert "held: " in strict.output and "record 2, field 'licence'" in strict.output
    assert "rejected: " in strict.output and "record 3, field 'url'" in strict.output
    assert "nothing was imported" in strict.output
    assert resource_count(app) == 0
    lenient = invoke("import", str(path))
    assert lenient.exit_code == 1
    assert "1 new, 0 updated, 0 unchanged, 1 held, 1 rejected" in lenient.output
    assert resource_count(app) == 1


def test_malformed_file_changes_nothing(cli, tmp_path):
    invoke, app = cli
    invoke("db", "upgrade")
    invoke("load-framework")
    invoke("import", "--shipped")
    before = resource_count(app)
    path = tmp_path / "broken.yaml"
    path.write_text("resources:\n  - id: [unclosed\n")
    result = invoke("import", str(path))
    assert result.exit_code == 1
    assert "malformed YAML" in result.output and "nothing was imported" in result.output
    assert resource_count(app) == before


def test_settings_lists_every_variable(cli):
    invoke, _ = cli
    output = invoke("settings").output
    for name in ENVIRONMENT:
        assert f"{name}=" in output


def test_import_from_a_url_with_an_explicit_format(cli, tmp_path):
    """A JSON-LD file served over real HTTP, named without a telling suffix."""
    import functools
    import http.server
    import shutil
    import threading
    from pathlib import Path

    invoke, app = cli
    invoke("db", "upgrade")
    invoke("load-framework")
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(Path(__file__).parent / "data" / "lrmi_sample.jsonld", served / "feed")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed"
        unknown = invoke("import", url)
        assert unknown.exit_code == 1 and "cannot tell the format" in unknown.output
        result = invoke("import", url, "--format", "jsonld")
    finally:
        server.shutdown()
        server.server_close()
    assert "new" in result.output and "held: " in result.output
    assert resource_count(app) > 0
