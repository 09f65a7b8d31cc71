"""The learner's plan pages: made from the latest assessment, this week's items on the
learner's page, items ticked as done, the data download, and the printable plan, printed to
PDF in Chromium."""

from __future__ import annotations

import io
import json
import re

import icalendar
import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from recommender.content.framework import current_version
from recommender.indexing.serving import statements
from recommender.learners.assessments import create_assessment
from recommender.storage import db
from tests.web.browser_checks import CHROMIUM, CHROMIUM_ARGS, Watched, live_server
from tests.web.conftest import submit


def assessed(app, learner_id: str) -> None:
    """A stored assessment of a user unsure of every level-1 and level-2 statement."""
    with app.app_context():
        answers = {code: 0 for code, s in statements().items()
                   if "user" in s.archetypes and s.level <= 2}
        create_assessment(db.session(), learner_id=learner_id,
                          framework_version=current_version(db.session()),
                          archetypes=["user"], answers=answers, skipped_domains=[])


def test_a_learner_makes_a_plan_and_ticks_off_this_weeks_items(pages_app, browser):
    learner = "learner-plan-page-01"
    assessed(pages_app, learner)
    home = browser.get(f"/learners/{learner}").get_data(as_text=True)
    assert "How much time do you have for learning each week?" in home
    made = submit(browser, f"/learners/{learner}", {"weekly_minutes": "60"},
                  action=f"/learners/{learner}/plans")
    assert made.status_code == 303
    page_url = made.headers["Location"]
    assert re.fullmatch(rf"/learners/{learner}/plans/[0-9a-f-]{{36}}", page_url)
    page = browser.get(page_url).get_data(as_text=True)
    assert "Week 1, from" in page and "Nothing yet" not in page.split("Learning done")[0]
    home = browser.get(f"/learners/{learner}").get_data(as_text=True)
    first = re.search(r'id="this-week">\s*<li><a href="[^"]+" rel="noopener noreferrer">([^<]+)'
                      r"</a>", home)
    assert first, "this week's items are listed on the learner's page"
    slug = re.search(r'name="resource" value="([^"]+)"', home.split('id="this-week"')[1])[1]
    done = submit(browser, f"/learners/{learner}", {"resource": slug, "back": "home"},
                  action=page_url + "/done")
    assert done.status_code == 303 and done.headers["Location"].endswith("#plan")
    home = browser.get(f"/learners/{learner}").get_data(as_text=True)
    assert "The rest of your plan has moved up." in home
    ticked = home.split('id="this-week"')[1].split("</ul>")[0]
    assert f'value="{slug}"' not in ticked and "Done" in ticked
    page = browser.get(page_url).get_data(as_text=True)
    table = page.split('id="learning-done"')[1].split("</table>")[0]
    assert first[1] in table
    data = json.loads(browser.get(f"/learners/{learner}/data").get_data(as_text=True))
    assert [p["id"] for p in data["plans"]] == [page_url.rsplit("/", 1)[1]]
    # an item that is not in the plan cannot be ticked through it
    assert submit(browser, f"/learners/{learner}", {"resource": "not-in-the-plan"},
                  action=page_url + "/done").status_code == 400


@pytest.mark.browser
def test_the_printed_plan_is_a_record_for_an_appraisal(pages_app, tmp_path):
    learner = "learner-plan-print-01"
    assessed(pages_app, learner)
    with live_server(pages_app) as base, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(accept_downloads=True)
        tab = Watched(context, base, "plan")
        page = tab.page
        tab.go(f"/learners/{learner}")
        page.get_by_label("How much time do you have for learning each week?") \
            .select_option("90")
        page.get_by_role("button", name="Make my learning plan").click()
        expect(page.get_by_role("heading", name="Your learning plan", exact=True)) \
            .to_be_visible()
        tab.check("plan")
        first = page.locator(".app-plan-week li").first
        title = first.locator("a").first.inner_text()
        first.get_by_role("button", name=re.compile("^I have done this")).click()
        expect(page.locator(".app-flash")).to_contain_text(f"Done: \u201c{title}\u201d")
        expect(page.locator("#learning-done")).to_contain_text(title)
        tab.check("plan-done")
        with page.expect_download() as download:
            page.get_by_role("link", name=re.compile("Add the weekly blocks")).click()
        feed = icalendar.Calendar.from_ical(download.value.path().read_bytes())
        assert len(feed.walk("VEVENT")) == page.locator(".app-plan-week").count()

        page.emulate_media(media="print")
        for hidden in (".nhsuk-header", ".app-item-form", ".nhsuk-back-link"):
            assert page.locator(hidden).first.is_hidden(), hidden
        expect(page.locator("#learning-done .app-print-url").first).to_be_visible()
        pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
        text = " ".join(p.extract_text() for p in pdf.pages)
        words = " ".join(text.split())
        for wanted in ("Your learning plan", "Learning done", "Capabilities it developed",
                       " ".join(title.split()), "The gaps this plan is for"):
            assert wanted in words, wanted
        assert "I have done this" not in words and "Skip to main content" not in words
        tab.assert_clean()
        context.close()
        chromium.close()
