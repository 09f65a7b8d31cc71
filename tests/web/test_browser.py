"""End to end in headless Chromium: the app served for real on 127.0.0.1, a real Celery
worker applying catalogue changes to the index, the real model and FAISS. The worker runs as
`make run` runs it, over the embedded SQLite broker in the test's own folder, so that no other
test's worker can take its tasks.
Every page visited is screenshotted into tests/artifacts/ and checked with axe-core (no
serious or critical violation), and no page may load anything from another host, log a
console error (a Content-Security-Policy violation is one) or open a dialog."""

from __future__ import annotations

import csv
import io
import json
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect, sync_playwright

from catalogue.resources import parse_resource
from recommender import create_app
from recommender.access.keys import create_key
from recommender.config import from_environment
from recommender.content.framework import current_version
from recommender.content.framework import load_framework as store_framework
from recommender.content.store import upsert_resources
from recommender.coverage.reads import MATRIX_COLUMNS
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store, statements
from recommender.learners.assessments import create_assessment
from recommender.ranking.answer import recommend_body
from recommender.storage import db, migrate
from recommender.storage.worker_process import running_worker
from tests.factories import GOOD
from tests.web.browser_checks import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Watched, live_server
from tests.web.conftest import CATALOGUE

pytestmark = [pytest.mark.browser, pytest.mark.services]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCRIPT_TITLE = "<script>alert(1)</script>"
WORKER_WAIT_MS = 120_000  # the worker loads the model on its first task


@pytest.fixture(scope="module")
def site(tmp_path_factory, framework, shipped_resources, encoder):
    folder = tmp_path_factory.mktemp("browser")
    env = {"VAR_DIR": str(folder), "LOG_FORMAT": "text"}
    app = create_app({**from_environment(env), "RATE_LIMIT_ENABLED": False})
    assert app.config["AUTH_REQUIRED"]  # production's checks
    hostile = parse_resource({**GOOD, "id": "script-in-title", "title": SCRIPT_TITLE,
                              "url": "https://example.org/script-in-title"}, framework)
    with app.app_context():
        migrate.upgrade(db.engine())
        store_framework(db.session(), framework)
        upsert_resources(db.session(), [*shipped_resources[:CATALOGUE], hostile])
        build_index(db.session(), index_store(), encoder)
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "worker.log").open("wb") as log, running_worker(env, log_file=log), \
            live_server(app) as base, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = []

        def tab(name: str, viewport=DESKTOP, javascript: bool = True) -> Watched:
            context = chromium.new_context(viewport=viewport, accept_downloads=True,
                                           java_script_enabled=javascript)
            contexts.append(context)
            return Watched(context, base, name)

        yield SimpleNamespace(app=app, base=base, tab=tab, folder=folder)
        for context in contexts:
            context.close()
        chromium.close()
    app.extensions["db"].kw["bind"].dispose()


def key(app, *scopes: str) -> str:
    with app.app_context():
        return create_key(db.session(), f"browser-{'-'.join(scopes)}", list(scopes)).key


def sign_in(tab: Watched, api_key: str) -> None:
    page = tab.page
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()


def skip_to_artificial_intelligence(page) -> None:
    """Skip domains 1-5 of the assessment."""
    for number in range(1, 6):
        expect(page).to_have_url(re.compile(f"/assessment/domains/{number}$"))
        page.get_by_role("button", name="Skip this domain").click()
    expect(page).to_have_url(re.compile("/assessment/domains/6$"))
    expect(page.locator("h1")).to_have_text("Artificial intelligence")


def test_a_learner_completes_an_assessment_and_sees_recommendations(site):
    tab = site.tab("learner", PHONE)  # on a phone
    page = tab.page
    tab.go("/")
    tab.check("home")
    page.get_by_role("link", name="Start a self-assessment").click()
    page.get_by_role("button", name="Continue").click()  # no role chosen
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    expect(page.locator("#archetypes-error")).to_contain_text("Select at least one role")
    tab.check("start-with-error")
    page.locator("input[name=archetypes][value=user]").check()
    page.get_by_role("button", name="Continue").click()
    tab.check("domain-first")
    skip_to_artificial_intelligence(page)
    not_aware = page.locator("input[type=radio][value='0']")
    count = not_aware.count()
    assert count >= 10
    for i in range(3):  # chosen but not sent ...
        not_aware.nth(i).check()
    page.reload()  # ... and still there after a reload
    for i in range(3):
        expect(not_aware.nth(i)).to_be_checked()
    expect(not_aware.nth(3)).not_to_be_checked()
    for i in range(3, count):
        not_aware.nth(i).check()
    tab.check("domain-ai")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    tab.check("check")
    page.get_by_role("button", name="Send answers and see my results").click()

    expect(page.get_by_role("heading", name="Your results")).to_be_visible()
    learner_id = page.locator("#learner-id").inner_text()
    expect(page.locator("#readiness")).to_contain_text("Artificial intelligence")
    tab.check("results")
    page.get_by_role("link", name="See learning for your gaps").click()
    expect(page.get_by_role("heading", name="Learning recommended for you")).to_be_visible()
    cards = page.locator("#baseline .nhsuk-card")
    assert cards.count() >= 3
    first = cards.first
    for label in ("Provider", "Format", "Time needed", "Licence", "The gap it serves", "Why"):
        expect(first).to_contain_text(label)
    tab.check("recommendations")
    title = first.locator("h3").inner_text()
    first.get_by_role("button", name=re.compile(r"^Useful")).click()
    expect(page.locator(".app-flash")).to_contain_text(f"You marked \u201c{title}\u201d as "
                                                       "useful")
    tab.check("feedback-given")
    tab.assert_clean()

    # on a desktop the two lists are tabs
    wide = site.tab("learner-desktop")
    wide.go(page.url.split("#")[0].removeprefix(site.base))
    expect(wide.page.locator("#specialist")).to_be_hidden()
    wide.page.get_by_role("tab", name=re.compile("Specialist")).click()
    expect(wide.page.locator("#specialist")).to_be_visible()
    expect(wide.page.locator("#baseline")).to_be_hidden()
    wide.check("recommendations-specialist-tab")
    wide.go(f"/learners/{learner_id}")
    expect(wide.page.get_by_role("heading", name="Your learning", exact=True)).to_be_visible()
    wide.check("learner-home")
    wide.assert_clean()


def test_the_learner_flow_works_without_javascript(site):
    tab = site.tab("no-script", javascript=False)
    page = tab.page
    tab.go("/assessment")
    page.locator("input[name=archetypes][value=shaper]").check()
    page.get_by_role("button", name="Continue").click()
    skip_to_artificial_intelligence(page)
    for radio in page.locator("input[type=radio][value='1']").all():
        radio.check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Send answers and see my results").click()
    page.get_by_role("link", name="See learning for your gaps").click()
    expect(page.locator("#baseline .nhsuk-card").first).to_be_visible()
    expect(page.locator("#specialist .nhsuk-card").first).to_be_visible()  # no tabs: both
    tab.check("recommendations-without-javascript", axe=False)  # axe itself is a script
    tab.assert_clean()


def test_the_pages_work_from_the_keyboard_in_a_sensible_order(site):
    tab = site.tab("keyboard")
    page = tab.page
    tab.go("/assessment")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == \
        "Skip to main content"
    page.keyboard.press("Enter")  # the skip link moves focus to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "archetypes"  # the first role
    page.keyboard.press("Space")
    ids = []
    for _ in range(12):
        page.keyboard.press("Tab")
        ids.append(page.evaluate("document.activeElement.id || "
                                 "document.activeElement.textContent.trim()"))
        if ids[-1] == "Continue":
            break
    assert ids[:4] == ["archetypes-2", "archetypes-3", "archetypes-4", "archetypes-5"]
    assert ids[-2:] == ["learner_id", "Continue"]
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/assessment/domains/1$"))
    tab.assert_clean()


def test_a_commissioner_downloads_the_coverage_csv(site):
    tab = site.tab("commissioner")
    page = tab.page
    tab.go("/commissioning")
    sign_in(tab, key(site.app, "coverage:read"))
    expect(page.get_by_role("heading", name="Coverage of the framework")).to_be_visible()
    expect(page.locator("#heatmap th[scope=colgroup]")).to_have_count(5)  # the archetypes
    tab.check("heatmap")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download this table as CSV").click()
    download = info.value
    assert download.suggested_filename == "coverage-group.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert tuple(rows[0]) == MATRIX_COLUMNS
    assert {r["archetype"] for r in rows} == {"shaper", "driver", "creator", "embedder", "user"}
    assert {r["level"] for r in rows} == {"baseline", "specialist"}

    page.locator("#heatmap tbody a").first.click()  # a sub-domain -> its statements
    expect(page.locator("#group")).to_have_value("statement")
    page.locator("#heatmap tbody a").first.click()  # a statement's cell -> its resources
    expect(page.get_by_text("Coverage cell")).to_be_visible()
    tab.check("cell")
    tab.go("/commissioning/gaps")
    expect(page.locator("#gaps > li").first).to_contain_text("Brief")
    tab.check("gaps")
    tab.assert_clean()


def test_a_curator_imports_then_fixes_a_mapping_and_the_learners_list_changes(site, tmp_path):
    app = site.app
    with app.app_context():  # a learner with one gap, at a level-1 statement for users
        known = statements()
        gap = next(s.id for s in known.values()
                   if s.domain_id == "6" and s.level == 1 and "user" in s.archetypes)
        ask = {"archetype": "user", "gaps": [{"capability": gap, "severity": 3}]}
        before = [i["id"] for i in recommend_body({**ask, "limit": 30})["baseline"]]
        learner = create_assessment(db.session(), learner_id=None,
                                    framework_version=current_version(db.session()),
                                    archetypes=["user"], answers={gap: 0}, skipped_domains=[])
        listing = f"/learners/{learner.learner_id}/assessments/{learner.id}/recommendations"
    outside = before[10]  # just outside the learner's ten
    learner_tab = site.tab("curator-learner")
    learner_tab.go(listing)
    expect(learner_tab.page.locator(f"#item-{outside}")).to_have_count(0)

    tab = site.tab("curator")
    page = tab.page
    tab.go("/curator/")
    sign_in(tab, key(app, "catalogue:write"))
    expect(page.get_by_role("heading", name="Curation")).to_be_visible()
    tab.check("overview")

    # import a file: one good record, one whose licence is not known (held for review)
    upload = tmp_path / "new-resources.jsonl"
    upload.write_text("\n".join(json.dumps(r) for r in (
        {**GOOD, "id": "imported-in-browser", "url": "https://example.org/imported",
         "title": "Reading an AI model card before using a clinical tool"},
        {**GOOD, "id": "closed-one", "url": "https://example.org/closed",
         "licence": "UNKNOWN"})) + "\n")
    page.get_by_role("link", name="Import resources").click()
    page.get_by_role("button", name="Import", exact=True).click()  # no file chosen
    expect(page.locator("#file-error")).to_contain_text("Choose a file to import")
    page.locator("input[type=file]").set_input_files(str(upload))
    tab.check("import-form")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-summary")).to_contain_text("New")
    expect(page.locator("#held li")).to_have_count(1)
    expect(page.locator("#import-summary")).to_contain_text("review held records")
    progress = page.locator("#build-progress")
    expect(progress).to_have_attribute("data-finished", "updated", timeout=WORKER_WAIT_MS)
    expect(progress).to_contain_text("finished")
    tab.check("import-done")

    # fix a mapping: the resource just outside the learner's list now teaches the gap
    tab.go("/curator/resources?q=&capability=&page=1")
    tab.check("catalogue")
    tab.go(f"/curator/resources/{outside}")
    page.get_by_label("Add statements").fill(gap)
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator(".app-flash")).to_contain_text("The mapping was saved")
    expect(page.locator(f"input[name=mapped][value='{gap}']")).to_be_checked()
    tab.check("mapping-saved")
    page.get_by_role("link", name="Curation").first.click()
    tab.go("/curator/index")
    # the newest update (a compaction of its delta may be listed above it)
    page.locator("#index-status + form + h2 + ul li", has_text="Update").locator("a").first.click()
    expect(page.locator("#build-progress")).to_have_attribute("data-finished", "updated",
                                                              timeout=WORKER_WAIT_MS)
    tab.check("index-update")
    tab.assert_clean()

    learner_tab.page.reload()
    item = learner_tab.page.locator(f"#item-{outside}")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("a curator mapped it to this statement")
    learner_tab.check("list-after-fix")
    learner_tab.assert_clean()


def test_a_script_in_a_title_stays_inert(site):
    tab = site.tab("escaping")
    tab.go("/curator/resources?q=script")
    sign_in(tab, key(site.app, "admin"))
    expect(tab.page.locator("#results")).to_contain_text(SCRIPT_TITLE)  # shown as text
    tab.page.get_by_role("link", name=SCRIPT_TITLE).click()
    expect(tab.page.locator("h1")).to_have_text(SCRIPT_TITLE)
    tab.check("script-title")
    tab.assert_clean()  # no dialog opened, no script error
