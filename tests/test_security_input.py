"""Input limits: catalogue URLs are http(s) only, whichever way a resource arrives, and request
bodies are capped (413 problem+json), also when sent in chunks without a length."""

import http.client
import json
import sys
from pathlib import Path

import pytest

from catalogue.errors import DataError
from catalogue.exporters import to_csv, to_jsonld
from catalogue.importers import read_resources
from catalogue.resources import parse_resource
from tests.factories import GOOD, oai_page

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
BAD_URLS = ["javascript:alert(1)", "JavaScript://example.org/%0Aalert(1)",
            "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
            "vbscript:msgbox(1)", "ftp://example.org/course", "//example.org/course",
            "/relative/course", "http://", "https://exa mple.org/", "http://example.org:99999/"]


class Unchecked:
    """A record as an exporter of another system might write it: our fields, no validation."""

    def __init__(self, url: str):
        self.__dict__.update({**GOOD, "url": url, "archetypes": tuple(GOOD["archetypes"]),
                              "capabilities": tuple(GOOD["capabilities"]), "topics": (),
                              "duration_minutes": None, "mapping": "curated",
                              "language": "en"})


@pytest.mark.parametrize("url", BAD_URLS)
def test_every_importer_rejects_a_url_that_is_not_http_or_https(framework, url):
    documents = {
        "csv": to_csv([Unchecked(url)]),
        "jsonld": to_jsonld([Unchecked(url)]),
        "jsonl": json.dumps({**GOOD, "url": url}),
        "oai-pmh": oai_page([Unchecked(url)], 0),
    }
    for fmt, document in documents.items():
        batch = read_resources(f"in.{fmt}", framework, format=fmt, fetch=lambda _, d=document: d)
        assert not batch.resources, (fmt, url)
        assert [e.field for e in batch.errors] == ["url"], (fmt, [str(e) for e in batch.errors])
    with pytest.raises(DataError) as raised:
        parse_resource({**GOOD, "url": url}, framework)
    assert raised.value.field == "url"


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_catalogue_api_rejects_a_url_that_is_not_http_or_https(tmp_path, framework,
                                                                   make_app, url):
    client = make_app(tmp_path, framework, []).test_client()
    for response in (client.post("/api/v1/resources", json={**GOOD, "url": url}),
                     client.post("/api/v1/resources", json=[{**GOOD, "url": url}]),
                     client.put(f"/api/v1/resources/{GOOD['id']}", json={**GOOD, "url": url})):
        assert response.status_code == 422, response.get_json()
        assert response.mimetype == "application/problem+json"
        assert [e["pointer"] for e in response.get_json()["errors"]] in (["/url"], ["/0/url"])
    assert client.get("/api/v1/resources").get_json()["total"] == 0


@pytest.fixture
def gunicorn(tmp_path, framework, make_app):
    """Our app under gunicorn (as deployed), accepting bodies of at most 1,000 bytes."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from serving import Gunicorn, Served
    finally:
        sys.path.remove(str(BENCHMARKS))
    app = make_app(tmp_path, framework, [], database_url=f"sqlite:///{tmp_path / 'b.db'}")
    app.extensions["db"].kw["bind"].dispose()
    env = {**Served(tmp_path, 0, "flat", None).env(), "MAX_REQUEST_BYTES": "1000"}
    with Gunicorn("recommender.wsgi:app", env, workers=1) as server:
        yield server.port


def post(port: int, body, headers: dict, chunked: bool = False):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/v1/recommendations", body=body,
                       headers={"Content-Type": "application/json", **headers},
                       encode_chunked=chunked)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()


@pytest.mark.services
def test_bodies_over_the_cap_get_413_with_or_without_a_length(gunicorn):
    big = json.dumps({"archetype": "user", "gaps": [{"capability": "6.0.1"}],
                      "free_text": "x" * 5000}).encode()
    status, kind, body = post(gunicorn, big, {})
    assert (status, kind) == (413, "application/problem+json"), body
    assert json.loads(body)["status"] == 413
    # chunked transfer: no Content-Length to refuse up front, the cap applies as it is read
    chunks = (big[i:i + 256] for i in range(0, len(big), 256))
    status, kind, body = post(gunicorn, chunks, {"Transfer-Encoding": "chunked"}, chunked=True)
    assert (status, kind) == (413, "application/problem+json"), body
    # one byte over, either way
    small = json.dumps({"archetype": "user", "gaps": [{"capability": "6.0.1"}]}).encode()
    exact = small[:-1] + b" " * (1000 - len(small)) + b"}"
    assert len(exact) == 1000
    assert post(gunicorn, exact + b" ", {})[0] == 413
    assert post(gunicorn, iter([exact, b" "]), {"Transfer-Encoding": "chunked"},
                chunked=True)[0] == 413
    # at or under the cap, chunked or not, the request is read and answered (no index: 503)
    for body in (small, exact):
        assert post(gunicorn, body, {})[0] == 503
        assert post(gunicorn, iter([body]), {"Transfer-Encoding": "chunked"},
                    chunked=True)[0] == 503
