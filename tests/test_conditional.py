"""Conditional GETs on the catalogue: ETag, If-None-Match -> 304, a new ETag after a change."""

import pytest

from tests.factories import GOOD


@pytest.fixture
def api(tmp_path, framework, shipped_resources, make_app):
    return make_app(tmp_path, framework, shipped_resources[:5]).test_client()


@pytest.mark.parametrize("path", ["/api/v1/resources?per_page=2",
                                  "/api/v1/resources/export?format=csv",
                                  "/api/v1/resources/export?format=jsonld"])
def test_unchanged_answers_are_304_and_a_change_makes_a_new_etag(api, path):
    first = api.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    again = api.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert api.post("/api/v1/resources", json={**GOOD, "id": "aaa-first"}).status_code == 201
    changed = api.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_one_resource_has_an_etag_and_other_pages_differ(api):
    assert api.post("/api/v1/resources", json=GOOD).status_code == 201
    one = api.get("/api/v1/resources/example-open-course")
    assert api.get("/api/v1/resources/example-open-course",
                   headers={"If-None-Match": one.headers["ETag"]}).status_code == 304
    pages = [api.get(f"/api/v1/resources?per_page=2&page={n}").headers["ETag"] for n in (1, 2)]
    assert pages[0] != pages[1]
    assert "ETag" not in api.get("/api/v1/resources/nothing-here").headers
