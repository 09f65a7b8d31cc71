"""The held records pages, server side: the list with its reasons, filters and counts; a
record's page with what the source said; fixing and admitting it (errors beside the field),
rejecting it. Forms are posted as a browser posts them: every field with its value."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser

from sqlalchemy import select

from recommender.content.imports import read_batch, write_batch
from recommender.storage import db
from recommender.storage.models import HeldRecord, Resource
from tests.factories import GOOD
from tests.web.conftest import sign_in, token


class Forms(HTMLParser):
    """The fields of each form on a page, as a browser would send them (checked boxes only,
    the selected option, the textarea's text)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"fields": [], "buttons": []})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"] if self.forms else None
        if tag == "input" and a.get("type") in ("checkbox", "radio"):
            if "checked" in a:
                fields.append((a["name"], a.get("value", "on")))
        elif tag == "input" and a.get("name"):
            fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            fields.append((a["name"], ""))
        elif tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, text = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, text + data)

    def form(self, button: tuple[str, str]) -> dict:
        """The form holding this button, as a dict of lists (repeated names kept)."""
        found = next(f for f in self.forms if button in f["buttons"])
        values: dict[str, list[str]] = {}
        for name, value in found["fields"]:
            values.setdefault(name, []).append(value)
        return values


ADMIT, REJECT = ("decision", "admit"), ("decision", "reject")


def hold(app, tmp_path, *changes: dict) -> tuple[str, list[int]]:
    """Import records that are held (each a change to GOOD, at a URL of its own); returns a
    word in their titles and their held ids in the order given."""
    tag = f"held{uuid.uuid4().hex[:8]}"
    records = [{**GOOD, "id": f"{tag}-{i}", "url": f"https://example.org/{tag}/{i}",
                "title": f"{tag} course {i}", **change} for i, change in enumerate(changes)]
    for record in records:
        for name in [k for k, v in record.items() if v is None]:
            del record[name]
    path = tmp_path / f"{tag}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with app.app_context():
        session = db.session()
        result = write_batch(session, read_batch([str(path)]))
        assert result.held == len(records)
        by_url = {row.url: row.id for row in session.scalars(
            select(HeldRecord).where(HeldRecord.url.like(f"%/{tag}/%")))}
    return tag, [by_url[r["url"]] for r in records]


def held_row(app, held_id: int) -> HeldRecord:
    with app.app_context():
        row = db.session().get(HeldRecord, held_id)
        db.session().expunge(row)
        return row


def test_the_list_shows_each_reason_with_filters_and_counts(browser, pages_app, tmp_path):
    sign_in(browser, pages_app, "catalogue:write")
    tag, (unstated, paid) = hold(pages_app, tmp_path, {"licence": None}, {"access": "paid"})
    page = browser.get(f"/curator/held?q={tag}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/curator/held/{unstated}"' in html and f'href="/curator/held/{paid}"' in html
    assert "licence not stated by the source" in html
    assert "paid resources are not admitted" in html
    assert re.search(r'id="results-heading">2 records held<', html)
    assert re.search(r"<strong>Held: \d+</strong>", html)  # the counts per status
    only_paid = browser.get(f"/curator/held?q={tag}&field=access").get_data(as_text=True)
    assert f'id="held-{paid}"' in only_paid and f'id="held-{unstated}"' not in only_paid
    none_admitted = browser.get(f"/curator/held?q={tag}&status=admitted").get_data(
        as_text=True)
    assert re.search(r'id="results-heading">0 records admitted<', none_admitted)
    bad = browser.get("/curator/held?status=pending")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="status-error"' in text and 'href="#status"' in text  # beside it, summarised
    overview = browser.get("/curator/").get_data(as_text=True)
    assert 'href="/curator/held"' in overview
    assert re.search(r"\d+ records held for review", overview)


def test_a_curator_fixes_and_admits_a_record(browser, pages_app, tmp_path):
    sign_in(browser, pages_app, "catalogue:write")
    tag, (held_id,) = hold(pages_app, tmp_path, {
        "licence": "UNKNOWN", "level": "Beginner", "topics": ["ai", "model cards"],
        "description": "A course on reading model cards,\nwritten for this test."})
    page = f"/curator/held/{held_id}"
    html = browser.get(page).get_data(as_text=True)
    assert "unknown licence &#39;UNKNOWN&#39;" in html
    assert re.search(r'<dt class="nhsuk-summary-list__key">licence</dt>'
                     r'<dd class="nhsuk-summary-list__value">UNKNOWN</dd>', html)
    form = Forms(html).form(ADMIT)
    assert form["licence"] == ["UNKNOWN"] and form["provider"] == ["Example University"]
    assert form["archetypes"] == ["user"] and form["level"] == ["Beginner"]  # as it said
    assert form["topics"] == ["ai, model cards"]
    # a browser sends a textarea's line breaks as CR LF: the same text, not a fix
    form["description"] = [form["description"][0].replace("\n", "\r\n")]
    assert "\r\n" in form["description"][0]

    bad = browser.post(page, data={**form, "licence": "NOT-A-LICENCE", "csrf_token":
                                   token(html), "decision": "admit"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(r'id="licence-error"[^>]*>\s*<span[^>]*>Error:\s*</span>\s*'
                     r"Unknown licence", text)
    assert 'href="#licence"' in text  # in the error summary
    assert held_row(pages_app, held_id).status == "held"

    done = browser.post(page, data={**form, "licence": "CC-BY-4.0",
                                    "csrf_token": token(html), "decision": "admit"})
    assert done.status_code == 303, done.get_data(as_text=True)
    slug = f"{tag}-0"
    assert done.headers["Location"] == f"/curator/resources/{slug}"
    shown = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "nhsuk-notification-banner--success" in shown and "was admitted" in shown
    row = held_row(pages_app, held_id)
    assert (row.status, row.resource_slug) == ("admitted", slug)
    with pages_app.app_context():
        resource = db.session().scalar(select(Resource).where(Resource.slug == slug))
        assert (resource.licence, resource.level) == ("CC-BY-4.0", "baseline")
        curated = {f for f, label in resource.labels.items() if label["source"] == "curated"}
    assert curated == {"licence"}  # only what the curator changed is theirs
    decided = browser.get(page).get_data(as_text=True)
    assert f'href="/curator/resources/{slug}"' in decided and "Fix and admit" not in decided


def test_errors_are_shown_beside_each_field(browser, pages_app, tmp_path):
    sign_in(browser, pages_app, "catalogue:write")
    _, (held_id,) = hold(pages_app, tmp_path, {"licence": "UNKNOWN"})
    page = f"/curator/held/{held_id}"
    html = browser.get(page).get_data(as_text=True)
    form = {**Forms(html).form(ADMIT), "licence": "CC-BY-4.0", "decision": "admit"}
    refused = browser.post(page, data={**form, "title": " ", "url": "ftp://example.org/x",
                                       "duration_minutes": "an hour"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for field in ("title", "url", "duration_minutes"):  # every one at once
        assert f'id="{field}-error"' in text, field
        assert f'href="#{field}"' in text, field
    assert "must be a positive whole number of minutes" in text.lower()
    assert 'value="an hour"' in text and 'value="CC-BY-4.0"' in text  # what was typed stays
    unknown = browser.post(page, data={**form, "capabilities": "6.0.1, 9.9.9"})
    text = unknown.get_data(as_text=True)
    assert unknown.status_code == 422
    assert re.search(r'id="capabilities-error"[^>]*>\s*<span[^>]*>Error:\s*</span>\s*'
                     r"Unknown capability &#39;9.9.9&#39;", text)
    assert held_row(pages_app, held_id).status == "held"


def test_a_curator_rejects_a_record(browser, pages_app, tmp_path):
    sign_in(browser, pages_app, "catalogue:write")
    _, (held_id,) = hold(pages_app, tmp_path, {"access": "paid"})
    page = f"/curator/held/{held_id}"
    html = browser.get(page).get_data(as_text=True)
    form = Forms(html).form(REJECT)
    assert set(form) == {"csrf_token", "reason"}
    done = browser.post(page, data={**form, "reason": "a paid course", "decision": "reject"})
    assert done.status_code == 303 and done.headers["Location"] == "/curator/held"
    assert "was rejected" in browser.get("/curator/held").get_data(as_text=True)
    row = held_row(pages_app, held_id)
    assert row.status == "rejected" and "a paid course" in row.reason
    again = browser.post(page, data={**form, "decision": "admit"})
    assert again.status_code == 303  # already decided: said so on the record's page
    assert "already decided" in browser.get(again.headers["Location"]).get_data(as_text=True)
    assert held_row(pages_app, held_id).status == "rejected"


def test_forms_need_the_csrf_token_and_unknown_records_are_404(browser, pages_app, tmp_path):
    sign_in(browser, pages_app, "catalogue:write")
    _, (held_id,) = hold(pages_app, tmp_path, {"access": "paid"})
    forged = browser.post(f"/curator/held/{held_id}", data={"decision": "reject"})
    assert forged.status_code == 400
    assert held_row(pages_app, held_id).status == "held"
    missing = browser.get("/curator/held/99999999")
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_the_pages_need_a_curator(pages_app):
    client = pages_app.test_client()
    assert client.get("/curator/held").headers["Location"] == "/signin?next=/curator/held"
    sign_in(client, pages_app, "coverage:read")
    assert client.get("/curator/held").status_code == 403


def test_what_the_source_said_is_shown_as_text(browser, pages_app, tmp_path):
    sign_in(browser, pages_app, "catalogue:write")
    script = "<script>alert(1)</script>"
    tag, (held_id,) = hold(pages_app, tmp_path, {"licence": script, "provider": script})
    for path in (f"/curator/held?q={tag}", f"/curator/held/{held_id}"):
        html = browser.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert script not in html, path


def test_a_field_the_form_cannot_fix_is_named_above_the_form(browser, pages_app, tmp_path):
    sign_in(browser, pages_app, "catalogue:write")
    _, (held_id,) = hold(pages_app, tmp_path, {"id": "!!"})
    page = f"/curator/held/{held_id}"
    html = browser.get(page).get_data(as_text=True)
    refused = browser.post(page, data={**Forms(html).form(ADMIT), "decision": "admit"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="fixes-error"' in text and 'href="#fix-heading"' in text
    assert "The field id must be 2-80 lowercase letters" in text
