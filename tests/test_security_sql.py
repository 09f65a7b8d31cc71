"""SQL only through bound parameters: no SQL text is built from values in the service's code,
and injection attempts through every text input the API takes change nothing and leak
nothing."""

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from recommender.storage import db
from recommender.storage.models import Resource

ROOT = Path(__file__).resolve().parent.parent
SQL_CALLS = {"text", "execute", "exec_driver_sql", "executescript", "literal_column"}
# SQL text that does embed something, each with the reason it is not a value from outside
ALLOWED = {
    # the identifiers come from our own models' table names, never from a request:
    # migration 0013 renames a rebuilt table's primary key constraint after the table
    "recommender/storage/migrations/versions/0013_frameworks_as_data.py:95",
}
ATTEMPTS = ["' OR '1'='1", "'; DROP TABLE resources; --", "\" OR \"\"=\"", "1; SELECT 1",
            "%' UNION SELECT slug, url FROM resources --", "\\'; DELETE FROM api_keys; --",
            "title:x", 'unbalanced "quote', "NEAR(a b", "a*", "(", ")", "^x", "-x", "OR",
            "AND NOT", "{x}", "\x00", "😀' --"]


def built_sql(node: ast.AST) -> bool:
    """SQL text assembled at run time: an f-string with values, %-formatting, + or .format."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return any(isinstance(side, ast.Constant) and isinstance(side.value, str) or
                   built_sql(side) for side in (node.left, node.right))
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format")


def test_no_sql_text_is_built_from_values():
    found = []
    for folder in ("recommender", "workers", "indexes", "catalogue"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                    getattr(node.func, "id", "")
                if name in SQL_CALLS and built_sql(node.args[0]):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    if where not in ALLOWED:
                        found.append(f"{where}: {ast.unparse(node)[:160]}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_injection_through_catalogue_filters_is_only_text(client, served_app, attempt):
    """Each attempt is matched as plain text: ``q`` finds exactly the resources whose title or
    description contains it, the exact filters find none, and the catalogue is unchanged."""
    with served_app.app_context():
        rows = db.session().execute(select(Resource.title, Resource.description)).all()
    literal = sum(1 for title, description in rows
                  if attempt.lower() in title.lower() or attempt.lower() in description.lower())
    for name in ("q", "provider", "licence", "capability", "domain"):
        response = client.get("/api/v1/resources", query_string={name: attempt})
        if "\x00" in attempt:  # a NUL is refused by name, never sent to the database
            assert response.status_code == 422, (name, response.get_json())
            assert response.mimetype == "application/problem+json"
            assert response.get_json()["errors"][0]["pointer"] == f"?{name}"
        else:
            assert response.status_code == 200, (name, response.get_json())
            assert response.get_json()["total"] == (literal if name == "q" else 0), name
    assert client.get("/api/v1/resources").get_json()["total"] == len(rows)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_injection_through_a_free_text_goal_is_only_text(client, served_app, attempt):
    response = client.post("/api/v1/recommendations", json={
        "archetype": "user", "gaps": [{"capability": "6.0.1"}], "free_text": attempt,
        "limit": 3})
    if "\x00" in attempt:  # a NUL character is refused by name, not run
        assert response.status_code == 422, response.get_data(as_text=True)
        assert response.get_json()["errors"][0]["pointer"] == "/free_text"
    else:
        assert response.status_code == 200, response.get_data(as_text=True)
    with served_app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Resource)) > 0


@pytest.mark.parametrize("attempt", ATTEMPTS[:6])
def test_injection_through_path_ids_is_a_404(client, attempt):
    response = client.get(f"/api/v1/resources/{attempt}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    response = client.get(f"/api/v1/assessments/{attempt}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
