"""Learner pages, server side: archetypes, the assessment one domain at a time with answers
kept across reloads, results, recommendations in two tabs, feedback, coming back by id."""

from __future__ import annotations

import re

from recommender.content.framework import current_version
from recommender.learners.assessments import create_assessment
from recommender.storage import db
from recommender.storage.models import Feedback
from tests.web.conftest import start, submit, token

LOW = "0"  # "Not aware": a gap on every statement


def statements_on(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'name="rating-([0-9.]+)"', html)))


def answer_domain(browser, path: str, rating: str = LOW):
    html = browser.get(path).get_data(as_text=True)
    data = {f"rating-{code}": rating for code in statements_on(html)}
    return browser.post(path, data={"csrf_token": token(html), "action": "save", **data})


def skip_domain(browser, path: str):
    html = browser.get(path).get_data(as_text=True)
    return browser.post(path, data={"csrf_token": token(html), "action": "skip"})


def assess(browser, *archetypes: str, answer=("6",), rating: str = LOW,
           learner_id: str = "") -> str:
    """Go through the assessment answering the domains in ``answer`` and skipping the rest;
    return the results page's path."""
    path = start(browser, *archetypes, learner_id=learner_id)
    while "/assessment/domains/" in path:
        domain = path.rsplit("/", 1)[1]
        response = (answer_domain(browser, path, rating) if domain in answer
                    else skip_domain(browser, path))
        assert response.status_code == 302, response.get_data(as_text=True)
        path = response.headers["Location"]
    assert path.endswith("/assessment/check")
    response = submit(browser, path, {})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_a_learner_assesses_one_domain_at_a_time_and_sees_gaps_then_recommendations(browser):
    page = browser.get("/assessment").get_data(as_text=True)
    for role in ("Users", "Embedders", "Creators", "Drivers", "Shapers"):
        assert role in page
    assert "I use digital and AI tools in my everyday work" in page  # in plain words

    first = start(browser, "user")
    html = browser.get(first).get_data(as_text=True)
    assert "Domain 1 of 6" in html and '<progress class="app-progress"' in html

    results = assess(browser, "user", answer=("6",))
    page = browser.get(results).get_data(as_text=True)
    learner_id = re.search(r'id="learner-id">([^<]+)<', page).group(1)
    assert results.startswith(f"/learners/{learner_id}/assessments/")
    assert "Artificial intelligence" in page and "app-bar__fill--0" in page  # all "Not aware"
    assert "Your largest gaps" in page and "Large gap" in page

    listing = browser.get(results + "/recommendations").get_data(as_text=True)
    assert 'href="#baseline"' in listing and 'href="#specialist"' in listing
    assert 'data-module="nhsuk-tabs"' in listing
    for label in ("Provider", "Format", "Time needed", "Licence", "The gap it serves", "Why"):
        assert label in listing
    assert "Serves your gap in 6." in listing  # the reason names a domain 6 statement
    assert listing.count('name="verdict" value="completed"') >= 5


def test_answers_are_kept_when_a_page_is_reloaded_and_missing_ones_are_named(browser):
    path = start(browser, "embedder")
    html = browser.get(path).get_data(as_text=True)
    codes = statements_on(html)
    assert len(codes) >= 3
    response = browser.post(path, data={"csrf_token": token(html), "action": "save",
                                        f"rating-{codes[0]}": "3"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert f"Select how confident you are for statement {codes[1]}" in page
    anchor = "#rating-" + codes[1].replace(".", "-")
    assert f'href="{anchor}"' in page  # the summary links to the field
    assert page.count('class="nhsuk-error-message"') == len(codes) - 1  # beside each field

    reloaded = browser.get(path).get_data(as_text=True)
    checked = re.findall(r'name="rating-([0-9.]+)" type="radio" value="(\d)" checked', reloaded)
    assert checked == [(codes[0], "3")]


def test_the_start_page_names_what_is_wrong(browser):
    response = submit(browser, "/assessment", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Select at least one role that describes your work" in page
    assert 'href="#archetypes"' in page and 'id="archetypes"' in page

    response = submit(browser, "/assessment", {"archetypes": "user", "learner_id": "no!"})
    assert response.status_code == 422
    assert "8 to 64 letters" in response.get_data(as_text=True)
    response = submit(browser, "/assessment", {"archetypes": "user",
                                               "learner_id": "nobody-with-this-id"})
    assert "There is no learner with this id" in response.get_data(as_text=True)


def test_the_check_page_refuses_unfinished_domains(browser):
    path = start(browser, "shaper")
    answer_domain(browser, path)  # domain 1 done, the rest not started
    response = submit(browser, "/assessment/check", {})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Finish or skip the domain" in page and 'href="#domain-2"' in page


def test_feedback_is_recorded_and_completed_learning_leaves_the_list(browser, pages_app):
    results = assess(browser, "user", answer=("6",))
    listing_path = results + "/recommendations"
    listing = browser.get(listing_path).get_data(as_text=True)
    first = re.search(r'name="resource" value="([^"]+)"', listing).group(1)
    learner_id = results.split("/")[2]
    action = f"/learners/{learner_id}/feedback"
    assessment_id = results.rsplit("/", 1)[1]
    response = browser.post(action, data={"csrf_token": token(listing), "resource": first,
                                          "assessment_id": assessment_id, "verdict": "useful"})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"#item-{first}")
    page = browser.get(listing_path).get_data(as_text=True)
    assert "You marked this useful" in page and "as useful." in page

    browser.post(action, data={"csrf_token": token(page), "resource": first,
                               "assessment_id": assessment_id, "verdict": "completed"})
    page = browser.get(listing_path).get_data(as_text=True)
    assert f'value="{first}"' not in page  # never recommended again
    home = browser.get(f"/learners/{learner_id}").get_data(as_text=True)
    assert 'id="completed"' in home
    with pages_app.app_context():
        verdicts = [f.verdict for f in db.session().query(Feedback).filter_by(
            learner_id=learner_id)]
    assert verdicts == ["useful", "completed"]

    bad = browser.post(action, data={"csrf_token": token(page), "resource": "no-such-thing",
                                     "assessment_id": assessment_id, "verdict": "useful"})
    assert bad.status_code == 400 and "text/html" in bad.content_type
    assert "no resource with this id" in bad.get_data(as_text=True)


def test_a_learner_comes_back_by_id_and_sees_progress(browser, pages_app):
    results = assess(browser, "user", answer=("6",), rating="0")
    learner_id = results.split("/")[2]
    other = pages_app.test_client()  # another day, another browser
    response = submit(other, "/learners", {"learner_id": learner_id})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/learners/{learner_id}"
    assess(other, "user", answer=("6",), rating="3", learner_id=learner_id)
    home = other.get(f"/learners/{learner_id}").get_data(as_text=True)
    assert "Readiness now and at your previous assessment" in home
    assert "+100" in home  # 0% -> 100% in artificial intelligence

    wrong = submit(other, "/learners", {"learner_id": "not-a-learner-1234"})
    assert wrong.status_code == 422
    assert "There is no learner with this id" in wrong.get_data(as_text=True)
    assert other.get("/learners/not-a-learner-1234").status_code == 404


def test_a_learner_downloads_then_deletes_their_data(browser):
    results = assess(browser, "driver", answer=("1",))
    learner_id = results.split("/")[2]
    exported = browser.get(f"/learners/{learner_id}/data")
    assert exported.get_json()["learner_id"] == learner_id
    assert "attachment" in exported.headers["Content-Disposition"]
    refused = submit(browser, f"/learners/{learner_id}/delete", {})
    assert refused.status_code == 422 and "Confirm that you want" in refused.get_data(
        as_text=True)
    done = submit(browser, f"/learners/{learner_id}/delete", {"confirm": "yes"})
    assert "Your data has been deleted" in done.get_data(as_text=True)
    assert browser.get(f"/learners/{learner_id}").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(browser):
    response = browser.post("/assessment", data={"archetypes": "user"})
    assert response.status_code == 400
    assert "text/html" in response.content_type
    assert "go back, reload the page" in response.get_data(as_text=True)


def test_without_an_index_the_recommendations_page_says_not_ready(empty_app):
    with empty_app.app_context():
        assessment = create_assessment(db.session(), learner_id="learner-no-index",
                                       framework_version=current_version(db.session()),
                                       archetypes=["user"], answers={"6.0.1": 0},
                                       skipped_domains=[])
    response = empty_app.test_client().get(
        f"/learners/learner-no-index/assessments/{assessment.id}/recommendations")
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "text/html" in response.content_type
    assert "This service is not ready yet" in response.get_data(as_text=True)
