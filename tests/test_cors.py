"""CORS: allowed origins are echoed, others get no CORS headers, preflights need no key."""

import pytest

ALLOWED = "https://lms.example.org"


@pytest.fixture
def app(tmp_path, framework, make_app):
    return make_app(tmp_path, framework, [], CORS_ORIGINS=frozenset({ALLOWED}),
                    AUTH_REQUIRED=True)


def test_an_allowed_origin_is_echoed(app):
    response = app.test_client().get("/api/v1/resources", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in response.headers["Vary"]
    assert "RateLimit-Remaining" in response.headers["Access-Control-Expose-Headers"]
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_another_origin_gets_no_cors_headers(app):
    response = app.test_client().get("/api/v1/resources",
                                     headers={"Origin": "https://evil.example.com"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_a_preflight_names_methods_and_headers_and_needs_no_key(app):
    response = app.test_client().options("/api/v1/resources", headers={
        "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"]
    assert all(h in allowed for h in ("Authorization", "X-API-Key", "Content-Type"))
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    refused = app.test_client().options("/api/v1/resources", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_errors_carry_cors_headers_so_a_page_can_read_them(app):
    response = app.test_client().post("/api/v1/resources", json={},
                                      headers={"Origin": ALLOWED})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_no_origins_configured_means_no_cors_headers(empty_app):
    response = empty_app.test_client().get("/api/v1/resources", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers or "Origin" not in response.headers["Vary"]
