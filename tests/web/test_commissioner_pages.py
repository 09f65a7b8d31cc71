"""Commissioner pages, server side: sign-in as the API's coverage:read rule asks, the
heatmap, filters checked with messages beside them, ranked gaps with briefs, drill-down and
CSV downloads that are the API's own answers."""

from __future__ import annotations

import csv
import io

from recommender.coverage.reads import GAP_COLUMNS, MATRIX_COLUMNS
from tests.conftest import prepared_app
from tests.web.conftest import make_key, pages_config, sign_in


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_commissioner_pages_need_a_key_with_coverage_read(browser, pages_app):
    response = browser.get("/commissioning?group=domain")
    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/commissioning?group%3Ddomain"
    sign_in(browser, pages_app, "catalogue:write")  # the wrong scope
    refused = browser.get("/commissioning")
    assert refused.status_code == 403 and "coverage:read" in refused.get_data(as_text=True)
    sign_in(browser, pages_app, "coverage:read")
    assert browser.get("/commissioning").status_code == 200


def test_commissioner_pages_are_open_when_coverage_is_an_open_read(tmp_path, framework,
                                                                     shipped_resources):
    app = prepared_app(tmp_path, framework, shipped_resources[:10],
                       **pages_config(OPEN_READ=frozenset({"coverage:read"})))
    try:
        assert app.test_client().get("/commissioning").status_code == 200
        assert app.test_client().get("/curator/").status_code == 302  # still signed in only
    finally:
        app.extensions["db"].kw["bind"].dispose()


def test_the_heatmap_shows_every_archetype_at_both_levels_and_drills_down(browser, pages_app):
    sign_in(browser, pages_app, "coverage:read")
    page = browser.get("/commissioning").get_data(as_text=True)
    assert page.count('scope="colgroup"') == 5
    assert page.count('<th scope="col">Baseline</th>') == 5
    assert "app-heat--" in page and "Supply none" in page
    assert "/commissioning?group=statement&amp;domain=" in page  # a sub-domain drills down

    statements = browser.get("/commissioning?group=statement&domain=6").get_data(as_text=True)
    assert "/commissioning/cells/6.0.1/user/baseline" in statements
    cell = browser.get("/commissioning/cells/6.0.1/user/baseline").get_data(as_text=True)
    assert "Resources that count" in cell and "Statement 6.0.1 for users, baseline" in cell
    assert browser.get("/commissioning/cells/9.9/user/baseline").status_code == 404


def test_bad_filters_are_named_beside_their_fields(browser, pages_app):
    sign_in(browser, pages_app, "coverage:read")
    response = browser.get("/commissioning?domain=9&licence=NOT-A-LICENCE")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#domain"' in page and 'href="#licence"' in page
    assert 'id="domain-error"' in page and 'id="licence-error"' in page
    assert "Must be one of 1, 2, 3, 4, 5, 6" in page


def test_csv_downloads_are_the_apis_answers(browser, pages_app):
    sign_in(browser, pages_app, "coverage:read")
    page = browser.get("/commissioning?group=domain&level=baseline").get_data(as_text=True)
    link = "/commissioning/coverage.csv?format=csv&amp;domain=&amp;archetype=&amp;level=" \
           "baseline&amp;provider=&amp;licence=&amp;group=domain"
    assert link in page
    download = browser.get(link.replace("&amp;", "&"))
    assert download.mimetype == "text/csv"
    rows = rows_of(download)
    assert tuple(rows[0]) == MATRIX_COLUMNS
    assert {r["unit"] for r in rows} == {"domain"} and {r["level"] for r in rows} == {
        "baseline"}
    api = pages_app.test_client().get(
        "/api/v1/coverage?format=csv&group=domain&level=baseline",
        headers={"X-API-Key": make_key(pages_app, "coverage:read")})
    assert rows == rows_of(api)

    gaps = browser.get("/commissioning/gaps.csv?format=csv")
    assert tuple(rows_of(gaps)[0]) == GAP_COLUMNS
    cell = browser.get("/commissioning/cells/6.0.1/user/baseline.csv?format=csv")
    assert cell.mimetype == "text/csv" and "6.0.1" in cell.get_data(as_text=True)


def test_ranked_gaps_come_with_briefs(browser, pages_app):
    sign_in(browser, pages_app, "coverage:read")
    page = browser.get("/commissioning/gaps").get_data(as_text=True)
    assert page.count('<h3 class="nhsuk-heading-s">Brief</h3>') == 20
    assert "Formats:" in page and "Access:" in page
    assert "/commissioning/cells/" in page
