"""`recommender held`: list, show, admit (with fixes) and reject the records an import held,
against a real database in a temp folder, records held by `recommender import`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from recommender import create_app
from recommender.cli import main
from recommender.config import from_environment
from recommender.storage import db
from recommender.storage.models import HeldRecord, Resource
from tests.factories import GOOD

RECORDS = [
    {**GOOD, "id": "cli-unknown", "url": "https://example.org/cli-unknown",
     "title": "Unknown licence", "licence": "UNKNOWN"},
    {**GOOD, "id": "cli-paid", "url": "https://example.org/cli-paid", "title": "Paid",
     "access": "paid"},
    {**GOOD, "id": "cli-other", "url": "https://example.org/cli-other", "title": "Another",
     "licence": "UNKNOWN"},
]


@pytest.fixture
def cli(tmp_path):
    """The CLI over a fresh folder, with three records held by an import; returns (invoke,
    app, {url: held id})."""
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": ""}
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    app = create_app(from_environment({"VAR_DIR": str(tmp_path)}))
    invoke("db", "upgrade")
    invoke("load-framework")
    path = tmp_path / "held.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    imported = invoke("import", str(path))
    assert imported.exit_code == 0 and "3 held" in imported.output
    assert "recommender held" in imported.output
    with app.app_context():
        ids = {row.url: row.id for row in db.session().scalars(select(HeldRecord))}
    yield invoke, app, ids
    app.extensions["db"].kw["bind"].dispose()


def test_list_and_show(cli):
    invoke, _, ids = cli
    listed = invoke("held", "list")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert len(lines) == 3
    paid = next(line.split("\t") for line in lines if "cli-paid" in line)
    assert paid[0] == str(ids["https://example.org/cli-paid"]) and paid[1] == "access"
    assert "paid resources are not admitted" in paid[2]
    assert paid[3:] == ["Paid", "https://example.org/cli-paid"]
    only = invoke("held", "list", "--field", "licence").stdout.splitlines()
    assert len(only) == 2 and all("\tlicence\t" in line for line in only)
    none = invoke("held", "list", "--status", "admitted")
    assert none.exit_code == 0 and none.stdout == "" and "no admitted records" in none.stderr
    assert invoke("held", "list", "--status", "pending").exit_code == 2
    shown = json.loads(invoke("held", "show", str(ids["https://example.org/cli-paid"])).stdout)
    assert shown["status"] == "held" and shown["field"] == "access"
    assert shown["data"]["access"] == "paid" and shown["url"] == "https://example.org/cli-paid"
    missing = invoke("held", "show", "999")
    assert missing.exit_code == 1 and "no held record 999" in missing.output


def test_admit_with_fixes_and_reject(cli):
    invoke, app, ids = cli
    unknown = str(ids["https://example.org/cli-unknown"])
    bad = invoke("held", "admit", unknown, "--set", "licence=NOT-A-LICENCE")
    assert bad.exit_code == 1
    assert "field 'licence'" in bad.output and "unknown licence" in bad.output
    assert "nothing was changed" in bad.output
    not_fixable = invoke("held", "admit", unknown, "--set", "colour=red")
    assert not_fixable.exit_code == 2 and "'colour' cannot be changed here" in not_fixable.output
    assert invoke("held", "admit", unknown, "--set", "licence").exit_code == 2

    done = invoke("held", "admit", unknown, "--set", "licence=CC-BY-4.0",
                  "--set", "archetypes=user, driver", "--set", "topics=ai,safety",
                  "--set", "duration_minutes=45")
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"admitted held record {unknown} as resource cli-unknown")
    assert len(done.stdout.splitlines()) == 1
    with app.app_context():
        resource = db.session().scalar(select(Resource).where(Resource.slug == "cli-unknown"))
        assert resource.licence == "CC-BY-4.0" and resource.archetypes == ["driver", "user"]
        assert resource.topics == ["ai", "safety"] and resource.duration_minutes == 45
    again = invoke("held", "admit", unknown)
    assert again.exit_code == 1 and "already admitted" in again.output

    paid = str(ids["https://example.org/cli-paid"])
    rejected = invoke("held", "reject", paid, "--reason", "a paid course")
    assert rejected.exit_code == 0 and rejected.stdout == f"rejected held record {paid} (Paid)\n"
    assert json.loads(invoke("held", "show", paid).stdout)["status"] == "rejected"
    assert "already rejected" in invoke("held", "reject", paid).output
    remaining = invoke("held", "list").stdout.splitlines()
    assert [line.split("\t")[0] for line in remaining] == [
        str(ids["https://example.org/cli-other"])]
    with app.app_context():
        assert db.session().scalar(select(Resource).where(Resource.slug == "cli-paid")) is None
