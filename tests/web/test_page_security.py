"""What every page carries and refuses: security headers, escaping, local assets only, the
signing key, and every page's access declared in recommender.access.auth."""

from __future__ import annotations

import re
import stat

import pytest

from catalogue.resources import parse_resource
from recommender.access.auth import ENDPOINTS, PAGES
from recommender.web.build_assets import local_css
from recommender.web.session_key import stored_key
from tests.conftest import prepared_app
from tests.factories import GOOD
from tests.web.conftest import pages_config, sign_in, start

SCRIPT = "<script>alert(1)</script>"
PAGES_TO_CHECK = ("/", "/assessment", "/learners", "/signin", "/learners/nobody-at-all-here")


@pytest.mark.parametrize("path", PAGES_TO_CHECK)
def test_pages_carry_the_security_headers(browser, path):
    response = browser.get(path)
    csp = dict(part.strip().split(" ", 1) for part in
               response.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"  # learner ids stay here


def test_learner_pages_are_not_cached_and_the_api_keeps_its_own_headers(browser):
    assert browser.get("/assessment").headers["Cache-Control"] == "no-store"
    api = browser.get("/api/v1/framework")
    assert "Content-Security-Policy" not in api.headers


@pytest.mark.parametrize("path", ("/", "/assessment", "/assessment/domains/6",
                                  "/commissioning", "/curator/resources", "/curator/held"))
def test_pages_have_no_inline_script_or_style(browser, pages_app, path):
    sign_in(browser, pages_app, "admin")
    if path.startswith("/assessment/"):
        start(browser, "user")
    html = browser.get(path).get_data(as_text=True)
    assert html.count("<script") == html.count("<script src=") + html.count(
        '<script type="module" src=')
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers


def test_a_script_in_a_title_is_shown_as_text(tmp_path, framework):
    hostile = parse_resource({**GOOD, "id": "hostile", "title": SCRIPT,
                              "description": f"Also {SCRIPT} in the description."}, framework)
    app = prepared_app(tmp_path, framework, [hostile], **pages_config())
    client = app.test_client()
    try:
        sign_in(client, app, "admin")
        for path in ("/curator/resources", "/curator/resources/hostile",
                     "/commissioning/cells/6.0.1/user/baseline"):
            html = client.get(path).get_data(as_text=True)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
            assert SCRIPT not in html, path
    finally:
        app.extensions["db"].kw["bind"].dispose()


def test_assets_are_served_from_here(browser):
    with browser.get("/static/site/nhsuk/nhsuk-frontend.min.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
        text = css.get_data(as_text=True)
    assert "nhsuk-header" in text and not re.search(r"url\(\s*['\"]?(https?:)?//", text)
    with browser.get("/static/site/nhsuk/nhsuk-frontend.min.js") as script:
        assert script.status_code == 200 and "javascript" in script.mimetype
    with browser.get("/assets/images/favicon.svg") as icon:
        assert icon.status_code == 200
    page = browser.get("/").get_data(as_text=True)
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith(("/", "#")) or url.startswith("https://www.hee.nhs.uk"), url


def test_the_build_step_drops_remote_fonts_and_refuses_other_remote_urls():
    css = ("@font-face{font-family:F;src:url(https://assets.example/f.woff2)}"
           ".a{background:url(/assets/images/x.svg)}")
    assert local_css(css) == ".a{background:url(/assets/images/x.svg)}"
    with pytest.raises(ValueError):
        local_css(".b{background:url(//cdn.example/x.png)}")


def test_the_signing_key_is_made_once_and_kept_private(tmp_path):
    first = stored_key(tmp_path)
    assert len(first) > 40 and stored_key(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_every_page_is_declared_in_the_access_table(pages_app):
    for rule in pages_app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint in PAGES:
            assert rule.endpoint in ENDPOINTS or PAGES[blueprint] in (None, "coverage:read",
                                                                      "catalogue:write")
    assert ENDPOINTS["site.static"] is None and ENDPOINTS["site.assets"] is None
