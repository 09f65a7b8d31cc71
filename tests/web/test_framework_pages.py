"""The pages with several frameworks loaded (issue 23, point 3): a learner chooses the
framework first and is asked its roles (from its data) and its statements; the assessment,
its recommendations, feedback and plan stay in that framework; a commissioner chooses the
framework and every link keeps it. With DART-Ed alone (the ``pages_app``) no chooser shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from recommender.storage import db
from recommender.storage.models import Assessment, Feedback, Plan
from tests.conftest import prepared_app
from tests.test_frameworks import NORTHFIELD, WARD, add_frameworks
from tests.web.browser_checks import CHROMIUM, CHROMIUM_ARGS, Watched, live_server
from tests.web.conftest import CATALOGUE, make_key, pages_config, sign_in, submit, token
from tests.web.test_learner_pages import LOW, answer_domain, statements_on

NORTHFIELD_CODES = {"1.1.1", "1.1.2", "1.1.3", "1.2.1", "1.2.2", "2.0.1", "2.0.2", "2.1.1",
                    "2.1.2"}
RADIO = re.compile(r'name="framework" type="radio" value="([^"]+)"')


@pytest.fixture(scope="module")
def several(tmp_path_factory, framework, shipped_resources, encoder):
    """DART-Ed, Northfield (the example spreadsheet) and Ward skills (its own roles) in one
    app, with one index built over the three, checking sign-ins as production does."""
    folder = tmp_path_factory.mktemp("framework-pages")
    app = prepared_app(folder, framework, shipped_resources[:CATALOGUE],
                       **pages_config(COVERAGE_MIN_LEARNERS=1))
    add_frameworks(app, folder, encoder)
    yield app
    app.extensions["db"].kw["bind"].dispose()


def choose(client, framework: str, *roles: str) -> str:
    """Choose the framework, then the roles; return the first domain page's path."""
    response = submit(client, "/assessment/framework", {"framework": framework})
    assert response.status_code == 302, response.get_data(as_text=True)
    start = response.headers["Location"]
    assert start == f"/assessment?framework={framework}"
    response = submit(client, start, {"archetypes": list(roles), "framework": framework},
                      action="/assessment")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def finish(client, path: str) -> str:
    """Answer every domain "Not aware", send the answers; return the results page's path."""
    while "/assessment/domains/" in path:
        response = answer_domain(client, path, LOW)
        assert response.status_code == 302, response.get_data(as_text=True)
        path = response.headers["Location"]
    check = client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": token(check)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_with_one_framework_no_chooser_shows(browser, pages_app):
    page = browser.get("/assessment").get_data(as_text=True)
    assert not RADIO.search(page) and "nhsuk-caption-l" not in page
    assert 'name="framework" value="dart-ed"' in page  # hidden: the start page posts it
    assert browser.get("/assessment/framework").headers["Location"] == \
        "/assessment?framework=dart-ed"
    sign_in(browser, pages_app, "coverage:read")
    heatmap = browser.get("/commissioning").get_data(as_text=True)
    assert 'id="framework-chooser"' not in heatmap and "framework=" not in heatmap


def test_the_learner_chooses_the_framework_before_the_roles(several):
    client = several.test_client()
    first = client.get("/assessment?learner_id=someone-coming-back")
    assert first.status_code == 302
    assert first.headers["Location"] == "/assessment/framework?learner_id=someone-coming-back"
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert RADIO.findall(page) == ["dart-ed", NORTHFIELD, WARD]
    assert "<legend" in page and "Which framework do you want to assess yourself" in page
    assert "Northfield digital capability framework (an invented example)" in page
    assert "9 statements in 2 domains, version 2025.1" in page
    assert 'name="learner_id" value="someone-coming-back"' in page

    refused = submit(client, "/assessment/framework", {})
    assert refused.status_code == 422
    assert 'href="#framework"' in refused.get_data(as_text=True)
    assert "Select the framework you want" in refused.get_data(as_text=True)
    assert submit(client, "/assessment/framework", {"framework": "nope"}).status_code == 422

    ward = client.get(f"/assessment?framework={WARD}").get_data(as_text=True)
    roles = re.findall(r'name="archetypes" type="checkbox" value="([^"]+)"', ward)
    assert roles == ["nurse", "ward-manager"]  # the framework's data, in its order
    assert "Nurses" in ward and "Ward managers" in ward and "Shapers" not in ward
    assert "Ward digital skills (a test framework)" in ward  # the caption names it
    northfield = client.get(f"/assessment?framework={NORTHFIELD}").get_data(as_text=True)
    assert "Users" in northfield and "People who use digital and AI tools" in northfield
    refused = submit(client, f"/assessment?framework={WARD}",
                     {"framework": WARD, "archetypes": "user"}, action="/assessment")
    assert refused.status_code == 422 and "Select roles from the list" in refused.get_data(
        as_text=True)
    assert client.get("/assessment?framework=no-such-one").headers["Location"] == \
        "/assessment/framework"


def test_a_northfield_assessment_end_to_end(several):
    client = several.test_client()
    path = choose(client, NORTHFIELD, "user")
    page = client.get(path).get_data(as_text=True)
    assert "Domain 1 of 2" in page and "Digital foundations" in page
    asked = statements_on(page)
    assert asked and set(asked) <= NORTHFIELD_CODES
    while "/assessment/domains/" in path:
        response = answer_domain(client, path, LOW)
        path = response.headers["Location"]
    check = client.get(path).get_data(as_text=True)
    assert "Framework: Northfield digital capability framework" in check
    assert "Working with patients online" in check
    results = client.post(path, data={"csrf_token": token(check)}).headers["Location"]
    learner_id, assessment_id = results.split("/")[2], results.rsplit("/", 1)[1]
    with several.app_context():
        stored = db.session().get(Assessment, assessment_id)
        assert (stored.framework, stored.framework_version) == (NORTHFIELD, "2025.1")
        assert stored.archetypes == ["user"]
        assert {a.capability_code for a in stored.answers} <= NORTHFIELD_CODES

    shown = client.get(results).get_data(as_text=True)
    assert "Digital foundations" in shown and "Large gap" in shown
    assert "I can record a patient&#39;s observations" in shown
    listing = client.get(results + "/recommendations")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    served = set(re.findall(r'name="capability" value="([^"]+)"', html))
    assert served and served <= NORTHFIELD_CODES
    resource = re.search(r'name="resource" value="([^"]+)"', html).group(1)
    gap = re.search(rf'value="{re.escape(resource)}">.*?name="capability" value="([^"]+)"',
                    html, re.S).group(1)
    marked = client.post(f"/learners/{learner_id}/feedback", data={
        "csrf_token": token(html), "resource": resource, "assessment_id": assessment_id,
        "verdict": "useful", "capability": gap})
    assert marked.status_code == 303
    with several.app_context():
        (feedback,) = db.session().scalars(select(Feedback).where(
            Feedback.learner_id == learner_id)).all()
        assert (feedback.framework, feedback.capability_code) == (NORTHFIELD, gap)

    home = client.get(f"/learners/{learner_id}").get_data(as_text=True)
    assert "Users (Northfield digital capability framework" in home
    made = client.post(f"/learners/{learner_id}/plans", data={
        "csrf_token": token(home), "weekly_minutes": "120"})
    assert made.status_code == 303, made.get_data(as_text=True)
    plan = client.get(made.headers["Location"]).get_data(as_text=True)
    gaps = set(re.findall(r"<li><strong>([0-9.]+)</strong>", plan))
    assert gaps and gaps <= NORTHFIELD_CODES
    with several.app_context():
        (stored_plan,) = db.session().scalars(select(Plan).where(
            Plan.learner_id == learner_id)).all()
        assert stored_plan.framework == NORTHFIELD


def test_a_framework_with_its_own_roles_is_assessed_in_them(several):
    client = several.test_client()
    path = choose(client, WARD, "nurse")
    assert statements_on(client.get(path).get_data(as_text=True)) == ["1.1"]
    results = finish(client, path)
    with several.app_context():
        stored = db.session().get(Assessment, results.rsplit("/", 1)[1])
        assert (stored.framework, stored.archetypes) == (WARD, ["nurse"])
    assert "Records and data" in client.get(results).get_data(as_text=True)


def test_a_changed_framework_starts_a_fresh_draft(several):
    client = several.test_client()
    path = choose(client, "dart-ed", "user")
    assert "Domain 1 of 6" in client.get(path).get_data(as_text=True)
    answer_domain(client, path, LOW)
    again = client.get("/assessment/framework").get_data(as_text=True)
    assert 'value="dart-ed" checked' in again  # the draft's framework
    path = choose(client, NORTHFIELD, "user")
    check = client.get("/assessment/check").get_data(as_text=True)
    assert "0 of" in check and "Digital implementation" not in check


def test_the_commissioner_chooses_a_framework_and_every_link_keeps_it(several):
    client = several.test_client()
    sign_in(client, several, "coverage:read")
    default = client.get("/commissioning").get_data(as_text=True)
    assert 'id="framework-chooser"' in default
    assert re.findall(r'<option value="([^"]+)"', default.split('id="framework-chooser"')[1]
                      .split("</form>")[0]) == ["dart-ed", NORTHFIELD, WARD]
    assert "framework=dart-ed" in default  # links keep the default once there is a choice

    page = client.get(f"/commissioning?framework={NORTHFIELD}&group=statement")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    units = set(re.findall(r'<th scope="row" class="nhsuk-table__cell"><strong>([0-9.]+)'
                           r"</strong>", html))
    assert units == NORTHFIELD_CODES
    assert re.findall(r'scope="colgroup" colspan="2">([^<]+)<', html) == [
        "Shapers", "Drivers", "Creators", "Embedders", "Users"]
    assert 'name="framework" value="northfield-digital"' in html  # the filters keep it
    cells = re.findall(r'href="(/commissioning/cells/[^"]+)"', html)
    assert cells and all(c.endswith(f"framework={NORTHFIELD}") for c in cells)
    csv_link = re.search(r'href="(/commissioning/coverage.csv[^"]+)"', html).group(1)
    assert f"framework={NORTHFIELD}" in csv_link
    download = client.get(csv_link.replace("&amp;", "&"))
    assert download.mimetype == "text/csv" and "1.2.1" in download.get_data(as_text=True)

    cell = client.get(f"/commissioning/cells/1.2.1/user/baseline?framework={NORTHFIELD}")
    assert cell.status_code == 200
    cell_html = cell.get_data(as_text=True)
    assert "I can record a patient&#39;s observations" in cell_html
    assert f"1.2.1/user/baseline.csv?format=csv&amp;framework={NORTHFIELD}" in cell_html
    assert f"domain=1&amp;framework={NORTHFIELD}" in cell_html  # back to the heatmap
    assert client.get("/commissioning/cells/1.2.1/user/baseline").status_code == 404

    gaps = client.get(f"/commissioning/gaps?framework={NORTHFIELD}").get_data(as_text=True)
    ranked = re.findall(r"\d+\. Statement ([0-9.]+) for", gaps)
    assert ranked and set(ranked) <= NORTHFIELD_CODES
    assert f"/commissioning/gaps.csv?format=csv&amp;domain=&amp;archetype=&amp;level=" \
           f"&amp;provider=&amp;licence=&amp;framework={NORTHFIELD}" in gaps

    ward = client.get(f"/commissioning?framework={WARD}").get_data(as_text=True)
    assert re.findall(r'scope="colgroup" colspan="2">([^<]+)<', ward) == [
        "Nurses", "Ward managers"]
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>',
                      ward.split('id="archetype"')[1].split("</select>")[0]) == [
        ("", "All archetypes"), ("nurse", "Nurses"), ("ward-manager", "Ward managers")]


def test_an_unknown_framework_is_named_on_the_commissioner_page(several):
    client = several.test_client()
    sign_in(client, several, "coverage:read")
    response = client.get("/commissioning?framework=no-such-one")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#framework"' in page and 'id="framework-error"' in page
    assert "Unknown framework &#39;no-such-one&#39;" in page


@pytest.mark.browser
def test_the_choosers_in_a_browser_are_accessible(several):
    """In headless Chromium, with axe-core on each page: the learner's chooser (an error,
    then Northfield), Northfield's roles and first domain; the commissioner's chooser."""
    with live_server(several) as base, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = Watched(chromium.new_context(), base, "frameworks")
            page = tab.page
            tab.go("/assessment")
            expect(page.get_by_role("heading", name=re.compile("Which framework"))).to_be_visible()
            page.get_by_role("button", name="Continue").click()
            expect(page.locator("#framework-error")).to_contain_text("Select the framework")
            tab.check("framework-chooser-error")
            page.get_by_label("Northfield digital capability framework").check()
            page.get_by_role("button", name="Continue").click()
            expect(page.locator("h1")).to_contain_text("Which roles describe your work?")
            expect(page.locator("h1 .nhsuk-caption-l")).to_contain_text("Northfield")
            tab.check("northfield-roles")
            page.get_by_label("Users").check()
            page.get_by_role("button", name="Continue").click()
            expect(page.locator("h1")).to_have_text("Digital foundations")
            tab.check("northfield-domain")

            tab.go("/commissioning")
            page.get_by_label("API key").fill(make_key(several, "coverage:read"))
            page.get_by_role("button", name="Sign in").click()
            page.get_by_label("Framework", exact=True).select_option(WARD)
            page.get_by_role("button", name="Show this framework").click()
            expect(page).to_have_url(re.compile(f"framework={WARD}"))
            expect(page.locator("#heatmap th[scope=colgroup]")).to_have_text(
                ["Nurses", "Ward managers"])
            tab.check("ward-heatmap")
            tab.assert_clean()
        finally:
            chromium.close()
