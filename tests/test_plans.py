"""Learning plans: the worked example of docs/plans.md number for number, the set cover's and
the schedule's rules on the shipped catalogue, validation, progress and re-assessment, and the
learner's data."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import replace
from pathlib import Path

import icalendar
import pytest
import yaml
from sqlalchemy import select

from catalogue.resources import parse_resource
from recommender.content.store import replace_suggestions
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.plans.choose import MIN_CONFIDENCE, choose
from recommender.plans.make import learner_verdicts, options
from recommender.storage import db
from recommender.storage.models import NearDuplicate, Plan, Resource, ResourceCapability

DOC = Path(__file__).resolve().parents[1] / "docs" / "plans.md"


def doc_block(kind: str) -> str:
    """The fenced block of docs/plans.md tagged ``kind`` (```yaml example-catalogue)."""
    found = re.search(rf"```\w+ {kind}\n(.*?)```", DOC.read_text(), re.S)
    assert found, kind
    return found.group(1)


def doc_table(marker: str) -> list[dict[str, str]]:
    """The rows of the table after ``<!-- marker -->`` in docs/plans.md."""
    text = DOC.read_text().split(f"<!-- {marker} -->", 1)[1].strip().splitlines()
    lines = []
    for line in text:
        if not line.startswith("|"):
            break
        lines.append(line)
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[2:]]


@pytest.fixture
def example(tmp_path, framework, make_app, database_url):
    """The worked example's catalogue, loaded as an import and an index build would leave
    it: curated mappings from the records, C's from the indexer's suggestions, D2 flagged as
    D's near-duplicate."""
    raw = yaml.safe_load(doc_block("example-catalogue"))
    records = [parse_resource({
        "id": r["id"], "title": r["title"], "url": f"https://example.org/{r['id']}",
        "provider": "Example provider", "licence": "CC-BY-4.0", "access": "open",
        "description": f"{r['title']}: a resource made up for the plans' worked example.",
        "format": r["format"], "duration_minutes": r["duration_minutes"], "level": r["level"],
        "archetypes": ["user"], "capabilities": r.get("capabilities", []),
        "mapping": "curated"}, framework) for r in raw]
    app = make_app(tmp_path, framework, records, database_url=database_url)
    with app.app_context():
        session = db.session()
        ids = dict(session.execute(select(Resource.slug, Resource.id)).all())
        replace_suggestions(session, {ids[r["id"]]: list(r["suggested"].items())
                                      for r in raw if "suggested" in r})
        session.add_all(NearDuplicate(resource_id=ids[r["duplicate_of"]], other_id=ids[r["id"]],
                                      similarity=0.97) for r in raw if "duplicate_of" in r)
        session.commit()
    return app


def test_the_worked_example_is_what_the_service_does(example):
    request = json.loads(doc_block("example-request"))
    steps, uncovered, weeks = (doc_table(m) for m in ("example-steps", "example-uncovered",
                                                      "example-weeks"))
    with example.app_context():
        session = db.session()
        slug = dict(session.execute(select(Resource.id, Resource.slug)).all())
        severities = {g["capability"]: g["severity"] for g in request["gaps"]}
        choices, done, _ = options(session, severities, *learner_verdicts(session, None))
        budget = request["weekly_minutes"] * request["weeks"]
        choice = choose(choices, severities, budget)
    left = budget
    assert len(choice.taken) == len(steps)
    for step, option, gained in zip(steps, choice.taken, choice.gains, strict=True):
        left -= option.minutes
        newly = sorted(g for g, rid in choice.covered.items() if rid == option.resource_id)
        assert (slug[option.resource_id], str(option.minutes), f"{gained:.2f}",
                f"{gained / option.minutes:.3f}", ", ".join(newly), str(left)) == (
            step["Taken"], step["Minutes"], step["Gain"], step["Gain per minute"],
            step["Newly covered"], step["Minutes left"])

    answer = example.test_client().post("/api/v1/plans", json=request)
    assert answer.status_code == 201, answer.get_json()
    plan = answer.get_json()
    assert [(u["capability"], u["reason"]) for u in plan["uncovered"]] == [
        (row["Gap"], row["Reason"]) for row in uncovered]
    shown = [(str(w["week"]), w["starts"], i["id"], str(i["this_week_minutes"]),
              i.get("part", ""), ", ".join(s["capability"] for s in i["serves"]))
             for w in plan["weeks"] for i in w["items"]]
    assert shown == [(r["Week"], r["Starts"], r["Item"], r["Minutes this week"], r["Part"],
                      r["Serves"]) for r in weeks]
    assert plan["total_minutes"] == sum(int(s["Minutes"]) for s in steps) == 150
    assert plan["done_minutes"] == 0 and plan["left_minutes"] == 150
    suggested = [s for w in plan["weeks"] for i in w["items"] for s in i["serves"]
                 if i["id"] == "plan-example-c"]
    assert suggested == [{"capability": "2.2.5", "source": "suggested", "confidence": 0.72,
                          "statement": suggested[0]["statement"]}]
    assert suggested[0]["statement"].startswith("I can review remote monitoring readings")


def nurse_gaps(framework, count: int = 80) -> list[dict]:
    """A ward nurse's honest self-rating: most statements badged for users are gaps."""
    codes = [c.id for c in framework.capabilities if "user" in c.archetypes][:count]
    return [{"capability": code, "severity": 1 + i % 3} for i, code in enumerate(codes)]


def test_a_plan_from_many_gaps_covers_them_as_a_set_within_the_weeks(client, framework,
                                                                     served_app):
    gaps = nurse_gaps(framework)
    answer = client.post("/api/v1/plans", json={"archetype": "user", "gaps": gaps,
                                                "weekly_minutes": 120, "weeks": 10})
    assert answer.status_code == 201
    plan = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/plans/{plan['id']}"
    items = [i for w in plan["weeks"] for i in w["items"]]
    assert all(w["minutes"] <= 120 for w in plan["weeks"]) and len(plan["weeks"]) <= 10
    ids = [i["id"] for i in items if i.get("part", "1 of 1").startswith("1 of")]
    assert len(ids) == len(set(ids))
    with served_app.app_context():
        session = db.session()
        rows = {r.slug: r for r in session.scalars(select(Resource).where(Resource.slug.in_(ids)))}
        mappings = {(m.resource_id, m.capability_code): m for m in session.scalars(
            select(ResourceCapability).where(ResourceCapability.resource_id.in_(
                [r.id for r in rows.values()])))}
        flagged = {(d.resource_id, d.other_id) for d in session.scalars(select(NearDuplicate))}
    chosen = [rows[i] for i in ids]
    assert not any((a.id, b.id) in flagged for a in chosen for b in chosen)
    served = {}
    for item in items:
        for reason in item["serves"]:
            mapping = mappings[(rows[item["id"]].id, reason["capability"])]
            # a resource counts for a gap only by a curated or confident mapping
            assert mapping.source == "curated" or mapping.confidence >= MIN_CONFIDENCE
            served.setdefault(reason["capability"], item["id"])
    covered = {g["capability"]: g["covered_by"] for g in plan["gaps"] if g["covered_by"]}
    assert covered == served
    assert {u["capability"] for u in plan["uncovered"]} == \
        {g["capability"] for g in gaps} - set(covered)
    assert {u["reason"] for u in plan["uncovered"]} <= {
        "no resource in the catalogue serves it", "beyond the time limit"}
    assert plan["total_minutes"] == sum(i["minutes"] for i in items if i.get("part", "1 of")
                                        .startswith("1 of"))
    # only items longer than a week run across weeks, in parts that add up to their minutes
    long = {i["id"] for i in items if i["minutes"] > 120}
    assert {i["id"] for i in items if "part" in i} == long
    for item_id in long:
        parts = [i for i in items if i["id"] == item_id]
        assert sum(p["this_week_minutes"] for p in parts) == parts[0]["minutes"]
        assert [p["part"] for p in parts] == [f"{n} of {len(parts)}"
                                              for n in range(1, len(parts) + 1)]
    again = client.get(f"/api/v1/plans/{plan['id']}").get_json()
    assert again["weeks"] == plan["weeks"] and again["uncovered"] == plan["uncovered"]


def test_foundations_come_first(client, framework):
    plan = client.post("/api/v1/plans", json={"archetype": "user", "gaps": nurse_gaps(
        framework, 120), "weekly_minutes": 240}).get_json()
    statements = {c.id: c for c in framework.capabilities}
    firsts = [i for w in plan["weeks"] for i in w["items"] if i.get("part", "1 of")
              .startswith("1 of")]
    levels = []  # per item: sub-domain -> lowest level it is in the plan for
    for item in firsts:
        mine: dict[str, int] = {}
        for s in item["serves"]:
            group, level = statements[s["capability"]].group_id, statements[s["capability"]].level
            mine[group] = min(mine.get(group, 9), level)
        levels.append(mine)
    n = len(firsts)
    # must[a][b]: a shared sub-domain puts item a before item b
    must = [[any(level < levels[b][g] for g, level in levels[a].items() if g in levels[b])
             for b in range(n)] for a in range(n)]
    reach = [row[:] for row in must]
    for k in range(n):
        for a in range(n):
            if reach[a][k]:
                reach[a] = [x or y for x, y in zip(reach[a], reach[k], strict=True)]
    broken = [(a, b) for a in range(n) for b in range(a) if must[a][b] and not reach[b][a]]
    # within a sub-domain, lower levels come first, except where two items are in a cycle
    # (each must come before the other through some sub-domain)
    assert broken == []
    assert sum(must[a][b] for a in range(n) for b in range(n)) > 0
    # items with no such tie between them: lowest level, baseline, shorter first
    free = [a for a in range(n) if not any(must[a][b] or must[b][a] for b in range(n))]
    keys = [(min(levels[a].values()), firsts[a]["level"] != "baseline", firsts[a]["minutes"])
            for a in free]
    assert keys == sorted(keys)


@pytest.mark.parametrize(("body", "pointer"), [
    ({"gaps": [{"capability": "2.0.4"}]}, "/archetype"),
    ({"archetype": "user"}, "/gaps"),
    ({"assessment_id": "x", "gaps": [{"capability": "2.0.4"}]}, "/gaps"),
    ({"archetype": "user", "gaps": [{"capability": "9.9.9"}]}, "/gaps/0/capability"),
    ({"archetype": "user", "gaps": [{"capability": "2.0.4"}, {"capability": "2.0.4"}]},
     "/gaps/1/capability"),
    ({"archetype": "user", "gaps": [{"capability": "2.0.4"}], "weekly_minutes": 5},
     "/weekly_minutes"),
    ({"archetype": "user", "gaps": [{"capability": "2.0.4"}], "start": "2027-02-30"},
     "/start"),
    ({"archetype": "user", "gaps": [{"capability": "2.0.4"}], "start": "next monday"},
     "/start"),
    ({"archetype": "user", "gaps": [{"capability": "2.0.4"}], "weeks": 0}, "/weeks"),
    ({"archetype": "user", "gaps": [{"capability": "2.0.4"}], "colour": "red"}, "/colour"),
    ({"assessment_id": "no-such-assessment"}, "/assessment_id"),
])
def test_bad_plan_requests_are_problems_naming_the_field(client, body, pointer):
    answer = client.post("/api/v1/plans", json=body)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in answer.get_json()["errors"]]


def test_an_unknown_plan_is_a_404_problem(client):
    answer = client.get("/api/v1/plans/no-such-plan")
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


def assess(client, learner: str, ratings: dict[str, int]) -> dict:
    answer = client.post("/api/v1/assessments", json={
        "learner_id": learner, "archetypes": ["user"],
        "answers": [{"capability": c, "rating": r} for c, r in ratings.items()]})
    assert answer.status_code == 201
    return answer.get_json()


def test_completing_an_item_ticks_it_and_moves_the_rest_up(example):
    client = example.test_client()
    request = {**json.loads(doc_block("example-request")), "learner_id": "learner-plan-0001",
               "weeks": 6,
               "start": (datetime.date.today() - datetime.timedelta(days=7)).isoformat()}
    plan = client.post("/api/v1/plans", json=request).get_json()
    assert plan["this_week"] == 2
    # the plan started last week and nothing is done: it runs from this week, and e, not
    # fitting in what d2, a and c leave of it, takes weeks 3 and 4
    first = [(w["week"], i["id"]) for w in plan["weeks"] for i in w["items"]]
    assert first == [(2, "plan-example-d2"), (2, "plan-example-a"), (2, "plan-example-c"),
                     (3, "plan-example-e"), (4, "plan-example-e")]
    done = client.post("/api/v1/feedback", json={"learner_id": "learner-plan-0001",
                                                 "resource": "plan-example-a",
                                                 "verdict": "completed"})
    assert done.status_code == 201
    after = client.get(f"/api/v1/plans/{plan['id']}").get_json()
    items = [(w["week"], i["id"], i["status"]) for w in after["weeks"] for i in w["items"]]
    today = datetime.date.today().isoformat()
    # a is done this week; the others, not done last week, are laid out again from this week:
    # e starts in the 20 minutes d2 and c leave and runs on through weeks 3 and 4
    assert items == [(2, "plan-example-a", "done"), (2, "plan-example-d2", "to_do"),
                     (2, "plan-example-c", "to_do"), (2, "plan-example-e", "to_do"),
                     (3, "plan-example-e", "to_do"), (4, "plan-example-e", "to_do")]
    assert [i.get("this_week_minutes") for w in after["weeks"] for i in w["items"]
            if i["id"] == "plan-example-e"] == [20, 60, 10]
    ticked = after["weeks"][0]["items"][0]
    assert ticked["completed_at"].startswith(today)
    assert after["done_minutes"] == 20 and after["left_minutes"] == 130


def test_a_new_assessment_remakes_the_plan_keeping_what_is_done(client, framework):
    user = [c.id for c in framework.capabilities if "user" in c.archetypes and c.level <= 2]
    learner = "learner-plan-0002"
    first = assess(client, learner, {code: 0 for code in user[:12]})
    plan = client.post("/api/v1/plans", json={"assessment_id": first["id"],
                                              "weekly_minutes": 90}).get_json()
    assert plan["learner_id"] == learner and plan["assessment_id"] == first["id"]
    item = plan["weeks"][0]["items"][0]
    assert client.post("/api/v1/feedback", json={"learner_id": learner, "resource": item["id"],
                                                 "verdict": "completed"}).status_code == 201
    # re-assessed: the first statements are now confident, others are new gaps
    second = assess(client, learner, {**{code: 3 for code in user[:12]},
                                      **{code: 1 for code in user[12:24]}})
    remade = client.get(f"/api/v1/plans/{plan['id']}").get_json()
    assert remade["assessment_id"] == second["id"]
    assert {g["capability"] for g in remade["gaps"]} == {g["capability"]
                                                         for g in second["gaps"]}
    statuses = {i["id"]: i["status"] for w in remade["weeks"] for i in w["items"]}
    assert statuses[item["id"]] == "done"
    assert all(s == "to_do" for i, s in statuses.items() if i != item["id"])
    assert remade["weekly_minutes"] == 90


def test_plans_go_with_the_learners_data(tmp_path, framework, shipped_resources, make_app,
                                         database_url):
    app = make_app(tmp_path, framework, shipped_resources[:60], database_url=database_url)
    client = app.test_client()
    codes = [c for r in shipped_resources[:60] for c in r.capabilities][:5]
    plan = client.post("/api/v1/plans", json={
        "archetype": "user", "learner_id": "learner-plan-0003",
        "gaps": [{"capability": c} for c in dict.fromkeys(codes)]}).get_json()
    exported = client.get("/api/v1/learners/learner-plan-0003").get_json()
    assert [p["id"] for p in exported["plans"]] == [plan["id"]]
    assert client.delete("/api/v1/learners/learner-plan-0003").status_code == 204
    assert client.get(f"/api/v1/plans/{plan['id']}").status_code == 404
    with app.app_context():
        assert db.session().scalars(select(Plan)).all() == []


def test_the_calendar_has_one_event_per_week_and_xapi_one_statement_per_done_item(example):
    client = example.test_client()
    request = {**json.loads(doc_block("example-request")), "learner_id": "learner-plan-0004"}
    plan = client.post("/api/v1/plans", json=request).get_json()
    assert client.post("/api/v1/feedback", json={"learner_id": "learner-plan-0004",
                                                 "resource": "plan-example-d2",
                                                 "verdict": "completed"}).status_code == 201
    plan = client.get(f"/api/v1/plans/{plan['id']}").get_json()
    answer = client.get(plan["links"]["calendar"])
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(answer.data)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == [
        datetime.date.fromisoformat(w["starts"]) for w in plan["weeks"]]
    assert len({str(e["UID"]) for e in events}) == len(events) == len(plan["weeks"])
    for event, week in zip(events, plan["weeks"], strict=True):
        assert event.decoded("DTEND") - event.decoded("DTSTART") == datetime.timedelta(days=1)
        description = str(event["DESCRIPTION"])
        assert all(i["title"] in description for i in week["items"])
        assert str(event["URL"]).endswith(f"/api/v1/plans/{plan['id']}")
    assert "done" in str(events[0]["DESCRIPTION"]).split("\n")[0]

    statements = client.get(plan["links"]["xapi"]).get_json()
    assert len(statements) == 1
    done = statements[0]
    assert done["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert done["actor"]["account"]["name"] == "learner-plan-0004"
    assert done["object"]["id"] == "https://example.org/plan-example-d2"
    assert done["object"]["definition"]["name"]["en-GB"] == "How algorithms embed bias (mirror)"
    assert [a["id"].rsplit("#", 1)[1] for a in done["context"]["contextActivities"]["other"]] \
        == ["3.1.2"]
    assert done["result"] == {"completion": True, "duration": "PT10M"}
    assert datetime.datetime.fromisoformat(done["timestamp"]).date() == datetime.date.today()


def test_a_catalogue_nobody_labelled_gets_a_plan_from_suggested_mappings(
        tmp_path, framework, shipped_resources, make_app, encoder):
    """The shipped catalogue without its curated mappings, labels or levels: every mapping
    is then the indexer's suggestion, and only the confident ones count."""
    stripped = [replace(r, capabilities=(), archetypes=(), mapping="suggested")
                for r in shipped_resources[:120]]
    app = make_app(tmp_path, framework, stripped)
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        suggested = db.session().scalars(select(ResourceCapability)).all()
    assert suggested and {m.source for m in suggested} == {"suggested"}
    codes = sorted({m.capability_code for m in suggested if m.confidence >= MIN_CONFIDENCE})
    plan = app.test_client().post("/api/v1/plans", json={
        "archetype": "user", "weekly_minutes": 120,
        "gaps": [{"capability": c, "severity": 2} for c in codes[:30]]}).get_json()
    reasons = [s for w in plan["weeks"] for i in w["items"] for s in i["serves"]]
    assert reasons and all(s["source"] == "suggested" and s["confidence"] >= MIN_CONFIDENCE
                           for s in reasons)
    assert {g["capability"] for g in plan["gaps"] if g["covered_by"]} == \
        {s["capability"] for s in reasons}
